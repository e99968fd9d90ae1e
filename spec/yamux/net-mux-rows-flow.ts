/** net-mux conformance rows, A4–A8: flow control, half-close and reset, keepalive, GoAway, defaults (see net-mux-conformance.spec.ts). */
import { firstValueFrom } from 'rxjs';
import { YamuxFlag, encodeWindowUpdate } from '../../lib/yamux/frame';
import { YamuxReason, resolveYamuxConfig } from '../../lib/yamux/config';
import { settled, within } from '../support/within';
import { readAll, sessionWithRawPeer, total, until, virtualTime } from './helpers';
import { data, fatal, goAway, syn, type Row } from './net-mux-harness';

export const FLOW_ROWS: readonly Row[] = [
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
    rule: 'keepalive: a Ping every interval, nonces from 1; no reply within the timeout ends the session with GoAway(Timeout 6)',
    async run() {
      const time = virtualTime();
      const { session, peer } = await sessionWithRawPeer('client', { version: 1, keepalive: { intervalMs: 1000, timeoutMs: 2500 }, scheduler: time.scheduler });
      time.advance(1000);
      time.advance(1000);
      await until(() => peer.seen().length === 2);
      expect(peer.seen()).toEqual(['Ping - 0 1', 'Ping - 0 2']);
      time.advance(1000);
      expect(await within(firstValueFrom(session.closed$), 5000, 'end')).toMatchObject({ error: { code: 'KeepaliveTimeout' } });
      await until(() => peer.seen().includes('GoAway - 0 6'));
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
