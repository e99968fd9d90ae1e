/**
 * Hostile and well-behaved clients for the attack specs (and the attack soak): a raw Wisp v1
 * client that floods CONNECTs, a latency probe on its own connection, and memory readings.
 * Every wait is on an event with a deadline; nothing sleeps.
 */
import * as net from 'node:net';
import { WebSocket } from 'ws';
import { encodeConnect } from '../../lib/wisp/packet/encode';
import { StreamType } from '../../lib/wisp/packet/types';
import { ClientMux } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';
import type { MuxStream } from '../../lib/stream/mux-stream';
import type { Logger } from '../../lib/server/logger';
import { memoryMiB } from '../mux/helpers';

export { memoryMiB };

/** A logger that keeps its connection lines (not the per-stream ones), and lets a test wait for one. */
export class LogLines implements Logger {
  readonly level = 'debug' as const;
  readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();
  error = (m: string): void => this.push(m);
  warn = (m: string): void => this.push(m);
  info = (m: string): void => this.push(m);
  debug = (m: string): void => this.push(m);

  /** Resolves with the first line matching `pattern`; rejects after `ms`. */
  waitFor(pattern: RegExp, ms = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const line = this.lines.find((l) => pattern.test(l));
        if (line === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(line);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no log line matching ${pattern} within ${ms} ms:\n${this.lines.slice(-20).join('\n')}`));
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  private push(line: string): void {
    if (/ #\d+ /.test(line)) return; // one per stream: a flood would fill memory with them
    this.lines.push(line);
    for (const waiter of [...this.waiters]) waiter();
  }
}

/**
 * A Wisp v1 client written by hand that sends CONNECTs in batches, each to a refused
 * destination, and counts the CLOSE replies (when it reads at all).
 */
export class ConnectFlooder {
  replies = 0;
  sent = 0;
  readonly closed: Promise<number>;
  private nextId = 1;
  private readonly packet: (id: number) => Uint8Array;

  private constructor(
    readonly socket: WebSocket,
    port: number,
  ) {
    const template = encodeConnect(1, StreamType.Tcp, port, '127.0.0.1');
    this.packet = (id) => {
      const p = new Uint8Array(template);
      new DataView(p.buffer).setUint32(1, id, true);
      return p;
    };
    socket.on('error', () => undefined);
    socket.on('message', (data: Buffer) => {
      if (data[0] === 0x04 && data.readUInt32LE(1) !== 0) this.replies++;
    });
    this.closed = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
  }

  /** Connects; `read: false` never reads the socket after the handshake (pauses it). */
  static async connect(url: string, refusedPort: number, read: boolean): Promise<ConnectFlooder> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const flooder = new ConnectFlooder(socket, refusedPort);
    await new Promise<void>((resolve, reject) => {
      socket.once('message', () => resolve()); // the v1 CONTINUE(0): handshake done
      socket.once('error', reject);
    });
    if (!read) socket.pause();
    return flooder;
  }

  /**
   * Sends `count` CONNECTs and resolves once the last is written to the kernel; resolves
   * `false` instead if the socket closes first. A gateway that stops reading holds this up.
   */
  batch(count: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.socket.readyState !== WebSocket.OPEN) return resolve(false);
      const onClose = (): void => resolve(false);
      this.socket.once('close', onClose);
      for (let i = 0; i < count; i++) {
        const last = i === count - 1;
        this.sent++;
        this.socket.send(this.packet(this.nextId++), { binary: true }, last ? (error) => {
          this.socket.off('close', onClose);
          resolve(!error);
        } : undefined);
      }
    });
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/** A TCP echo target on 127.0.0.1; `close()` stops it and its sockets. */
export async function echoTarget(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A well-behaved client on its own connection: one echo stream, one 16-byte round trip at a
 * time, recording the worst round trip while it runs.
 */
export class LatencyProbe {
  worst = 0;
  trips = 0;
  private running = true;
  private done: Promise<void> | undefined;

  private constructor(
    private readonly mux: ClientMux,
    private readonly stream: MuxStream,
  ) {}

  static async start(url: string, echoPort: number): Promise<LatencyProbe> {
    const mux = await ClientMux.connect(url, { connector: (u, p) => connectWs(u, p) });
    const stream = await mux.open('tcp', '127.0.0.1', echoPort, { awaitConfirmation: true });
    const probe = new LatencyProbe(mux, stream);
    probe.done = probe.loop();
    return probe;
  }

  /** Resets the worst figure (e.g. between floods). */
  reset(): void {
    this.worst = 0;
    this.trips = 0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    await this.mux.close();
  }

  private async loop(): Promise<void> {
    const payload = Buffer.alloc(16, 7);
    const iterator = this.stream[Symbol.asyncIterator]();
    while (this.running) {
      const start = performance.now();
      await this.stream.write(payload);
      let got = 0;
      while (got < payload.length) {
        const next = await iterator.next();
        if (next.done) return;
        got += next.value.length;
      }
      this.worst = Math.max(this.worst, performance.now() - start);
      this.trips++;
    }
  }
}
