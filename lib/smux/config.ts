/**
 * The configuration of an smux session: Go's `smux.Config` (same names, times in
 * milliseconds, Go's defaults) plus what wisp-rx adds, checked like Go's `VerifyConfig`.
 * @packageDocumentation
 */
import type { SchedulerLike } from '../rx.js';
import { WispError } from '../errors.js';
import { SMUX_GO_DEFAULTS } from './defaults.js';
import type { SmuxVersion } from './frame.js';

/** Options of an smux session. Every field is optional; the defaults are Go's. */
export interface SmuxConfig {
  /** 1 or 2; both ends must agree (there is no negotiation). Default 1. */
  readonly version?: SmuxVersion;
  /** No NOPs sent and no silence check. Default false. */
  readonly keepAliveDisabled?: boolean;
  /** A NOP every this many ms. Default 10,000. */
  readonly keepAliveInterval?: number;
  /** The session is closed when nothing at all arrived for this long. Default 30,000; ≥ the interval. */
  readonly keepAliveTimeout?: number;
  /** The largest PSH payload this side sends (1…65535; any length up to 65535 is accepted). Default 32,768. */
  readonly maxFrameSize?: number;
  /** Received bytes that may wait for readers over the session before reading pauses. Default 4 MiB. */
  readonly maxReceiveBuffer?: number;
  /** v2: the window announced to the peer for each stream. Default 64 KiB; ≤ maxReceiveBuffer. */
  readonly maxStreamBuffer?: number;
  /** wisp-rx: streams open at once; the peer's further SYNs are answered with FIN. Default 65,536. */
  readonly maxStreams?: number;
  /** wisp-rx: how long a stream's graceful close waits for its pending writes. Default 2,000 ms. */
  readonly closeDeadlineMs?: number;
  /** wisp-rx: per stream, bytes `write()` may hold unsent and still resolve at once (see `StreamWriter.write`). Default: four frames, at least 64 KiB. */
  readonly writeBufferBytes?: number;
  /** wisp-rx: the scheduler for every timer of the session (tests pass a VirtualTimeScheduler). */
  readonly scheduler?: SchedulerLike;
}

/** A config with every Go field filled in and checked. */
export interface ResolvedSmuxConfig {
  readonly version: SmuxVersion;
  readonly keepAliveDisabled: boolean;
  readonly keepAliveInterval: number;
  readonly keepAliveTimeout: number;
  readonly maxFrameSize: number;
  readonly maxReceiveBuffer: number;
  readonly maxStreamBuffer: number;
  readonly maxStreams: number;
  readonly closeDeadlineMs: number | undefined;
  readonly writeBufferBytes: number | undefined;
  readonly scheduler: SchedulerLike | undefined;
}

/** Default {@link SmuxConfig.maxStreams}. */
export const SMUX_DEFAULT_MAX_STREAMS = 65_536;

const INT32_MAX = 0x7fffffff;

/**
 * Fills in Go's defaults and checks the result as Go's `VerifyConfig` does (with the same
 * messages), plus that every number is a finite integer.
 * @throws {WispError} `InvalidArgument` naming the first bad field.
 */
export function resolveSmuxConfig(config: SmuxConfig = {}): ResolvedSmuxConfig {
  const resolved: ResolvedSmuxConfig = {
    version: config.version ?? SMUX_GO_DEFAULTS.version,
    keepAliveDisabled: config.keepAliveDisabled ?? false,
    keepAliveInterval: config.keepAliveInterval ?? SMUX_GO_DEFAULTS.keepAliveInterval,
    keepAliveTimeout: config.keepAliveTimeout ?? SMUX_GO_DEFAULTS.keepAliveTimeout,
    maxFrameSize: config.maxFrameSize ?? SMUX_GO_DEFAULTS.maxFrameSize,
    maxReceiveBuffer: config.maxReceiveBuffer ?? SMUX_GO_DEFAULTS.maxReceiveBuffer,
    maxStreamBuffer: config.maxStreamBuffer ?? SMUX_GO_DEFAULTS.maxStreamBuffer,
    maxStreams: config.maxStreams ?? SMUX_DEFAULT_MAX_STREAMS,
    closeDeadlineMs: config.closeDeadlineMs,
    writeBufferBytes: config.writeBufferBytes,
    scheduler: config.scheduler,
  };
  verifySmuxConfig(resolved);
  return resolved;
}

/** Go's `VerifyConfig` on a resolved config. @throws {WispError} `InvalidArgument`. */
export function verifySmuxConfig(config: ResolvedSmuxConfig): void {
  const fail = (message: string): never => {
    throw new WispError('InvalidArgument', `smux config: ${message}`);
  };
  for (const name of ['keepAliveInterval', 'keepAliveTimeout', 'maxFrameSize', 'maxReceiveBuffer', 'maxStreamBuffer', 'maxStreams'] as const) {
    const value = config[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(`${name} must be an integer, not ${String(value)}`);
  }
  if (config.version !== 1 && config.version !== 2) fail('unsupported protocol version');
  if (!config.keepAliveDisabled) {
    if (config.keepAliveInterval <= 0) fail('keep-alive interval must be positive');
    if (config.keepAliveTimeout < config.keepAliveInterval) fail('keep-alive timeout must be larger than keep-alive interval');
  }
  if (config.maxFrameSize <= 0) fail('max frame size must be positive');
  if (config.maxFrameSize > 65535) fail('max frame size must not be larger than 65535');
  if (config.maxReceiveBuffer <= 0) fail('max receive buffer must be positive');
  if (config.maxStreamBuffer <= 0) fail('max stream buffer must be positive');
  if (config.maxStreamBuffer > config.maxReceiveBuffer) fail('max stream buffer must not be larger than max receive buffer');
  if (config.maxStreamBuffer > INT32_MAX) fail('max stream buffer cannot be larger than 2147483647');
  if (config.maxStreams <= 0) fail('max streams must be positive');
}
