import { Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { WispError } from '../../errors.js';
import type { ProtocolExtension } from '../extensions/extension.js';
import { ExtensionId } from '../extensions/ids.js';
import { CloseReason } from '../packet/close-reason.js';
import { encodeClose, encodeContinue, encodeInfo } from '../packet/encode.js';
import { PacketType, type InfoPacket, type Packet } from '../packet/types.js';
import type { HandshakeResult } from './result.js';
import { MAX_EARLY_PACKETS, StepTimer, describe, refusalError, settle, settleAll, withReason, subscribeHandshake } from './steps.js';

/** Authentication extensions: password (0x02) and Ed25519 key auth (0x03). */
const AUTH_IDS: ReadonlySet<number> = new Set([ExtensionId.Password, ExtensionId.KeyAuth]);

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

/**
 * Server side of the Wisp v2 handshake: sends INFO with this side's extensions, reads the
 * client's INFO, checks required extensions and runs each agreed extension's authentication,
 * then sends CONTINUE(0, bufferSize) — or CLOSE(0, reason) and errors with the matching code
 * (`PasswordExtensionCredsInvalid`, `CertAuthExtensionSigInvalid`, `AuthRequired`,
 * `ExtensionsNotSupported`, `HandshakeTimeout`, …). Emits a {@link HandshakeResult}, then any
 * packets the client sent early, then the rest.
 */
export function serverHandshakeV2(options: ServerV2Options): OperatorFunction<Packet, Packet | HandshakeResult> {
  return (source$) =>
    new Observable((subscriber) => {
      let state: 'announcing' | 'info' | 'auth' | 'done' = 'announcing';
      const held: Packet[] = [];
      const fail = (error: unknown): void => {
        if (state === 'done') return;
        state = 'done';
        timer.stop();
        subscriber.error(error);
      };
      const timer = new StepTimer(options.timeoutMs, fail, options.scheduler);
      const refuse = (reason: number, error: WispError): void => {
        options.send(encodeClose(0, reason));
        fail(withReason(error, reason));
      };

      const authenticate = (agreed: ProtocolExtension[], minor: number, index: number): void => {
        if (state !== 'auth') return;
        if (index === agreed.length) {
          options.send(encodeContinue(0, options.bufferSize));
          state = 'done';
          timer.stop();
          subscriber.next({ kind: 'handshake', version: { major: 2, minor }, bufferSize: options.bufferSize, downgraded: false, extensions: agreed });
          for (const packet of held.splice(0)) subscriber.next(packet);
          return;
        }
        const extension = agreed[index];
        settle(
          extension.authenticate ? extension.authenticate() : undefined,
          (reason) => {
            if (reason === undefined) authenticate(agreed, minor, index + 1);
            else if (state === 'auth') refuse(reason, refusalError(reason, 'client'));
          },
          (error) => refuse(CloseReason.Unknown, new WispError('HandshakeFailed', `extension ${extension.name} failed`, { cause: error })),
        );
      };

      const onInfo = (info: InfoPacket): void => {
        if (info.major !== 2) {
          return refuse(
            CloseReason.IncompatibleExtensions,
            new WispError('IncompatibleProtocolVersion', `the client speaks Wisp ${info.major}.${info.minor}; this server speaks 2.x`),
          );
        }
        const answered = new Map<number, Uint8Array>();
        for (const record of info.extensions) if (!answered.has(record.id)) answered.set(record.id, record.metadata);
        // Password and key auth are alternatives: answering any auth extension the server
        // offers satisfies a required one (the client picks its method).
        const answeredAuth = options.extensions.some((e) => AUTH_IDS.has(e.id) && answered.has(e.id));
        for (const extension of options.extensions) {
          if (extension.requiredOfPeer && !answered.has(extension.id) && !(answeredAuth && AUTH_IDS.has(extension.id))) {
            const reason = extension.missingReason ?? CloseReason.IncompatibleExtensions;
            return refuse(reason, refusalError(reason, 'client', [extension.id]));
          }
        }
        const agreed = options.extensions.filter((e) => answered.has(e.id));
        const missing = (options.requiredExtensions ?? []).filter((id) => !agreed.some((e) => e.id === id));
        if (missing.length > 0) {
          return refuse(
            CloseReason.IncompatibleExtensions,
            new WispError('ExtensionsNotSupported', `the client does not support required extensions ${missing.join(', ')}`, { extensionIds: missing }),
          );
        }
        for (const extension of agreed) {
          try {
            extension.decodeMetadata(answered.get(extension.id)!);
          } catch (error) {
            const reason = error instanceof WispError && error.reason !== undefined ? error.reason : CloseReason.InvalidInfo;
            return refuse(reason, error instanceof WispError ? error : new WispError('InvalidExtensionMetadata', String(error)));
          }
        }
        state = 'auth';
        timer.arm('authentication');
        authenticate(agreed, Math.min(0, info.minor), 0);
      };

      const onPacket = (packet: Packet): void => {
        if (state === 'done') return subscriber.next(packet);
        if (state === 'info' && packet.type === PacketType.Info && packet.streamId === 0 && !('extension' in packet)) {
          return onInfo(packet);
        }
        if (state === 'info' && packet.type === PacketType.Close && packet.streamId === 0 && !('extension' in packet)) {
          return fail(refusalError(packet.reason, 'client'));
        }
        if (state === 'info') {
          return refuse(CloseReason.InvalidInfo, new WispError('HandshakeFailed', `expected the client's INFO, got ${describe(packet)}`));
        }
        if (held.push(packet) > MAX_EARLY_PACKETS) {
          refuse(CloseReason.Throttled, new WispError('HandshakeFailed', 'too many packets during the handshake'));
        }
      };

      const upstream = subscribeHandshake(source$, subscriber, () => state === 'done', onPacket, fail);
      timer.arm("the client's INFO");
      settleAll(
        options.extensions.map((e) => e.encodeMetadata()),
        (metadata) => {
          if (state !== 'announcing') return;
          options.send(encodeInfo(0, 2, 0, options.extensions.map((e, i) => ({ id: e.id, metadata: metadata[i] }))));
          state = 'info';
          for (const packet of held.splice(0)) onPacket(packet);
        },
        fail,
      );
      return () => {
        timer.stop();
        upstream.unsubscribe();
      };
    });
}
