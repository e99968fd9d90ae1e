/**
 * webStreamTransport over Node 20's WHATWG streams: TransformStream pairs, and hand-made
 * readables and writables that count pulls and hold writes, to see backpressure both ways,
 * pause, the close handshake, the deadline and the error paths.
 */
import { createHash } from 'node:crypto';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import type { Transport, TransportMessage } from '../../lib/transport/transport';
import { webStreamTransport } from '../../lib/transport/web-stream-transport';
import { thrownBy } from '../matchers';
import { settled, within } from '../support/within';
import { patternBytes, turn } from './loopback';
import { virtualDelivery, type VirtualDelivery } from '../mux/helpers';

/**
 * A readable fed by hand (`push`, `end`, `fail`) or by `produce` on every pull; counts pulls.
 * While `deferTo` holds a virtual delivery, pulls are answered through its scheduler, so its
 * `quiesce()` ends only once the transport has no read outstanding.
 */
class Source {
  pulls = 0;
  cancelled: unknown[] = [];
  deferTo: VirtualDelivery | undefined;
  readonly readable: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;

  /** `produce` makes the chunk for each pull; after `limit` pulls the source ends. */
  constructor(produce?: (pull: number) => Uint8Array, limit = Infinity) {
    // highWaterMark 0: the stream asks its source for a chunk only when the transport reads.
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => void (this.controller = controller),
        pull: (controller) => {
          const answer = (): void => {
            this.pulls++;
            if (produce && this.pulls > limit) controller.close();
            else if (produce) controller.enqueue(produce(this.pulls));
          };
          if (!this.deferTo) return answer();
          const { scheduler } = this.deferTo;
          return new Promise<void>((resolve) => scheduler.schedule(() => (answer(), resolve())));
        },
        cancel: (reason) => void this.cancelled.push(reason),
      },
      { highWaterMark: 0 },
    );
  }

  push(chunk: Uint8Array): void {
    this.controller.enqueue(chunk);
  }
  end(): void {
    this.controller.close();
  }
  fail(error: unknown): void {
    this.controller.error(error);
  }
}

/** A writable whose writes complete at once, or (`hold`) only when `settle()` is called; records everything. */
class Sink {
  readonly written: Uint8Array[] = [];
  closed = false;
  aborted: unknown[] = [];
  private readonly held: (() => void)[] = [];
  readonly writable: WritableStream<Uint8Array>;

  constructor(options: { hold?: boolean; failWrite?: Error } = {}) {
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (options.failWrite) return Promise.reject(options.failWrite);
        this.written.push(chunk);
        if (options.hold) return new Promise<void>((resolve) => this.held.push(resolve));
      },
      close: () => void (this.closed = true),
      abort: (reason) => void this.aborted.push(reason),
    });
  }

  /** Completes the oldest held write (the writable hands over the next one after it). */
  settleOne(): void {
    this.held.shift()?.();
  }
  get holding(): number {
    return this.held.length;
  }
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const sha256 = (data: Uint8Array | Uint8Array[]): string => {
  const hash = createHash('sha256');
  for (const part of Array.isArray(data) ? data : [data]) hash.update(part);
  return hash.digest('hex');
};

/** Resolves once `transport` has delivered `n` bytes, with every chunk so far. */
function bytesArriving(transport: Transport, n: number): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let got = 0;
  return new Promise((resolve, reject) => {
    transport.messages$.subscribe({
      next: (chunk: TransportMessage) => {
        chunks.push(chunk as Uint8Array);
        if ((got += (chunk as Uint8Array).length) >= n) resolve(chunks);
      },
      error: reject,
      complete: () => resolve(chunks),
    });
  });
}

async function pump(transport: Transport, data: Uint8Array, chunk: number): Promise<void> {
  for (let at = 0; at < data.length; at += chunk) {
    if (!transport.send(data.subarray(at, at + chunk))) await within(firstValueFrom(transport.drain$), 5000, 'drain$');
  }
}

describe('webStreamTransport', () => {
  it('carries bytes both ways over a pair of TransformStreams, then closes cleanly on both ends', async () => {
    const aToB = new TransformStream<Uint8Array, Uint8Array>();
    const bToA = new TransformStream<Uint8Array, Uint8Array>();
    const a = webStreamTransport({ readable: bToA.readable, writable: aToB.writable }, { highWaterMark: 64 * 1024 });
    const b = webStreamTransport({ readable: aToB.readable, writable: bToA.writable }, { highWaterMark: 64 * 1024 });
    expect([a.framing, a.protocol]).toEqual(['bytes', '']);
    const up = patternBytes(1024 * 1024, 1);
    const down = patternBytes(300_001, 2);
    const atB = bytesArriving(b, up.length);
    const atA = bytesArriving(a, down.length);
    await Promise.all([pump(a, up, 16_000), pump(b, down, 7_000)]);
    expect(sha256(await within(atB, 5000, 'the upload'))).toBe(sha256(up));
    expect(sha256(await within(atA, 5000, 'the download'))).toBe(sha256(down));
    a.close();
    expect(await within(firstValueFrom(b.closed$), 5000, "b's close")).toEqual({ code: 1000, reason: '', clean: true });
    expect(await within(firstValueFrom(a.closed$), 5000, "a's close")).toEqual({ code: 1000, reason: '', clean: true });
    expect(a.send(bytes(1))).toBe(false);
  });

  it('send() turns false while written bytes are unsettled above the mark, and drain$ follows once they fall to half of it', async () => {
    const sink = new Sink({ hold: true });
    const t = webStreamTransport({ readable: new Source().readable, writable: sink.writable }, { highWaterMark: 1000, closeDeadlineMs: 10 });
    const first = new Uint8Array(600);
    expect(t.send(first)).toBe(true);
    expect(t.send(new Uint8Array(600))).toBe(false);
    expect(t.writable).toBe(false);
    let drained = false;
    t.drain$.subscribe({ next: () => (drained = true), error: (e: unknown) => { throw e; } });
    await waitFor(() => sink.holding === 1, 'the first write at the sink');
    expect(sink.written[0]).toBe(first); // handed over as it was: no copy
    sink.settleOne(); // 600 left unsettled: above half the mark
    await waitFor(() => sink.holding === 1 && sink.written.length === 2, 'the second write at the sink');
    expect(drained).toBe(false);
    const drain = firstValueFrom(t.drain$);
    sink.settleOne();
    await within(drain, 5000, 'drain$');
    expect(t.writable).toBe(true);
    t.close();
    await within(firstValueFrom(t.closed$), 5000, 'closed$');
  });

  it('pause() stops pulling the readable; resume() pulls again', async () => {
    // Endless in practice: a transport that read it all without yielding would see its end
    // (a clean close) instead of being cut off by the deadline below.
    const source = new Source((n) => bytes(n & 0xff), 1_000_000);
    const t = webStreamTransport({ readable: source.readable, writable: new Sink().writable }, { closeDeadlineMs: 10 });
    const time = virtualDelivery();
    let delivered = 0;
    let resumedEnough: () => void = () => undefined;
    const tenMore = new Promise<void>((resolve) => (resumedEnough = resolve));
    const firstFive = new Promise<void>((resolve, reject) => {
      t.messages$.subscribe({
        next: () => {
          if (++delivered === 5) {
            t.pause();
            source.deferTo = time; // from here on, every read the transport asks for is visible as a queued delivery
            resolve();
          }
          if (delivered === 15) resumedEnough();
        },
        error: reject,
      });
    });
    await within(firstFive, 5000, 'five chunks');
    const pullsAtPause = source.pulls;
    expect(pullsAtPause).toBeLessThanOrEqual(6); // at most the one read already asked for
    await time.quiesce(); // no read outstanding: a wrong implementation would keep pulling, and this would not end
    expect(source.pulls).toBe(pullsAtPause);
    expect(delivered).toBe(5);
    source.deferTo = undefined;
    t.resume();
    await within(tenMore, 5000, 'ten more chunks after resume');
    expect(source.pulls).toBeGreaterThan(pullsAtPause);
    // Closing reads on, discarding, until the deadline: an endless source must not hold the
    // event loop (the deadline's timer has to run) and is cancelled then.
    t.close();
    expect(await within(firstValueFrom(t.closed$), 5000, 'closed$')).toMatchObject({ clean: false });
    expect(source.cancelled.length).toBe(1);
  });

  it("the readable's end completes messages$ after its data and is answered by closing the writable", async () => {
    const source = new Source();
    const sink = new Sink();
    const t = webStreamTransport({ readable: source.readable, writable: sink.writable });
    const all = lastValueFrom(t.messages$.pipe(toArray()));
    source.push(bytes(1, 2));
    source.push(bytes(3));
    source.end();
    expect((await within(all, 5000, 'messages$ to complete')).map((c) => [...(c as Uint8Array)])).toEqual([[1, 2], [3]]);
    expect(await within(firstValueFrom(t.closed$), 5000, 'closed$')).toMatchObject({ code: 1000, clean: true });
    expect(sink.closed).toBe(true);
  });

  it('close() closes the writable after pending writes; a readable that never ends is cancelled at the deadline (TransportClosed)', async () => {
    const source = new Source();
    const sink = new Sink();
    const t = webStreamTransport({ readable: source.readable, writable: sink.writable }, { closeDeadlineMs: 50 });
    const messages = settled(lastValueFrom(t.messages$));
    t.send(bytes(1));
    t.send(bytes(2));
    const started = Date.now();
    t.close();
    const closed = await within(firstValueFrom(t.closed$), 5000, 'closed$ after the deadline');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(closed).toMatchObject({ code: 1006, clean: false, reason: expect.stringContaining('did not end within 50 ms') as unknown });
    expect(sink.written.map((c) => [...c])).toEqual([[1], [2]]);
    expect(sink.closed).toBe(true);
    expect(source.cancelled.length).toBe(1);
    expect(await messages).toMatchObject({ error: { code: 'TransportClosed' } });
  });

  it('a failed readable errors messages$ with TransportError carrying the cause, even while paused, and aborts the writable', async () => {
    const source = new Source();
    const sink = new Sink();
    const t = webStreamTransport({ readable: source.readable, writable: sink.writable });
    const messages = settled(lastValueFrom(t.messages$));
    t.pause();
    const cause = new Error('connection reset');
    source.fail(cause);
    expect(await within(messages, 5000, 'the error')).toMatchObject({ error: { name: 'WispError', code: 'TransportError', cause } });
    expect(await firstValueFrom(t.closed$)).toMatchObject({ code: 1006, clean: false });
    expect(sink.aborted.length).toBe(1);
  });

  it('a failed write errors messages$ with TransportError and cancels the readable; a non-byte chunk fails too', async () => {
    const source = new Source();
    const cause = new Error('write refused');
    const t = webStreamTransport({ readable: source.readable, writable: new Sink({ failWrite: cause }).writable });
    const messages = settled(lastValueFrom(t.messages$));
    t.send(bytes(1));
    expect(await within(messages, 5000, 'the error')).toMatchObject({ error: { code: 'TransportError', cause } });
    expect(source.cancelled.length).toBe(1);
    expect(t.send(bytes(2))).toBe(false);

    const text = new Source();
    const u = webStreamTransport({ readable: text.readable, writable: new Sink().writable });
    const failed = settled(lastValueFrom(u.messages$));
    text.push('text' as unknown as Uint8Array);
    expect(await within(failed, 5000, 'the error')).toMatchObject({ error: { code: 'TransportError' } });
  });

  it('the deadline also bounds answering the end: a writable that never finishes is aborted', async () => {
    const source = new Source();
    const sink = new Sink({ hold: true });
    const t = webStreamTransport({ readable: source.readable, writable: sink.writable }, { closeDeadlineMs: 50 });
    const messages = settled(lastValueFrom(t.messages$));
    t.send(bytes(9)); // held by the sink forever
    source.end();
    expect(await within(firstValueFrom(t.closed$), 5000, 'closed$')).toMatchObject({ clean: false, reason: expect.stringContaining('did not finish') as unknown });
    // The abort reaches the sink once the write in progress ends (as the streams spec has it).
    sink.settleOne();
    await waitFor(() => sink.aborted.length === 1, 'the abort at the sink');
    expect(await messages).toMatchObject({ error: { code: 'TransportClosed' } });
  });

  it('refuses a bad closeDeadlineMs', () => {
    const pair = { readable: new Source().readable, writable: new Sink().writable };
    expect(thrownBy(() => webStreamTransport(pair, { closeDeadlineMs: Number.NaN }))).toMatchObject({ code: 'InvalidArgument' });
  });
});

/** Resolves once `condition` holds, checked after each round of pending I/O; rejects after `ms`. */
async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await turn();
  }
}
