import { finalize, map, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { WispError } from '../../lib/errors';
import type { ProtocolExtension } from '../../lib/wisp/extensions/extension';
import { answerWith } from '../../lib/wisp/handshake/answer-with';
import { authenticateWith } from '../../lib/wisp/handshake/authenticate-with';
import { HandshakeContext } from '../../lib/wisp/handshake/context';
import type { HandshakeValue, Negotiation } from '../../lib/wisp/handshake/negotiation';
import { handshakePhase } from '../../lib/wisp/handshake/phase';
import type { HandshakeResult } from '../../lib/wisp/handshake/result';
import { negotiationStage } from '../../lib/wisp/handshake/stage';
import { MAX_EARLY_PACKETS } from '../../lib/wisp/handshake/steps';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { decodePacket } from '../../lib/wisp/packet/decode';
import { PacketType, type Packet } from '../../lib/wisp/packet/types';

/** A thenable settled by the TestScheduler: an asynchronous extension step on virtual time. */
class VirtualPromise<T> implements PromiseLike<T> {
  private value: { v: T } | undefined;
  private readonly waiting: ((v: T) => void)[] = [];

  /** Typed as a Promise, as extensions declare theirs; the code under test only calls `then`. */
  static after<T>(ts: TestScheduler, frames: number, v: T): Promise<T> {
    const p = new VirtualPromise<T>();
    ts.schedule(() => p.resolve(v), frames);
    return p as unknown as Promise<T>;
  }

  resolve(v: T): void {
    this.value = { v };
    for (const run of this.waiting.splice(0)) run(v);
  }

  then<R1 = T, R2 = never>(onOk?: ((v: T) => R1 | PromiseLike<R1>) | null): PromiseLike<R1 | R2> {
    const next = new VirtualPromise<R1>();
    const run = (v: T): void => {
      const r = onOk ? onOk(v) : (v as unknown as R1);
      if (r !== null && typeof r === 'object' && 'then' in r) (r).then((x) => next.resolve(x));
      else next.resolve(r);
    };
    if (this.value) run(this.value.v);
    else this.waiting.push(run);
    return next;
  }
}

const data = (n: number): Packet => ({ type: PacketType.Data, streamId: 1, payload: new Uint8Array([n]) });
const ext = (id: number, fields: Partial<ProtocolExtension> = {}): ProtocolExtension => ({
  id,
  name: `test-${id}`,
  encodeMetadata: () => new Uint8Array([id]),
  decodeMetadata: () => {},
  ...fields,
});
const negotiation = (agreed: ProtocolExtension[], answers: Negotiation['answers'] = []): Negotiation => ({
  kind: 'negotiation',
  minor: 0,
  agreed,
  peerMetadata: new Map(agreed.map((e) => [e.id, new Uint8Array([0x40 + e.id])])),
  answers,
});

function setup() {
  const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  const sent: Packet[] = [];
  const failures: unknown[] = [];
  const context = new HandshakeContext({ timeoutMs: 100, scheduler: ts, send: (b) => sent.push(decodePacket(b)), refuseOverflow: true }, (e) => failures.push(e));
  return { ts, sent, failures, context };
}

describe('negotiationStage (the helper every extension stage is built on)', () => {
  it('passes packets while idle, holds them while its work is pending, then emits the answer and them in order', () => {
    const { ts, context } = setup();
    const n = negotiation([]);
    const answered = negotiation([], [{ id: 9, metadata: new Uint8Array([1]) }]);
    const stage = negotiationStage(context, () => VirtualPromise.after(ts, 4, answered));
    ts.run(({ cold, expectObservable }) => {
      const in$ = cold<HandshakeValue>('a-n-b-c----d', { a: data(1), n, b: data(2), c: data(3), d: data(4) });
      expectObservable(in$.pipe(stage)).toBe('a-----(xbc)d', { a: data(1), x: answered, b: data(2), c: data(3), d: data(4) });
    });
  });

  it('a work that throws fails the handshake, and nothing goes on', () => {
    const { ts, context, failures } = setup();
    const boom = new WispError('HandshakeFailed', 'boom');
    const stage = negotiationStage(context, () => {
      throw boom;
    });
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<HandshakeValue>('n-b', { n: negotiation([]), b: data(2) }).pipe(stage)).toBe('---');
    });
    expect(failures).toEqual([boom]);
  });

  it('holding more than MAX_EARLY_PACKETS refuses the client with Throttled (server)', () => {
    const { ts, context, failures, sent } = setup();
    const stage = negotiationStage(context, () => VirtualPromise.after(ts, 1000, negotiation([])));
    ts.run(({ cold, expectObservable }) => {
      const marbles = 'n' + 'b'.repeat(MAX_EARLY_PACKETS + 1);
      expectObservable(cold<HandshakeValue>(marbles, { n: negotiation([]), b: data(2) }).pipe(stage)).toBe('');
    });
    expect(sent).toEqual([{ type: PacketType.Close, streamId: 0, reason: CloseReason.Throttled }]);
    expect(failures).toEqual([expect.objectContaining({ code: 'HandshakeFailed', reason: CloseReason.Throttled })]);
  });
});

describe('authenticateWith (server, one stage per authenticating extension)', () => {
  it('lets the negotiation on at once when its extension was not agreed (authenticate is not called)', () => {
    const { ts, context } = setup();
    const authenticate = jest.fn(() => CloseReason.PasswordInvalid);
    const n = negotiation([ext(0x01)]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<HandshakeValue>('n-b', { n, b: data(2) }).pipe(authenticateWith(context, ext(0x02, { authenticate })))).toBe('n-b', { n, b: data(2) });
    });
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('waits for an asynchronous check, holding packets, and lets the negotiation on when it accepts', () => {
    const { ts, context } = setup();
    const auth = ext(0x02, { authenticate: () => VirtualPromise.after<number | undefined>(ts, 3, undefined) });
    const n = negotiation([auth]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<HandshakeValue>('nb', { n, b: data(2) }).pipe(authenticateWith(context, auth))).toBe('---(nb)', { n, b: data(2) });
    });
  });

  it('refuses with the reason the extension answers: CLOSE(0, reason) and the matching error code', () => {
    const { ts, context, sent, failures } = setup();
    const auth = ext(0x03, { authenticate: () => VirtualPromise.after<number | undefined>(ts, 2, CloseReason.SignatureInvalid) });
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<HandshakeValue>('nb', { n: negotiation([auth]), b: data(2) }).pipe(authenticateWith(context, auth))).toBe('');
    });
    expect(sent).toEqual([{ type: PacketType.Close, streamId: 0, reason: CloseReason.SignatureInvalid }]);
    expect(failures).toEqual([expect.objectContaining({ code: 'CertAuthExtensionSigInvalid', reason: CloseReason.SignatureInvalid })]);
  });
});

describe('answerWith (client, one stage per extension)', () => {
  it("adds its record, made from the server's metadata, to the answers; an unagreed one adds none", () => {
    const { ts, context } = setup();
    const a = ext(0x01, { encodeMetadata: (peer) => VirtualPromise.after<Uint8Array>(ts, 2, new Uint8Array([...(peer ?? []), 0xaa])) });
    const unused = ext(0x05);
    const n = negotiation([a]);
    const out = { ...n, answers: [{ id: 0x01, metadata: new Uint8Array([0x41, 0xaa]) }] };
    ts.run(({ cold, expectObservable }) => {
      const in$ = cold<HandshakeValue>('nb', { n, b: data(2) });
      expectObservable(in$.pipe(answerWith(context, unused), answerWith(context, a))).toBe('--(ob)', { o: out, b: data(2) });
    });
  });
});

describe('handshakePhase', () => {
  const result: HandshakeResult = { kind: 'handshake', version: { major: 2, minor: 0 }, bufferSize: 8, downgraded: false, extensions: [] };
  let ts: TestScheduler;
  /** Stages that take the first packet for the INFO exchange and settle `frames` later; they log their teardown. */
  const settleAfter =
    (frames: number, log: string[]) =>
    (context: HandshakeContext): OperatorFunction<Packet, HandshakeValue> =>
    (packet$) =>
      packet$.pipe(
        map((packet, i): HandshakeValue => (i === 0 ? negotiation([]) : packet)),
        negotiationStage(context, () => (frames === 0 ? result : VirtualPromise.after(ts, frames, result))),
        finalize(() => log.push('stages torn down')),
      );

  it.each([
    ['asynchronously', 3, '---(rb)-c'],
    ['synchronously', 0, 'r-b-----c'],
  ])('drops the stages as soon as the result is out (settled %s): later packets pass straight through', (_, frames, expected) => {
    ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const log: string[] = [];
    let beforeNextPacket: string[] = [];
    const op = handshakePhase({ timeoutMs: 50, scheduler: ts, send: () => {}, refuseOverflow: true, firstStep: 'test' }, settleAfter(frames, log));
    ts.run(({ cold, expectObservable }) => {
      const in$ = cold<Packet>('a-b-----c', { a: data(1), b: data(2), c: data(3) });
      expectObservable(in$.pipe(op)).toBe(expected, { r: result, b: data(2), c: data(3) });
      ts.schedule(() => (beforeNextPacket = [...log]), 7);
    });
    expect(beforeNextPacket).toEqual(['stages torn down']);
  });

  it('fails with HandshakeTimeout when the stages do not settle within the step time', () => {
    ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const op = handshakePhase({ timeoutMs: 5, scheduler: ts, send: () => {}, refuseOverflow: true, firstStep: 'the test step' }, settleAfter(9, []));
    ts.run(({ cold, expectObservable }) => {
      const error = new WispError('HandshakeTimeout', 'handshake step timed out after 5 ms: the test step');
      expectObservable(cold<Packet>('a', { a: data(1) }).pipe(op)).toBe('-----#', undefined, error);
    });
  });

  it('unsubscribed before it settles: tears the stages down at once, not at its step timeout', () => {
    ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const log: string[] = [];
    let atUnsubscribe: string[] = [];
    const op = handshakePhase({ timeoutMs: 5, scheduler: ts, send: () => {}, refuseOverflow: true, firstStep: 'the test step' }, settleAfter(20, log));
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<Packet>('a', { a: data(1) }).pipe(op), '--!').toBe('');
      ts.schedule(() => (atUnsubscribe = [...log]), 2);
    });
    expect(atUnsubscribe).toEqual(['stages torn down']);
  });
});
