import type { OperatorFunction, SchedulerLike } from '../../rx.js';
import type { ProtocolExtension } from '../extensions/extension.js';
import type { Packet } from '../packet/types.js';
import { answerWith } from './answer-with.js';
import { awaitContinue } from './await-continue.js';
import { chain, handshakePhase } from './phase.js';
import type { HandshakeResult } from './result.js';
import { readServerInfo } from './read-server-info.js';

/** Options of the v2 client handshake. */
export interface ClientV2Options {
  /** Time allowed for each step (server INFO, then CONTINUE). */
  readonly timeoutMs: number;
  readonly scheduler?: SchedulerLike;
  /** This connection's client-side extension instances. */
  readonly extensions: readonly ProtocolExtension[];
  /** Ids that must be agreed; otherwise CLOSE(0, 0x04) and `ExtensionsNotSupported`. */
  readonly requiredExtensions?: readonly number[];
  /** Sends an encoded packet to the server. */
  readonly send: (packet: Uint8Array) => void;
}

/**
 * Client side of the Wisp v2 handshake, as stages: `readServerInfo` (the server's INFO;
 * a CONTINUE first means a v1 server, and the result says `downgraded`), `answerWith`
 * for each extension (its record of this side's INFO, answering challenges), then
 * `awaitContinue` (send INFO, wait for CONTINUE(0)). Emits a {@link HandshakeResult},
 * then passes later packets through.
 */
export function clientHandshakeV2(options: ClientV2Options): OperatorFunction<Packet, Packet | HandshakeResult> {
  const { extensions } = options;
  return handshakePhase({ timeoutMs: options.timeoutMs, scheduler: options.scheduler, send: options.send, refuseOverflow: false, firstStep: 'INFO or CONTINUE from the server' }, (context) =>
    chain(readServerInfo(context, extensions, options.requiredExtensions ?? []), [
      ...extensions.map((e) => answerWith(context, e)),
      awaitContinue(context),
    ]),
  );
}
