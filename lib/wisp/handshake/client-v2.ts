import { Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { WispError } from '../../errors.js';
import type { ProtocolExtension } from '../extensions/extension.js';
import { ExtensionId } from '../extensions/ids.js';
import { CloseReason } from '../packet/close-reason.js';
import { encodeClose, encodeInfo } from '../packet/encode.js';
import { PacketType, type InfoPacket, type Packet } from '../packet/types.js';
import type { HandshakeResult } from './result.js';
import { MAX_EARLY_PACKETS, StepTimer, describe, refusalError, settleAll, subscribeHandshake } from './steps.js';

/** Extension ids a v1 server provides implicitly (v1 mandates UDP). */
const V1_IMPLIED: ReadonlySet<number> = new Set([ExtensionId.Udp]);

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
 * Client side of the Wisp v2 handshake. Waits for the server's INFO, answers with this
 * side's INFO for the extensions both list (answering challenges), then waits for
 * CONTINUE(0). A CONTINUE first means a v1 server: the result says `downgraded`.
 * Emits a {@link HandshakeResult}, then passes later packets through.
 */
export function clientHandshakeV2(options: ClientV2Options): OperatorFunction<Packet, Packet | HandshakeResult> {
  return (source$) =>
    new Observable((subscriber) => {
      let state: 'first' | 'answering' | 'continue' | 'done' = 'first';
      let agreed: ProtocolExtension[] = [];
      let minor = 0;
      const held: Packet[] = [];
      const required = options.requiredExtensions ?? [];
      const fail = (error: unknown): void => {
        if (state === 'done') return;
        state = 'done';
        timer.stop();
        subscriber.error(error);
      };
      const timer = new StepTimer(options.timeoutMs, fail, options.scheduler);
      const finish = (result: HandshakeResult): void => {
        state = 'done';
        timer.stop();
        subscriber.next(result);
        for (const packet of held.splice(0)) subscriber.next(packet);
      };
      const refuse = (missing: number[]): void => {
        options.send(encodeClose(0, CloseReason.IncompatibleExtensions));
        fail(
          new WispError('ExtensionsNotSupported', `the server does not support required extensions ${missing.join(', ')}`, {
            reason: CloseReason.IncompatibleExtensions,
            extensionIds: missing,
          }),
        );
      };

      const answer = (info: InfoPacket): void => {
        if (info.major !== 2) {
          return fail(new WispError('IncompatibleProtocolVersion', `the server speaks Wisp ${info.major}.${info.minor}; this client speaks 2.x`));
        }
        minor = info.minor;
        const offered = new Map<number, Uint8Array>();
        for (const record of info.extensions) if (!offered.has(record.id)) offered.set(record.id, record.metadata);
        agreed = options.extensions.filter((e) => offered.has(e.id));
        const missing = required.filter((id) => !agreed.some((e) => e.id === id));
        if (missing.length > 0) return refuse(missing);
        for (const extension of agreed) extension.decodeMetadata(offered.get(extension.id)!);
        state = 'answering';
        settleAll(
          agreed.map((e) => e.encodeMetadata(offered.get(e.id))),
          (metadata) => {
            if (state !== 'answering') return;
            options.send(encodeInfo(0, 2, 0, agreed.map((e, i) => ({ id: e.id, metadata: metadata[i] }))));
            state = 'continue';
            timer.arm('CONTINUE from the server');
            for (const packet of held.splice(0)) onPacket(packet);
          },
          fail,
        );
      };

      const onPacket = (packet: Packet): void => {
        if (state === 'done') return subscriber.next(packet);
        if (state === 'answering') {
          if (held.push(packet) > MAX_EARLY_PACKETS) fail(new WispError('HandshakeFailed', 'too many packets during the handshake'));
          return;
        }
        const isStream0 = packet.streamId === 0 && !('extension' in packet);
        if (isStream0 && packet.type === PacketType.Close) return fail(refusalError(packet.reason, 'server'));
        if (isStream0 && packet.type === PacketType.Continue) {
          if (state === 'first') {
            const missing = required.filter((id) => !V1_IMPLIED.has(id));
            if (missing.length > 0) return refuse(missing);
            return finish({ kind: 'handshake', version: { major: 1, minor: 0 }, bufferSize: packet.bufferRemaining, downgraded: true, extensions: [] });
          }
          return finish({ kind: 'handshake', version: { major: 2, minor }, bufferSize: packet.bufferRemaining, downgraded: false, extensions: agreed });
        }
        if (isStream0 && packet.type === PacketType.Info && state === 'first') return answer(packet);
        fail(new WispError('HandshakeFailed', `unexpected ${describe(packet)} during the handshake`));
      };

      timer.arm('INFO or CONTINUE from the server');
      const upstream = subscribeHandshake(source$, subscriber, () => state === 'done', onPacket, fail);
      return () => {
        timer.stop();
        upstream.unsubscribe();
      };
    });
}
