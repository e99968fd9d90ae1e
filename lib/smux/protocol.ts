/**
 * smux as a {@link Protocol} for the core: framing by the 8-byte header's length, a decoder
 * that judges each header (version, command, payload rules), no handshake (smux has none:
 * both ends are configured alike), and the {@link SmuxWire}.
 * @packageDocumentation
 */
import { Observable, type OperatorFunction } from '../rx.js';
import type { ActorSettings } from '../core/settings.js';
import { WispError } from '../errors.js';
import type { Protocol, Role } from '../core/protocol.js';
import { frames } from '../transport/frames.js';
import { isSplitMessage, type SplitMessage, type TransportMessage } from '../transport/transport.js';
import { resolveSmuxConfig, type ResolvedSmuxConfig, type SmuxConfig } from './config.js';
import { SMUX_HEADER_SIZE, SMUX_UPD_SIZE, SmuxCmd, checkHeader, decodeHeader, smuxLayout, type SmuxVersion } from './frame.js';
import { SmuxWire } from './wire.js';

/** What the (empty) smux handshake settles. */
export interface SmuxSettled {
  readonly role: Role;
  readonly version: SmuxVersion;
}

/**
 * The smux protocol for one connection. `config` is resolved and checked first (Go's
 * defaults, `VerifyConfig`'s rules): a bad one throws `InvalidArgument`.
 */
export function smuxProtocol(role: Role, config: SmuxConfig = {}): Protocol<SplitMessage, SmuxSettled> {
  const resolved = resolveSmuxConfig(config);
  const { version } = resolved;
  return {
    name: `smux v${version}`,
    framing: frames(smuxLayout()),
    decode: (report) => decodeSmux(version, report),
    // Nothing to negotiate: settled at once.
    handshake: () => (source$) =>
      new Observable<SplitMessage | SmuxSettled>((subscriber) => {
        subscriber.next({ role, version });
        return source$.subscribe(subscriber);
      }),
    refuseHandshake: () => undefined,
    wire: (_settled, input) => new SmuxWire(input, role, version, resolved.maxStreamBuffer, !resolved.keepAliveDisabled),
  };
}

/** The core's settings for an smux session of this config. */
export function smuxSettings(role: Role, config: ResolvedSmuxConfig): ActorSettings {
  return {
    role,
    maxPayload: config.maxFrameSize,
    // No per-stream chunk limit: the session-wide byte budget is smux's (Go's MaxReceiveBuffer).
    maxQueuedPackets: undefined,
    maxQueuedDatagrams: 0,
    maxQueuedBytes: config.maxReceiveBuffer,
    maxStreams: config.maxStreams,
    closeDeadlineMs: config.closeDeadlineMs,
    writeBufferBytes: config.writeBufferBytes,
    keepalive: config.keepAliveDisabled ? undefined : { intervalMs: config.keepAliveInterval, timeoutMs: config.keepAliveTimeout },
    scheduler: config.scheduler,
  };
}

/**
 * Judges each frame's header for a session of `version` and passes the good ones on as they
 * came (no allocation per frame). The first bad one is reported and everything after it is
 * dropped: Go's receive loop stops reading for good there (notes §10), and nothing sane can
 * follow. Bad: another version; an unknown command; SYN, FIN or NOP with a payload; UPD in v1
 * or with a length other than 8.
 */
export function decodeSmux(version: SmuxVersion, report: (error: WispError, bytes: Uint8Array) => void): OperatorFunction<TransportMessage, SplitMessage> {
  return (source$) =>
    new Observable<SplitMessage>((subscriber) => {
      let broken = false;
      return source$.subscribe({
        next(message) {
          if (broken) return;
          const frame: SplitMessage = isSplitMessage(message)
            ? message
            : { head: message.subarray(0, SMUX_HEADER_SIZE), body: message.subarray(SMUX_HEADER_SIZE) };
          const error = judge(frame.head, frame.body.length, version);
          if (error === undefined) return subscriber.next(frame);
          broken = true;
          report(error, frame.head);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}

/**
 * The header's verdict: a quick test passes the frames every session sees; anything else
 * goes to the codec's {@link checkHeader}, the one statement of the rules (and the errors).
 */
function judge(head: Uint8Array, length: number, version: SmuxVersion): WispError | undefined {
  if (head.length < SMUX_HEADER_SIZE) return new WispError('PacketTooShort', `an smux header needs 8 bytes, ${head.length} there`);
  const cmd = head[1];
  const plain =
    head[0] === version &&
    (cmd === SmuxCmd.Psh || (cmd <= SmuxCmd.Nop && length === 0) || (cmd === SmuxCmd.Upd && version === 2 && length === SMUX_UPD_SIZE));
  return plain ? undefined : checkHeader(decodeHeader(head), version);
}
