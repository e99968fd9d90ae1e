/**
 * Session-level fuzz: random frame sequences (good, odd and bad), cut into random chunks,
 * fed by a raw client to a wisp-rx server session. Against a model of the documented
 * outcomes: the streams accepted, the bytes each one delivers, the typed errors in order,
 * and that the session ends (never a crash or a hang). FUZZ_RUNS / FUZZ_SEED as in
 * frame.property.spec.ts (default 200 here: each run is a session).
 */
import { fuzzParams } from '../support/fuzz';
import fc from 'fast-check';
import { firstValueFrom, timeout } from 'rxjs';
import { SmuxCmd, encodeFrame, encodeUpdFrame, type SmuxVersion } from '../../lib/smux/frame';
import { SmuxSession } from '../../lib/smux/session';
import { memoryTransportPair } from '../../lib/transport/memory';
import { rawPeer, until } from './helpers';


type Op = { readonly kind: 'syn' | 'psh' | 'fin' | 'nop' | 'upd' | 'bad'; readonly sid: number; readonly size: number };

const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<Op['kind']>('syn', 'syn', 'psh', 'psh', 'psh', 'fin', 'nop', 'upd', 'bad'),
  sid: fc.integer({ min: 0, max: 9 }),
  size: fc.integer({ min: 0, max: 700 }),
});

function encode(version: SmuxVersion, { kind, sid, size }: Op, seq: number): Uint8Array {
  switch (kind) {
    case 'syn':
      return encodeFrame(version, SmuxCmd.Syn, sid);
    case 'psh':
      return encodeFrame(version, SmuxCmd.Psh, sid, new Uint8Array(size).fill(seq & 0xff));
    case 'fin':
      return encodeFrame(version, SmuxCmd.Fin, sid);
    case 'nop':
      return encodeFrame(version, SmuxCmd.Nop, sid);
    case 'upd': {
      const frame = encodeUpdFrame(sid, 0, 65536);
      frame[0] = version;
      return frame;
    }
    case 'bad':
      return encodeFrame(version, size % 2 === 0 ? SmuxCmd.Syn : SmuxCmd.Nop, sid, new Uint8Array(1 + (size % 5)));
  }
}

interface Expected {
  readonly data: Map<number, number[]>;
  readonly errors: string[];
  readonly fatal: boolean;
}

/** What the session must do with `ops`, per the documented outcomes (README "smux"). */
function model(version: SmuxVersion, ops: readonly Op[]): Expected {
  const data = new Map<number, number[]>();
  const finished = new Set<number>();
  const errors: string[] = [];
  for (const [seq, { kind, sid, size }] of ops.entries()) {
    if (kind === 'bad' || (kind === 'upd' && version === 1)) {
      errors.push('InvalidFrame');
      return { data, errors, fatal: true };
    }
    if (kind === 'syn') {
      if (data.has(sid)) errors.push('InvalidStreamId');
      else if (sid === 0 || sid % 2 === 0) errors.push('InvalidStreamId');
      else data.set(sid, []);
    } else if (kind === 'psh' && data.has(sid) && !finished.has(sid)) {
      for (let i = 0; i < size; i++) data.get(sid)!.push(seq & 0xff);
    } else if (kind === 'fin' && data.has(sid)) finished.add(sid);
  }
  return { data, errors, fatal: false };
}

describe('an smux server session fed random frames in random chunks', () => {
  it.each([1, 2] as const)('v%i: accepts, delivers and reports exactly what the model says, and always ends', async (version) => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 20 }), async (ops, cuts) => {
        const [a, b] = memoryTransportPair();
        const peer = rawPeer(a);
        const session = await SmuxSession.server(b, { version, keepAliveDisabled: true });
        const errors: string[] = [];
        session.errors$.subscribe({ next: (e) => errors.push(e.code), error: () => errors.push('errors$ failed') });
        const got = new Map<number, number[]>();
        session.streams$.subscribe({
          next: (stream) => {
            const bytes: number[] = [];
            got.set(stream.id, bytes);
            stream.data$.subscribe({ next: (chunk) => bytes.push(...chunk), error: () => undefined });
          },
          error: () => undefined,
        });
        const all = Buffer.concat(ops.map((o, seq) => encode(version, o, seq)));
        let at = 0;
        for (const cut of cuts) {
          if (at >= all.length) break;
          peer.send(all.subarray(at, at + cut));
          at += cut;
        }
        if (at < all.length) peer.send(all.subarray(at));
        const expected = model(version, ops);
        const end = firstValueFrom(session.closed$.pipe(timeout(5000)));
        // Everything sent has been handled once the session answered a final probe (or ended).
        if (!expected.fatal) {
          peer.send(encodeFrame(version, SmuxCmd.Syn, 10_001));
          await until(() => got.has(10_001) || session.debugState().ended);
          got.delete(10_001);
        }
        peer.end();
        await end;
        expect(errors).toEqual(expected.errors);
        expect(new Map([...got].sort(([x], [y]) => x - y))).toEqual(new Map([...expected.data].sort(([x], [y]) => x - y)));
      }),
      fuzzParams(2000, 10),
    );
  }, 120_000);
});
