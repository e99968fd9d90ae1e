import type { SchedulerLike } from '../../rx.js';
import type { ProtocolExtension } from '../extensions/extension.js';

/** Options of the v2 server handshake. */
export interface ServerV2Options {
  /** Per-stream buffer size (packets) to announce in the final CONTINUE. */
  readonly bufferSize: number;
  /** Time allowed for the client's INFO, and then for authentication. */
  readonly timeoutMs: number;
  readonly scheduler?: SchedulerLike;
  /** This connection's server-side extension instances. */
  readonly extensions: readonly ProtocolExtension[];
  /** Ids the client must agree to; otherwise CLOSE(0, 0x04) and `ExtensionsNotSupported`. */
  readonly requiredExtensions?: readonly number[];
  /** Sends an encoded packet to the client. */
  readonly send: (packet: Uint8Array) => void;
}
