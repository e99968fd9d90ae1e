/** net-mux conformance rows, A1–A3: framing, frame types, opening streams (see net-mux-conformance.spec.ts). */
import { YamuxFlag, encodeData, encodePing, encodeWindowUpdate } from '../../lib/yamux/frame';
import { failTest } from '../observers';
import { settled, within } from '../support/within';
import { readAll, sessionWithRawPeer, total, until, virtualTime } from './helpers';
import { data, fatal, goAway, header, syn, type Row } from './net-mux-harness';

export const OPEN_ROWS: readonly Row[] = [
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
];
