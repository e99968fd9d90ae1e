/**
 * `wisp-rx serve` stopped by SIGTERM while 25 uploads and 25 downloads run over 5
 * connections: every connection gets CLOSE(0, Voluntary) before its WebSocket closes (with a
 * close frame), the process exits 0 after using its grace period, and no byte the gateway
 * took in from a client is lost on the way to its target.
 */
import type * as net from 'node:net';
import type { ClientMux } from '../../lib/wisp/client-mux';
import type { MuxEnd } from '../../lib/core/actor';
import type { WispError } from '../../lib/errors';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { cleanAll, connect, startServe, tcpServer } from './helpers';

afterEach(cleanAll);

const CONNECTIONS = 5;
const EACH = 5; // uploads and downloads per connection
const CHUNK = 16 * 1024;
const GRACE_MS = 1500;
const BUFFER = 16; // packets of credit per stream: bounds what can be in flight, unacknowledged

describe('wisp-rx serve graceful stop under load', () => {
  it('SIGTERM: CLOSE(0) reaches every connection, exit 0 after the grace period, no acknowledged byte lost', async () => {
    let sunk = 0;
    const sink = await tcpServer((socket: net.Socket) => socket.on('data', (d: Buffer) => (sunk += d.length)));
    const block = Buffer.alloc(64 * 1024, 1);
    const source = await tcpServer((socket: net.Socket) => {
      const pump = (): void => {
        while (socket.writable && socket.write(block));
      };
      socket.on('drain', pump);
      pump();
    });
    const { cli, url } = await startServe(['--allow-loopback', '--shutdown-grace', String(GRACE_MS), '--buffer-size', String(BUFFER)]);

    const muxes: ClientMux[] = [];
    // No write buffer: a write() that resolved has left under credit, so it is acknowledged.
    for (let i = 0; i < CONNECTIONS; i++) muxes.push(await connect(url, { writeBufferBytes: 0 }));
    const ends = muxes.map((mux) => new Promise<MuxEnd>((resolve) => mux.closed$.subscribe({ next: resolve, error: (error: WispError) => resolve({ error }) })));
    let written = 0;
    let downloaded = 0;
    const moving = new Set<string>();
    const streams = await Promise.all(
      muxes.flatMap((mux, m) => [
        ...Array.from({ length: EACH }, async (_, i) => {
          const stream = await mux.open('tcp', '127.0.0.1', sink, { awaitConfirmation: true });
          const chunk = Buffer.alloc(CHUNK, 2);
          void (async () => {
            try {
              for (;;) {
                await stream.write(chunk);
                written += CHUNK;
                moving.add(`up ${m}.${i}`);
              }
            } catch {
              // the stream closed: the stop reached it
            }
          })();
          return stream;
        }),
        ...Array.from({ length: EACH }, async (_, i) => {
          const stream = await mux.open('tcp', '127.0.0.1', source, { awaitConfirmation: true });
          stream.data$.subscribe({
            next: (d) => {
              downloaded += d.length;
              moving.add(`down ${m}.${i}`);
            },
            error: () => undefined,
          });
          return stream;
        }),
      ]),
    );
    expect(streams).toHaveLength(CONNECTIONS * EACH * 2);
    // Every stream has moved data before the signal.
    const deadline = Date.now() + 10_000;
    while (moving.size < streams.length && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(moving.size).toBe(streams.length);

    const sent = Date.now();
    cli.child.kill('SIGTERM');
    const exit = await cli.waitForExit(GRACE_MS + 8000);
    const tookMs = Date.now() - sent;
    const results = await Promise.all(ends);
    const [, closedCleanly, total, terminated, cut, bytesUp] = /stopped: (\d+)\/(\d+) connection\(s\) closed with a close frame, (\d+) terminated, (\d+) target socket\(s\) cut while flushing; bytes_up=(\d+)/.exec(cli.stderr) ?? [];
    // The sink may still be reading what the gateway flushed: wait for it (bounded).
    const flushDeadline = Date.now() + 5000;
    while (sunk < Number(bytesUp) && Date.now() < flushDeadline) await new Promise((r) => setImmediate(r));
    const lost = Number(bytesUp) - sunk;
    process.stdout.write(
      `graceful stop: ${results.filter((r) => r.reason === CloseReason.Voluntary).length}/${CONNECTIONS} got CLOSE(0, Voluntary); ` +
        `exit ${exit.code} after ${tookMs} ms (grace ${GRACE_MS}); ${closedCleanly}/${total} close frames, ${terminated} terminated, ${cut} targets cut; ` +
        `client wrote ${written} B, gateway relayed ${bytesUp} B, target got ${sunk} B (lost ${lost} B after acknowledging); downloaded ${downloaded} B\n`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(results).toEqual(muxes.map(() => ({ reason: CloseReason.Voluntary })));
    expect(tookMs).toBeGreaterThanOrEqual(GRACE_MS); // the grace period was used: the streams ran on
    expect([closedCleanly, total, terminated, cut]).toEqual([String(CONNECTIONS), String(CONNECTIONS), '0', '0']);
    expect(lost).toBe(0);
    // What the client wrote and the target never got was never acknowledged: at most the
    // credit window of each upload was in flight when CLOSE(0) went out.
    expect(written - sunk).toBeLessThanOrEqual(CONNECTIONS * EACH * BUFFER * CHUNK);
  }, 30_000);
});
