/**
 * A yamux-family session's settings: what {@link yamuxProtocol} and `YamuxSession` take, the
 * defaults, and the close reasons the core needs in yamux's numbers.
 * @packageDocumentation
 */
import type { SchedulerLike } from '../rx.js';
import { WispError } from '../errors.js';
import type { CoreReasons } from '../core/protocol.js';
import { YamuxGoAway, type YamuxVersion } from './frame.js';

/** Settings of one yamux or net-mux session; every field has a default. */
export interface YamuxConfig {
  /** 0: hashicorp/yamux (default); 1: net-mux 1.0. */
  readonly version?: YamuxVersion;
  /**
   * Receive window per stream, in bytes (default 256 KiB). Version 0: at least 256 KiB (the
   * window both ends start with); the extra is granted on the SYN or ACK, as Go does. Version
   * 1 announces nothing: both ends must use the same value, which is also the send window.
   */
  readonly window?: number;
  /** Largest Data payload sent (default 64 KiB, net-mux's max_frame_size; also what version 1 accepts). */
  readonly maxFrame?: number;
  /** Streams at once (default 1024); a SYN beyond is answered with RST. */
  readonly maxStreams?: number;
  /** Peer-opened streams not yet accepted (taken from `streams$`) beyond this get RST (default 256). Version 0 also keeps its own un-ACKed opens to this. */
  readonly acceptBacklog?: number;
  /** Version 1: how long an open waits for the ACK before it sends RST (default 10,000 ms). */
  readonly openTimeoutMs?: number;
  /** How long `ping()` waits for its reply (default 10,000 ms). */
  readonly pingTimeoutMs?: number;
  /** A Ping every `intervalMs`; silence for `timeoutMs` (> interval) ends the session. Default 10 s / 30 s; false: none. */
  readonly keepalive?: { readonly intervalMs: number; readonly timeoutMs: number } | false;
  /** Received bytes waiting for readers over all streams before reading pauses (default maxStreams × window). */
  readonly maxQueuedBytes?: number;
  /** How long a stream's graceful `close()` waits for its pending writes (default 2,000 ms). */
  readonly closeDeadlineMs?: number;
  /** Per stream, bytes `write()` may hold unsent and still resolve at once (see `StreamWriter.write`). Default: four frames, at least 64 KiB. */
  readonly writeBufferBytes?: number;
  /** Scheduler for every timer (tests pass a VirtualTimeScheduler). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** The window every yamux stream starts with, both ways (neither variant announces it). */
export const YAMUX_INITIAL_WINDOW = 256 * 1024;

/** {@link YamuxConfig} with every default filled in. */
export interface ResolvedYamuxConfig {
  readonly version: YamuxVersion;
  readonly window: number;
  readonly maxFrame: number;
  readonly maxStreams: number;
  readonly acceptBacklog: number;
  readonly openTimeoutMs: number;
  readonly pingTimeoutMs: number;
  readonly keepalive: { readonly intervalMs: number; readonly timeoutMs: number } | undefined;
  readonly maxQueuedBytes: number;
  readonly closeDeadlineMs: number;
  readonly writeBufferBytes: number | undefined;
  readonly scheduler: SchedulerLike | undefined;
}

/**
 * Close reasons of a yamux session. Stream ends carry no code on the wire (FIN or RST), so
 * the stream reasons are wisp-rx's own; a session's reason is the GoAway code (0–2 for
 * version 0, 0–6 for version 1), and those above a version's codes go out as InternalError.
 */
export const YamuxReason = {
  ...YamuxGoAway,
  /** The peer reset the stream (RST): `data$` errors. */
  Reset: 0x100,
  /** Version 1: the peer did not acknowledge an open within `openTimeoutMs`. */
  OpenTimeout: 0x101,
} as const;

/** The core's reasons in yamux's numbers. */
export const YAMUX_REASONS: CoreReasons = {
  normal: YamuxReason.Normal,
  limit: YamuxReason.StreamLimit,
  overrun: YamuxReason.FlowControlError,
  throttled: YamuxReason.InternalError,
  error: YamuxReason.InternalError,
};

/** Fills in the defaults and checks the values; `InvalidArgument` for one out of range. */
export function resolveYamuxConfig(config: YamuxConfig = {}): ResolvedYamuxConfig {
  const version = config.version ?? 0;
  if (version !== 0 && version !== 1) throw invalid(`version ${String(version)} (0 or 1)`);
  const window = config.window ?? YAMUX_INITIAL_WINDOW;
  const floor = version === 0 ? YAMUX_INITIAL_WINDOW : 1;
  if (!Number.isInteger(window) || window < floor || window > 0xffffffff) throw invalid(`window ${window} (${floor}…2³²−1 for version ${version})`);
  const maxFrame = config.maxFrame ?? 64 * 1024;
  if (!Number.isInteger(maxFrame) || maxFrame < 1) throw invalid(`maxFrame ${maxFrame}`);
  const maxStreams = positive('maxStreams', config.maxStreams ?? 1024);
  const keepalive = config.keepalive === false ? undefined : (config.keepalive ?? { intervalMs: 10_000, timeoutMs: 30_000 });
  if (keepalive && !(keepalive.intervalMs > 0 && keepalive.timeoutMs > keepalive.intervalMs)) {
    throw invalid(`keepalive ${JSON.stringify(keepalive)} (timeoutMs must exceed intervalMs > 0)`);
  }
  return {
    version,
    window,
    maxFrame,
    maxStreams,
    acceptBacklog: positive('acceptBacklog', config.acceptBacklog ?? 256),
    openTimeoutMs: positive('openTimeoutMs', config.openTimeoutMs ?? 10_000),
    pingTimeoutMs: positive('pingTimeoutMs', config.pingTimeoutMs ?? 10_000),
    keepalive,
    maxQueuedBytes: positive('maxQueuedBytes', config.maxQueuedBytes ?? maxStreams * window),
    closeDeadlineMs: positive('closeDeadlineMs', config.closeDeadlineMs ?? 2000),
    writeBufferBytes: config.writeBufferBytes,
    scheduler: config.scheduler,
  };
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw invalid(`${name} ${value}`);
  return value;
}

function invalid(what: string): WispError {
  return new WispError('InvalidArgument', `yamux: bad ${what}`);
}
