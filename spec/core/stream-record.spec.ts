import { StreamRecord, type PendingWrite } from '../../lib/core/stream-record';
import { WispError } from '../../lib/errors';

const hooks = { delivered: (): void => undefined, abandoned: (): void => undefined };

function record(id = 1, kind: 'tcp' | 'udp' = 'tcp'): StreamRecord {
  return new StreamRecord(id, kind, 'example.com', 80, hooks);
}

function write(bytes: number, callback?: (error?: Error) => void): PendingWrite {
  return { chunk: new Uint8Array(bytes), offset: 0, callback, inPlace: false };
}

const FLAGS = ['scheduled', 'overLimit', 'ending', 'localEnded', 'remoteEnded', 'acknowledged'] as const;

describe('StreamRecord (packed state)', () => {
  it('keeps its kind', () => {
    expect(record(1, 'tcp').kind).toBe('tcp');
    expect(record(2, 'udp').kind).toBe('udp');
  });

  it('sets and clears each boolean on its own, the others and the kind unchanged', () => {
    for (const kind of ['tcp', 'udp'] as const) {
      for (const flag of FLAGS) {
        const r = record(1, kind);
        for (const other of FLAGS) expect(r[other]).toBe(false);
        r[flag] = true;
        for (const other of FLAGS) expect(r[other]).toBe(other === flag);
        for (const other of FLAGS) r[other] = true;
        r[flag] = false;
        for (const other of FLAGS) expect(r[other]).toBe(other !== flag);
        expect(r.kind).toBe(kind);
      }
    }
  });

  it('starts with no pending writes; writes added to one record never show in another', () => {
    const a = record(1);
    const b = record(3);
    expect(a.pending).toHaveLength(0);
    a.addPending(write(1));
    a.addPending(write(2));
    expect(a.pending.map((w) => w.chunk.length)).toEqual([1, 2]);
    expect(b.pending).toHaveLength(0);
    b.addPending(write(5));
    expect(b.pending.map((w) => w.chunk.length)).toEqual([5]);
    expect(record(5).pending).toHaveLength(0);
  });

  it('fails the pending writes when it closes, and is empty afterwards', () => {
    const r = record();
    const errors: (Error | undefined)[] = [];
    r.addPending(write(1, (e) => errors.push(e)));
    r.addPending(write(1, (e) => errors.push(e)));
    r.settle(2, 'remote', false);
    expect(errors).toHaveLength(2);
    expect(errors.every((e) => e instanceof WispError && e.code === 'StreamClosed')).toBe(true);
    expect(r.pending).toHaveLength(0);
    expect(record(7).pending).toHaveLength(0);
  });

  it('keeps the close reason, timer and confirmation waiter it is given, and clears them', () => {
    const r = record();
    expect(r.closing).toBeUndefined();
    expect(r.closeTimer).toBeUndefined();
    expect(r.onAcknowledged).toBeUndefined();
    r.closing = undefined; // clearing what was never set is fine
    const settled: (Error | undefined)[] = [];
    r.onAcknowledged = (error) => settled.push(error);
    r.closing = 0x02;
    expect(r.closing).toBe(0x02);
    expect(r.writeShut).toBe(true);
    r.onAcknowledged?.();
    expect(settled).toEqual([undefined]);
    r.onAcknowledged = undefined;
    r.closing = undefined;
    expect(r.onAcknowledged).toBeUndefined();
    expect(r.closing).toBeUndefined();
    expect(r.writeShut).toBe(false);
  });

  it('makes its receive queue on first use, once, owned by the record', () => {
    const r = record();
    expect((r as unknown as { inbox: unknown }).inbox).toBeUndefined();
    const queue = r.queue;
    expect(r.queue).toBe(queue);
    const delivered: number[] = [];
    const owned = new StreamRecord(9, 'tcp', '', 0, { delivered: (owner, frames) => delivered.push(owner === owned ? frames : -1), abandoned: () => undefined });
    owned.queue.push(new Uint8Array(1));
    owned.queue.subscribe({ next: () => undefined, error: () => undefined });
    expect(delivered).toEqual([1]);
  });

  it('ends a reader that comes after the close, though nothing had made the queue before', async () => {
    const normal = record();
    normal.settle(2, 'remote', true);
    await expect(new Promise((resolve, reject) => normal.queue.subscribe({ error: reject, complete: () => resolve('completed') }))).resolves.toBe('completed');
    const failed = record();
    failed.settle(3, 'remote', false);
    await expect(new Promise((resolve, reject) => failed.queue.subscribe({ error: reject, complete: () => resolve(undefined) }))).rejects.toMatchObject({ code: 'StreamClosed' });
  });
});
