/**
 * Version 1 (net-mux 1.0) has no packaged peer here, so wisp-rx's version 1 is checked
 * against the behaviour written down in /work/shared/net-mux-notes.md, case by case: one row
 * per rule (its section in the notes), each run against a wisp-rx session with a raw peer on
 * the other end of a memory pair. Where wisp-rx deliberately differs, the row says so
 * (`differs`) and checks what wisp-rx does instead.
 */
import { firstValueFrom } from 'rxjs';
import type { MuxEnd } from '../../lib/core/settings';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { YamuxFlag, YamuxType, encodeControl, encodeData, encodePing, encodeWindowUpdate } from '../../lib/yamux/frame';
import { YamuxReason, resolveYamuxConfig, type YamuxConfig } from '../../lib/yamux/config';
import type { YamuxSession } from '../../lib/yamux/session';
import { failTest } from '../observers';
import { settled, within } from '../support/within';
import { readAll, sessionWithRawPeer, total, until, virtualTime, type RawPeer } from './helpers';

interface Harness {
  readonly session: YamuxSession;
  readonly peer: RawPeer;
  readonly incoming: MuxStream[];
  readonly end: Promise<MuxEnd>;
  readonly errors: string[];
  /** Waits until the peer has seen `frame` (`Type FLAGS id length`). */
  saw(frame: string): Promise<void>;
  /** Sends a Ping and waits for its reply: everything sent before it has been handled. */
  settle(): Promise<void>;
}

interface Row {
  readonly ref: string;
  readonly rule: string;
  /** wisp-rx does otherwise, on purpose; the row checks what it does. */
  readonly differs?: string;
  readonly role?: 'client' | 'server';
  readonly config?: YamuxConfig;
  /** The session's streams$ is taken (so streams are accepted and ACKed) unless false. */
  readonly accept?: boolean;
  run(h: Harness): Promise<void>;
}

const syn = (id: number, payload?: Uint8Array): Uint8Array => encodeData(1, YamuxFlag.Syn, id, payload);
const data = (id: number, n: number, flags = 0): Uint8Array => encodeData(1, flags, id, new Uint8Array(n).fill(7));
const goAway = (code: number): Uint8Array => encodeControl(1, YamuxType.GoAway, 0, 0, code);
const header = (type: number, flags: number, id: number, length: number, version = 1): Uint8Array => {
  const frame = encodeControl(1, YamuxType.Ping, 0, 0, 0);
  frame[0] = version;
  frame[1] = type;
  frame[2] = flags >>> 8;
  frame[3] = flags & 0xff;
  new DataView(frame.buffer).setUint32(4, id);
  new DataView(frame.buffer).setUint32(8, length);
  return frame;
};
const fatal = async (h: Harness, code: number = YamuxReason.ProtocolError): Promise<void> => {
  await within(h.end, 5000, 'the session ending');
  await h.saw(`GoAway - 0 ${code}`);
  await until(() => h.peer.closed(), 5000, 'the transport closing');
};

const ROWS: readonly Row[] = [
  {
    ref: 'A1',
    rule: '12-byte big-endian header: version 1, type, flags u16, stream id u32, length u32',
    role: 'client',
    async run(h) {
      h.session.open().catch(() => undefined);
      await until(() => h.peer.frames.length === 1);
      expect([...encodeData(1, YamuxFlag.Syn, 1)]).toEqual([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
      expect(h.peer.seen()).toEqual(['Data SYN 1 0']);
    },
  },
  { ref: 'A1', rule: 'a version byte other than 1 is a protocol error (GoAway 1)', run: async (h) => (h.peer.send(header(2, 1, 0, 5, 0)), fatal(h)) },
  { ref: 'A1', rule: 'an unknown type is a protocol error', run: async (h) => (h.peer.send(header(4, 0, 0, 0)), fatal(h)) },
  { ref: 'A1', rule: 'any flag bit beyond SYN/ACK/FIN/RST is a protocol error', run: async (h) => (h.peer.send(header(0, 0x10, 1, 0)), fatal(h)) },
  { ref: 'A1', rule: 'a Data payload over max_frame_size (64 KiB) is a protocol error', run: async (h) => (h.peer.send(syn(1)), h.peer.send(data(1, 64 * 1024 + 1)), fatal(h)) },
  {
    ref: 'A1',
    rule: 'we never send a Data payload over 64 KiB (a 200 KiB write is cut)',
    async run(h) {
      h.peer.send(syn(1));
      await until(() => h.incoming.length === 1);
      h.incoming[0].write(new Uint8Array(200 * 1024)).catch(() => undefined);
      await until(() => total(h.peer.frames.filter((f) => f.header.type === 0).map((f) => f.body)) === 200 * 1024);
      expect(Math.max(...h.peer.frames.filter((f) => f.header.type === 0).map((f) => f.header.length))).toBe(64 * 1024);
    },
  },
  { ref: 'A2', rule: 'Data on stream 0 is a protocol error', run: async (h) => (h.peer.send(data(0, 1)), fatal(h)) },
  {
    ref: 'A2',
    rule: 'flags on WindowUpdate are ignored (a WindowUpdate{SYN} opens nothing)',
    async run(h) {
      h.peer.send(encodeWindowUpdate(1, YamuxFlag.Syn, 1, 0));
      await h.settle();
      expect(h.session.streamCount).toBe(0);
    },
  },
  {
    ref: 'A2/A6',
    rule: 'any Ping without ACK is answered with Ping{ACK} and the same opaque; a stray ACK is ignored',
    async run(h) {
      h.peer.send(encodePing(1, 0, 5));
      h.peer.send(encodePing(1, YamuxFlag.Syn, 6));
      h.peer.send(encodePing(1, YamuxFlag.Ack, 7));
      await h.settle();
      expect(h.peer.seen().slice(0, 2)).toEqual(['Ping ACK 0 5', 'Ping ACK 0 6']);
    },
  },
  {
    ref: 'A2/A6',
    rule: 'our Ping requests carry no flags (as net-mux sends them) and resolve on the ACK',
    async run(h) {
      const rtt = h.session.ping();
      await until(() => h.peer.seen().length === 1);
      expect(h.peer.seen()).toEqual(['Ping - 0 1']);
      h.peer.send(encodePing(1, YamuxFlag.Ack, 1));
      expect(await within(rtt, 5000, 'rtt')).toBeGreaterThanOrEqual(0);
    },
  },
  { ref: 'A2/A7', rule: 'GoAway with an unknown code (7) tears down and is answered with 7', run: async (h) => (h.peer.send(goAway(7)), fatal(h, 7)) },
  {
    ref: 'A3',
    rule: 'the client opens odd ids from 1; the server even ids from 2',
    async run(h) {
      const server = await sessionWithRawPeer('server', { version: 1, keepalive: false });
      h.session.open().catch(() => undefined);
      h.session.open().catch(() => undefined);
      server.session.open().catch(() => undefined);
      await until(() => h.peer.frames.length === 2 && server.peer.frames.length === 1);
      expect([...h.peer.seen(), ...server.peer.seen()]).toEqual(['Data SYN 1 0', 'Data SYN 3 0', 'Data SYN 2 0']);
      server.session.abort();
    },
    role: 'client',
  },
  {
    ref: 'A3',
    rule: 'open() sends Data{SYN} and waits for Data{ACK}',
    role: 'client',
    async run(h) {
      let opened = false;
      const opening = h.session.open().then((s) => ((opened = true), s));
      await h.saw('Data SYN 1 0');
      await h.settle();
      expect(opened).toBe(false);
      h.peer.send(encodeData(1, YamuxFlag.Ack, 1));
      expect((await within(opening, 5000, 'open')).id).toBe(1);
    },
  },
  {
    ref: 'A3',
    rule: 'no ACK within open_timeout (10 s): RST, and the open fails with a timeout',
    role: 'client',
    async run() {
      const time = virtualTime();
      const { session, peer } = await sessionWithRawPeer('client', { version: 1, keepalive: false, scheduler: time.scheduler });
      const opening = settled(session.open());
      await until(() => peer.seen().length === 1);
      time.advance(10_000);
      expect(await opening).toMatchObject({ error: { code: 'HandshakeTimeout' } });
      await until(() => peer.seen().includes('Data RST 1 0'));
      session.abort();
    },
  },
  {
    ref: 'A3',
    rule: 'the ACK goes out when the application accepts, not when the SYN arrives',
    accept: false,
    async run(h) {
      h.peer.send(syn(1));
      await h.settle();
      expect(h.peer.seen()).toEqual(['Ping ACK 0 999']);
      h.session.streams$.subscribe({ next: () => undefined, error: failTest });
      await h.saw('Data ACK 1 0');
    },
  },
  { ref: 'A3', rule: 'a SYN with our own id parity is a protocol error', run: async (h) => (h.peer.send(syn(2)), fatal(h)) },
  { ref: 'A3', rule: 'a SYN for a live id is a protocol error', run: async (h) => (h.peer.send(syn(1)), h.peer.send(syn(1)), fatal(h)) },
  {
    ref: 'A3',
    rule: 'a SYN beyond max_streams gets RST',
    config: { maxStreams: 2 },
    async run(h) {
      for (const id of [1, 3, 5]) h.peer.send(syn(id));
      await h.saw('Data RST 5 0');
      expect(h.session.streamCount).toBe(2);
    },
  },
  {
    ref: 'A3',
    rule: 'a SYN carrying payload delivers it',
    async run(h) {
      h.peer.send(syn(1, Uint8Array.of(1, 2, 3)));
      h.peer.send(data(1, 0, YamuxFlag.Fin));
      await until(() => h.incoming.length === 1);
      expect([...Buffer.concat(await readAll(h.incoming[0]))]).toEqual([1, 2, 3]);
    },
  },
  {
    ref: 'A3',
    rule: 'Data for an unknown id gets RST, unless it carries ACK or RST',
    async run(h) {
      h.peer.send(data(9, 1));
      h.peer.send(data(11, 1, YamuxFlag.Ack));
      h.peer.send(data(13, 0, YamuxFlag.Rst));
      await h.settle();
      expect(h.peer.seen()).toEqual(['Data RST 9 0', 'Ping ACK 0 999']);
    },
  },
  {
    ref: 'A3',
    rule: 'data on a stream we opened is accepted before its ACK',
    role: 'client',
    async run(h) {
      const opening = h.session.open();
      await h.saw('Data SYN 1 0');
      h.peer.send(data(1, 4));
      h.peer.send(encodeData(1, YamuxFlag.Ack, 1));
      const stream = await opening;
      h.peer.send(data(1, 0, YamuxFlag.Fin));
      expect(total(await readAll(stream))).toBe(4);
    },
  },
  {
    ref: 'A4',
    rule: 'the send window starts at 256 KiB, unannounced; sending stops there until a WindowUpdate delta',
    async run(h) {
      h.peer.send(syn(1));
      await until(() => h.incoming.length === 1);
      const writing = h.incoming[0].write(new Uint8Array(300 * 1024));
      const sent = (): number => h.peer.frames.filter((f) => f.header.type === 0).reduce((n, f) => n + f.header.length, 0);
      await until(() => sent() === 256 * 1024);
      await h.settle();
      expect(sent()).toBe(256 * 1024);
      h.peer.send(encodeWindowUpdate(1, 0, 1, 64 * 1024));
      await within(writing, 5000, 'the rest of the write');
      await until(() => sent() === 300 * 1024);
    },
  },
  {
    ref: 'A4',
    rule: 'the receiver sends WindowUpdate(consumed) once half the window (128 KiB) was consumed',
    async run(h) {
      h.peer.send(syn(1));
      for (let i = 0; i < 3; i++) h.peer.send(data(1, 48 * 1024));
      await until(() => h.incoming.length === 1);
      readAll(h.incoming[0]).catch(() => undefined);
      await h.saw(`WindowUpdate - 1 ${144 * 1024}`);
      expect(h.peer.seen().filter((f) => f.startsWith('WindowUpdate'))).toEqual([`WindowUpdate - 1 ${144 * 1024}`]);
    },
  },
  {
    ref: 'A4',
    rule: 'WindowUpdate deltas add with saturation at 2³²−1',
    async run(h) {
      h.peer.send(syn(1));
      h.peer.send(encodeWindowUpdate(1, 0, 1, 0xffffffff));
      h.peer.send(encodeWindowUpdate(1, 0, 1, 0xffffffff));
      await h.settle();
      expect(h.incoming[0].credit).toBe(0xffffffff);
    },
  },
  {
    ref: 'A4',
    rule: 'net-mux never checks overruns on receive',
    differs: 'wisp-rx enforces the window: an overrun ends the session with GoAway(FlowControlError 3)',
    async run(h) {
      h.peer.send(syn(1));
      for (let i = 0; i < 5; i++) h.peer.send(data(1, 64 * 1024));
      await fatal(h, YamuxReason.FlowControlError);
      expect(h.errors).toEqual(['Throttled']);
    },
  },
  {
    ref: 'A5',
    rule: 'end() sends Data{FIN} once and keeps reading until the peer’s FIN',
    async run(h) {
      h.peer.send(syn(1));
      await until(() => h.incoming.length === 1);
      const stream = h.incoming[0];
      const reading = readAll(stream);
      stream.end();
      stream.end();
      await h.saw('Data FIN 1 0');
      h.peer.send(data(1, 10));
      h.peer.send(data(1, 0, YamuxFlag.Fin));
      expect(total(await reading)).toBe(10);
      expect(h.peer.seen().filter((f) => f === 'Data FIN 1 0')).toHaveLength(1);
    },
  },
  {
    ref: 'A5',
    rule: 'after the peer’s FIN: buffered data first, then EOF; writing stays possible',
    async run(h) {
      h.peer.send(syn(1, Uint8Array.of(5)));
      h.peer.send(data(1, 0, YamuxFlag.Fin));
      await until(() => h.incoming.length === 1);
      expect(total(await readAll(h.incoming[0]))).toBe(1);
      await h.incoming[0].write(Uint8Array.of(6));
      await h.saw('Data - 1 1');
    },
  },
  { ref: 'A5', rule: 'a Data payload after the peer’s FIN: RST, then the session ends with GoAway(1)', run: async (h) => (h.peer.send(syn(1)), h.peer.send(data(1, 0, YamuxFlag.Fin)), h.peer.send(data(1, 1)), await fatal(h), expect(h.peer.seen()).toContain('Data RST 1 0')) },
  {
    ref: 'A5',
    rule: 'abort() sends Data{RST}; a received RST fails reads with a reset error',
    async run(h) {
      h.peer.send(syn(1));
      h.peer.send(syn(3));
      await until(() => h.incoming.length === 2);
      h.incoming[0].abort();
      await h.saw('Data RST 1 0');
      const failed = settled(readAll(h.incoming[1]));
      h.peer.send(data(3, 0, YamuxFlag.Rst));
      expect(await failed).toMatchObject({ error: { code: 'StreamClosed', reason: YamuxReason.Reset } });
    },
  },
  {
    ref: 'A5',
    rule: 'a received RST drops the buffered inbound data: the reader gets the reset, not the bytes',
    async run(h) {
      h.peer.send(syn(1));
      await until(() => h.incoming.length === 1);
      const stream = h.incoming[0];
      stream.pause();
      h.peer.send(data(1, 100));
      h.peer.send(data(1, 0, YamuxFlag.Rst));
      await h.settle();
      const chunks: Uint8Array[] = [];
      const failed = new Promise<unknown>((resolve) => stream.data$.subscribe({ next: (c) => chunks.push(c), error: resolve, complete: () => resolve('completed') }));
      stream.resume();
      expect(await within(failed, 5000, 'the reset')).toMatchObject({ code: 'StreamClosed', reason: YamuxReason.Reset });
      expect(chunks).toEqual([]);
      expect(h.session.debugState().queuedBytes).toBe(0);
    },
  },
  {
    ref: 'A6',
    rule: 'keepalive: a Ping every interval, nonces from 1; no reply within the timeout ends the session',
    differs: 'net-mux sends GoAway(Timeout 6) then; wisp-rx closes without one (the core’s keepalive ends the transport)',
    async run() {
      const time = virtualTime();
      const { session, peer } = await sessionWithRawPeer('client', { version: 1, keepalive: { intervalMs: 1000, timeoutMs: 2500 }, scheduler: time.scheduler });
      time.advance(1000);
      time.advance(1000);
      await until(() => peer.seen().length === 2);
      expect(peer.seen()).toEqual(['Ping - 0 1', 'Ping - 0 2']);
      time.advance(1000);
      expect(await within(firstValueFrom(session.closed$), 5000, 'end')).toMatchObject({ error: { code: 'KeepaliveTimeout' } });
    },
  },
  {
    ref: 'A7',
    rule: 'close() sends GoAway(Normal), and the session shuts down',
    async run(h) {
      await within(h.session.close({ drainMs: 0 }), 5000, 'close');
      await h.saw('GoAway - 0 0');
      await until(() => h.peer.closed());
    },
  },
  {
    ref: 'A7',
    rule: 'a received GoAway force-closes every stream (reads end with EOF) and is answered with the same code',
    async run(h) {
      h.peer.send(syn(1, Uint8Array.of(1)));
      await until(() => h.incoming.length === 1);
      const reading = settled(readAll(h.incoming[0]));
      h.peer.send(goAway(0));
      expect(await within(h.end, 5000, 'end')).toEqual({ reason: 0 });
      expect(await reading).toMatchObject({ value: [Uint8Array.of(1)] });
      await h.saw('GoAway - 0 0');
    },
  },
  { ref: 'A7', rule: 'the transport reaching EOF ends the session', run: async (h) => (h.peer.send(syn(1)), await h.settle(), h.peer.close(), expect(await within(h.end, 5000, 'end')).toBeDefined()) },
  {
    ref: 'A8',
    rule: 'defaults: window 256 KiB, max frame 64 KiB, max streams 1024, open timeout 10 s',
    differs: 'keepalive defaults to a ping every 10 s, dead after 30 s of silence (net-mux: every 30 s, 30 s for the reply)',
    run() {
      return Promise.resolve().then(() => expect(resolveYamuxConfig({ version: 1 })).toMatchObject({ window: 256 * 1024, maxFrame: 64 * 1024, maxStreams: 1024, openTimeoutMs: 10_000, keepalive: { intervalMs: 10_000, timeoutMs: 30_000 } }));
    },
  },
];

describe('net-mux 1.0 conformance (version 1, against net-mux-notes.md)', () => {
  it.each(ROWS.map((row) => [`${row.ref}: ${row.rule}${row.differs ? ` — differs: ${row.differs}` : ''}`, row] as const))('%s', async (_title, row) => {
    const { session, peer } = await sessionWithRawPeer(row.role ?? 'server', { version: 1, keepalive: false, ...row.config });
    const incoming: MuxStream[] = [];
    const errors: string[] = [];
    session.errors$.subscribe({ next: (e) => errors.push(e.code), error: failTest });
    if (row.accept !== false) session.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const end = firstValueFrom(session.closed$);
    const saw = (frame: string): Promise<void> => until(() => peer.seen().includes(frame), 5000, `the peer seeing ${frame}`);
    const settle = async (): Promise<void> => {
      peer.send(encodePing(1, 0, 999));
      await saw('Ping ACK 0 999');
    };
    try {
      await row.run({ session, peer, incoming, end, errors, saw, settle });
    } finally {
      session.abort();
    }
  });
});
