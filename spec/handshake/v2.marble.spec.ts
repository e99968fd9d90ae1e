import { TestScheduler } from 'rxjs/testing';
import { clientHandshakeV2 } from '../../lib/wisp/handshake/client-v2';
import { serverHandshakeV2 } from '../../lib/wisp/handshake/server-v2';
import type { HandshakeResult } from '../../lib/wisp/handshake/result';
import type { ProtocolExtension } from '../../lib/wisp/extensions/extension';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { decodePacket } from '../../lib/wisp/packet/decode';
import { PacketType, type Packet } from '../../lib/wisp/packet/types';
import { failTest } from '../observers';

/** A synchronous test extension, so the operators stay on virtual time. */
function ext(id: number, behaviour: Partial<ProtocolExtension> & { answer?: number[] } = {}): ProtocolExtension & { peer?: number[] } {
  const e: ProtocolExtension & { peer?: number[] } = {
    id,
    name: `test-${id}`,
    encodeMetadata: () => new Uint8Array(behaviour.answer ?? [id]),
    decodeMetadata(metadata) {
      e.peer = [...metadata];
    },
    ...behaviour,
  };
  return e;
}

const info = (major: number, ids: number[]): Packet => ({
  type: PacketType.Info,
  streamId: 0,
  major,
  minor: 0,
  extensions: ids.map((id) => ({ id, metadata: new Uint8Array([id]) })),
});
const cont: Packet = { type: PacketType.Continue, streamId: 0, bufferRemaining: 32 };
const close = (reason: number): Packet => ({ type: PacketType.Close, streamId: 0, reason });
const data: Packet = { type: PacketType.Data, streamId: 1, payload: new Uint8Array([7]) };
const connect: Packet = { type: PacketType.Connect, streamId: 1, streamType: 1, port: 80, hostname: 'a.test' };

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

function result(fields: Partial<HandshakeResult>): HandshakeResult {
  return { kind: 'handshake', version: { major: 2, minor: 0 }, bufferSize: 32, downgraded: false, extensions: [], ...fields };
}

describe('v2 client handshake (marbles)', () => {
  function client(extensions: ProtocolExtension[], required: number[] = [], timeoutMs = 10) {
    const sent: Packet[] = [];
    const ts = scheduler();
    const op = clientHandshakeV2({ timeoutMs, scheduler: ts, extensions, requiredExtensions: required, send: (b) => sent.push(decodePacket(b)) });
    return { ts, op, sent };
  }

  it('answers INFO with the agreed extensions, then is ready on CONTINUE', () => {
    const udp = ext(0x01);
    const motd = ext(0x04, { answer: [] });
    const unused = ext(0x09);
    const { ts, op, sent } = client([udp, motd, unused]);
    ts.run(({ cold, expectObservable, flush }) => {
      const out$ = cold('-i-k-d', { i: info(2, [0x01, 0x04, 0x77]), k: cont, d: data }).pipe(op);
      expectObservable(out$).toBe('---r-d', { r: result({ extensions: [udp, motd] }), d: data });
      flush();
    });
    expect(sent).toEqual([{ type: PacketType.Info, streamId: 0, major: 2, minor: 0, extensions: [
      { id: 0x01, metadata: new Uint8Array([0x01]) },
      { id: 0x04, metadata: new Uint8Array([]) },
    ] }]);
    expect(udp.peer).toEqual([0x01]); // the server's metadata was handed to the extension
  });

  it('falls back to v1 when CONTINUE comes first (downgraded)', () => {
    const { ts, op, sent } = client([ext(0x01)], [0x01]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-k', { k: cont }).pipe(op)).toBe('-r', {
        r: result({ version: { major: 1, minor: 0 }, downgraded: true }),
      });
    });
    expect(sent).toEqual([]);
  });

  it('rejects a server with another major version', () => {
    const { ts, op } = client([]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-i', { i: info(3, []) }).pipe(op)).toBe('-#', undefined, expect.objectContaining({ code: 'IncompatibleProtocolVersion' }));
    });
  });

  it.each([
    [CloseReason.PasswordInvalid, 'PasswordExtensionCredsInvalid'],
    [CloseReason.SignatureInvalid, 'CertAuthExtensionSigInvalid'],
    [CloseReason.AuthRequired, 'AuthRequired'],
    [CloseReason.HostBlocked, 'ConnectionClosedByPeer'],
  ])('maps the server refusing with CLOSE(0, %i) to %s', (reason, code) => {
    const { ts, op } = client([ext(0x02)]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-i-x', { i: info(2, [0x02]), x: close(reason) }).pipe(op)).toBe(
        '---#', undefined, expect.objectContaining({ code, reason }),
      );
    });
  });

  it('sends CLOSE(0, 0x04) and fails when a required extension is missing', () => {
    const { ts, op, sent } = client([ext(0x01), ext(0x05)], [0x05]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-i', { i: info(2, [0x01]) }).pipe(op)).toBe(
        '-#', undefined, expect.objectContaining({ code: 'ExtensionsNotSupported', extensionIds: [0x05] }),
      );
    });
    expect(sent).toEqual([close(CloseReason.IncompatibleExtensions)]);
  });

  it('times out waiting for INFO, and again waiting for CONTINUE', () => {
    const first = client([], [], 5);
    first.ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-------i', { i: info(2, []) }).pipe(first.op)).toBe('-----#', undefined, expect.objectContaining({ code: 'HandshakeTimeout' }));
    });
    const second = client([], [], 5);
    second.ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('--i-------k', { i: info(2, []), k: cont }).pipe(second.op)).toBe('-------#', undefined, expect.objectContaining({ code: 'HandshakeTimeout' }));
    });
  });
});

describe('v2 server handshake (marbles)', () => {
  function server(extensions: ProtocolExtension[], required: number[] = [], timeoutMs = 10) {
    const sent: Packet[] = [];
    const ts = scheduler();
    const op = serverHandshakeV2({ bufferSize: 32, timeoutMs, scheduler: ts, extensions, requiredExtensions: required, send: (b) => sent.push(decodePacket(b)) });
    return { ts, op, sent };
  }

  it('announces INFO, accepts the client INFO, sends CONTINUE, then replays early packets', () => {
    const udp = ext(0x01);
    const { ts, op, sent } = server([udp, ext(0x04)]);
    ts.run(({ cold, expectObservable, flush }) => {
      const out$ = cold('-i-d', { i: info(2, [0x01, 0x42]), d: data }).pipe(op);
      expectObservable(out$).toBe('-r-d', { r: result({ extensions: [udp] }), d: data });
      flush();
    });
    expect(sent).toEqual([info(2, [0x01, 0x04]), cont]);
  });

  it('holds packets that arrive while authentication runs and delivers them after', async () => {
    let approve!: (v: number | undefined) => void;
    const auth = ext(0x02, { authenticate: () => new Promise<number | undefined>((r) => (approve = r)) });
    const sent: Packet[] = [];
    const seen: unknown[] = [];
    const { Subject } = await import('rxjs');
    const inputSubject = new Subject<Packet>();
    let twoSeen!: () => void;
    const delivered = new Promise<void>((r) => (twoSeen = r));
    const next = (v: unknown): void => {
      if (seen.push(v) === 2) twoSeen();
    };
    inputSubject.pipe(serverHandshakeV2({ bufferSize: 32, timeoutMs: 1000, extensions: [auth], send: (b) => sent.push(decodePacket(b)) })).subscribe({ next, error: failTest });
    inputSubject.next(info(2, [0x02]));
    inputSubject.next(connect);
    expect(seen).toEqual([]);
    expect(sent.map((p) => p.type)).toEqual([PacketType.Info]);
    approve(undefined);
    await delivered;
    expect(seen).toEqual([result({ extensions: [auth] }), connect]);
    expect(sent.map((p) => p.type)).toEqual([PacketType.Info, PacketType.Continue]);
  });

  it('refuses wrong credentials with CLOSE(0, 0xc0)', () => {
    const { ts, op, sent } = server([ext(0x02, { authenticate: () => CloseReason.PasswordInvalid })]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-i', { i: info(2, [0x02]) }).pipe(op)).toBe('-#', undefined, expect.objectContaining({ code: 'PasswordExtensionCredsInvalid' }));
    });
    expect(sent[1]).toEqual(close(CloseReason.PasswordInvalid));
  });

  it('refuses a bad signature with CLOSE(0, 0xc1)', () => {
    const { ts, op, sent } = server([ext(0x03, { authenticate: () => CloseReason.SignatureInvalid })]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-i', { i: info(2, [0x03]) }).pipe(op)).toBe('-#', undefined, expect.objectContaining({ code: 'CertAuthExtensionSigInvalid' }));
    });
    expect(sent[1]).toEqual(close(CloseReason.SignatureInvalid));
  });

  it('refuses a client that skips required auth with its missing reason (0xc2)', () => {
    const { ts, op, sent } = server([ext(0x02, { requiredOfPeer: true, missingReason: CloseReason.AuthRequired })]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-i', { i: info(2, []) }).pipe(op)).toBe('-#', undefined, expect.objectContaining({ code: 'AuthRequired' }));
    });
    expect(sent[1]).toEqual(close(CloseReason.AuthRequired));
  });

  it('accepts either auth method when both are required', () => {
    const password = ext(0x02, { requiredOfPeer: true, missingReason: CloseReason.AuthRequired });
    const key = ext(0x03, { requiredOfPeer: true, missingReason: CloseReason.AuthRequired, authenticate: () => undefined });
    const { ts, op } = server([password, key]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-i', { i: info(2, [0x03]) }).pipe(op)).toBe('-r', { r: result({ extensions: [key] }) });
    });
  });

  it('refuses with CLOSE(0, 0x04) when a required extension is not agreed', () => {
    const { ts, op, sent } = server([ext(0x01), ext(0x05)], [0x05]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-i', { i: info(2, [0x01]) }).pipe(op)).toBe(
        '-#', undefined, expect.objectContaining({ code: 'ExtensionsNotSupported', extensionIds: [0x05] }),
      );
    });
    expect(sent[1]).toEqual(close(CloseReason.IncompatibleExtensions));
  });

  it('cuts a client that never sends INFO at the timeout', () => {
    const { ts, op } = server([], [], 4);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('--------i', { i: info(2, []) }).pipe(op)).toBe('----#', undefined, expect.objectContaining({ code: 'HandshakeTimeout' }));
    });
  });

  it('refuses a first packet that is not INFO', () => {
    const { ts, op, sent } = server([]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-c', { c: connect }).pipe(op)).toBe('-#', undefined, expect.objectContaining({ code: 'HandshakeFailed' }));
    });
    expect(sent[1]).toEqual(close(CloseReason.InvalidInfo));
  });
});
