import { TestScheduler } from 'rxjs/testing';
import { Subject } from 'rxjs';
import { serverHandshakeDirect } from '../../lib/wisp/handshake/server-v2-direct';
import { serverHandshakeStages, type ServerV2Options } from '../../lib/wisp/handshake/server-v2';
import type { ProtocolExtension } from '../../lib/wisp/extensions/extension';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { decodePacket } from '../../lib/wisp/packet/decode';
import { PacketType, type Packet } from '../../lib/wisp/packet/types';
import { MAX_EARLY_PACKETS } from '../../lib/wisp/handshake/steps';
import { failTest } from '../observers';

// The direct server handshake (no authenticating extension) must do exactly what the stage
// pipeline does: the same values, errors, timing and packets sent, for every kind of client.

function ext(id: number, extra: Partial<ProtocolExtension> = {}): ProtocolExtension {
  return { id, name: `test-${id}`, encodeMetadata: () => new Uint8Array([id]), decodeMetadata: () => undefined, ...extra };
}
const info = (major: number, ids: number[], minor = 0): Packet => ({
  type: PacketType.Info,
  streamId: 0,
  major,
  minor,
  extensions: ids.map((id) => ({ id, metadata: new Uint8Array([id]) })),
});
const data: Packet = { type: PacketType.Data, streamId: 1, payload: new Uint8Array([7]) };
const connect: Packet = { type: PacketType.Connect, streamId: 1, streamType: 1, port: 80, hostname: 'a.test' };
const close: Packet = { type: PacketType.Close, streamId: 0, reason: CloseReason.Voluntary };
const values = { i: info(2, [0x01, 0x42]), v: info(1, []), n: info(2, [0x01], 3), d: data, c: connect, x: close };

type Make = (options: ServerV2Options) => ReturnType<typeof serverHandshakeDirect>;

/** The marbles and the packets sent by one handshake operator for `input`. */
function run(make: Make, input: string, extensions: () => ProtocolExtension[], required: number[] = []) {
  const sent: Packet[] = [];
  const seen: string[] = [];
  const ts = new TestScheduler(() => undefined);
  ts.run(({ cold }) => {
    const op = make({ bufferSize: 32, timeoutMs: 10, scheduler: ts, extensions: extensions(), requiredExtensions: required, send: (b) => sent.push(decodePacket(b)) });
    cold(input, values)
      .pipe(op)
      .subscribe({
        next: (v) => seen.push(`${ts.now()} next ${JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? [...x] : x))}`),
        error: (e: { code?: string; reason?: number }) => seen.push(`${ts.now()} error ${e.code} ${e.reason}`),
        complete: () => seen.push(`${ts.now()} complete`),
      });
  });
  return { seen, sent };
}

const cases: [string, string, () => ProtocolExtension[], number[]][] = [
  ['accepts and passes later packets on', '-i-d-c|', () => [ext(0x01), ext(0x04)], []],
  ['keeps the lower minor version', '-n-d', () => [ext(0x01)], []],
  ['refuses another major version', '-v', () => [ext(0x01)], []],
  ['refuses a missing required extension', '-i', () => [ext(0x01), ext(0x05)], [0x05]],
  ['refuses a client without an extension it must have', '-i', () => [ext(0x07, { requiredOfPeer: true })], []],
  ['refuses metadata it cannot read', '-i', () => [ext(0x01, { decodeMetadata: () => { throw new Error('bad'); } })], []],
  ['fails on the client closing', '-x', () => [], []],
  ['refuses a first packet that is not INFO', '-d-i', () => [ext(0x01)], []],
  ['times out waiting for INFO', '------------i', () => [ext(0x01)], []],
  ['fails on an early end', '--|', () => [ext(0x01)], []],
  ['fails on an upstream error', '--#', () => [ext(0x01)], []],
  ['passes an error on after the handshake', '-i-#', () => [ext(0x01)], []],
];

describe('direct v2 server handshake = the stage pipeline', () => {
  it.each(cases)('%s', (...[, input, extensions, required]) => {
    const direct = run(serverHandshakeDirect, input, extensions, required);
    const stages = run(serverHandshakeStages, input, extensions, required);
    expect(direct.seen.length).toBeGreaterThan(0);
    expect(direct).toEqual(stages);
  });

  it('holds packets while an extension announces asynchronously, and refuses too many', async () => {
    for (const make of [serverHandshakeDirect, serverHandshakeStages] as Make[]) {
      let announce!: (metadata: Uint8Array) => void;
      const slow = ext(0x01, { encodeMetadata: () => new Promise<Uint8Array>((r) => (announce = r)) });
      const sent: Packet[] = [];
      const seen: unknown[] = [];
      const input$ = new Subject<Packet>();
      const subscription = input$.pipe(make({ bufferSize: 32, timeoutMs: 1000, extensions: [slow], send: (b) => sent.push(decodePacket(b)) })).subscribe({ next: (v) => seen.push(v), error: failTest });
      input$.next(info(2, [0x01]));
      input$.next(connect);
      expect(sent).toEqual([]);
      announce(new Uint8Array([9]));
      await Promise.resolve();
      await Promise.resolve();
      expect(sent.map((p) => p.type)).toEqual([PacketType.Info, PacketType.Continue]);
      expect(seen).toEqual([expect.objectContaining({ kind: 'handshake', extensions: [slow] }), connect]);
      subscription.unsubscribe();

      const errors: unknown[] = [];
      const flood$ = new Subject<Packet>();
      const slower = ext(0x01, { encodeMetadata: () => new Promise<Uint8Array>(() => undefined) });
      const sentFlood: Packet[] = [];
      flood$.pipe(make({ bufferSize: 32, timeoutMs: 1000, extensions: [slower], send: (b) => sentFlood.push(decodePacket(b)) })).subscribe({ error: (e) => errors.push(e) });
      for (let i = 0; i <= MAX_EARLY_PACKETS; i++) flood$.next(data);
      expect(errors).toEqual([expect.objectContaining({ code: 'HandshakeFailed' })]);
      expect(sentFlood).toEqual([{ type: PacketType.Close, streamId: 0, reason: CloseReason.Throttled }]);
    }
  });
});
