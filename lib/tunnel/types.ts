/**
 * The shapes a tunnel protocol has: its session (anything both sides open streams on), its
 * options, and its factory. Protocol-neutral.
 * @packageDocumentation
 */
import type { Observable } from '../rx.js';
import { WispError } from '../errors.js';
import type { Role } from '../core/protocol.js';
import type { MuxStream } from '../stream/mux-stream.js';
import type { Transport } from '../transport/transport.js';

/** What a tunnel needs of a session: both sides open streams. */
export interface TunnelSession {
  /** A stream at once (smux), or once the peer acknowledged it (net-mux waits for the ACK). */
  open(): MuxStream | Promise<MuxStream>;
  readonly streams$: Observable<MuxStream>;
  readonly closed$: Observable<unknown>;
  close(options?: { readonly drainMs?: number }): Promise<void>;
  abort(): void;
}

/** One option of a protocol, given on the command line as `--name VALUE`. */
export interface TunnelOption {
  readonly name: string;
  readonly metavar: string;
  readonly help: string;
  readonly default: string;
}

/** A protocol the tunnel can run over each TCP connection. */
export interface TunnelProtocol {
  readonly name: string;
  /** Its options; their values reach {@link configure}. */
  readonly options: readonly TunnelOption[];
  /**
   * Checks the option values (`value(name)`: the text given, or undefined) and returns the
   * session factory they configure.
   * @throws WispError `InvalidArgument` naming the bad option.
   */
  configure(value: (name: string) => string | undefined): (role: Role, transport: Transport) => Promise<TunnelSession>;
}


/** An option's value as a non-negative integer (undefined when not given). @throws {WispError} `InvalidArgument` naming the option. */
export function integerOption(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) throw new WispError('InvalidArgument', `--${name}: expected a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}
