/**
 * What the pages reach through the gateway, all on 127.0.0.1: a TCP echo, a UDP echo, an
 * HTTP server with known bodies, and a "firehose" that offers a large download and reports
 * how much of it the far side has actually taken.
 */
import { createHash } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import * as net from 'node:net';

/** Closers for everything started here; run by {@link closeTargets}. */
const closers: (() => Promise<void>)[] = [];

/** Closes every target started so far. */
export async function closeTargets(): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
}

function track(server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
  });
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** A TCP echo server; resolves with its port. */
export function tcpEcho(): Promise<number> {
  return track(net.createServer((socket) => socket.pipe(socket)));
}

/** A UDP echo server; resolves with its port. */
export async function udpEcho(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, from) => socket.send(message, from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

/** The known body of `GET /bytes?n=N`: N bytes of a fixed pseudo-random sequence. */
export function patternBytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The known body of `GET /text`. */
export const TEXT_BODY = 'hello from the wisp-rx browser suite\n';

/**
 * An HTTP/1.1 server: `GET /text` → {@link TEXT_BODY}; `GET /bytes?n=N` →
 * {@link patternBytes}(N); `POST /hash` → JSON `{ length, sha256 }` of the request body.
 */
export function httpTarget(): Promise<number> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (request.method === 'GET' && url.pathname === '/text') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(TEXT_BODY);
    } else if (request.method === 'GET' && url.pathname === '/bytes') {
      const n = Number(url.searchParams.get('n'));
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(patternBytes(n));
    } else if (request.method === 'POST' && url.pathname === '/hash') {
      const hash = createHash('sha256');
      let length = 0;
      request.on('data', (chunk: Buffer) => ((length += chunk.length), hash.update(chunk)));
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ length, sha256: hash.digest('hex') }));
      });
    } else {
      response.writeHead(404).end();
    }
  });
  return track(server);
}

/** A download target that counts what the far side took. */
export interface Firehose {
  readonly port: number;
  /** Bytes the kernel accepted from the target so far (sent minus still queued in Node). */
  accepted(): number;
  /** Resolves once all `total` bytes were accepted; rejects after `timeoutMs`. */
  finished(timeoutMs: number): Promise<void>;
  /**
   * Resolves with {@link accepted} once the target has been blocked (its socket refused more)
   * with no progress for `quietMs`: the reader's backpressure reached it. Rejects if it
   * finishes instead, or after `timeoutMs`.
   */
  stalled(quietMs: number, timeoutMs: number): Promise<number>;
}

/** Offers `total` bytes (a multiple of 64 KiB) of zeros to one connection, honouring backpressure. */
export async function firehose(total: number): Promise<Firehose> {
  const chunk = Buffer.alloc(64 * 1024);
  if (total % chunk.length !== 0) throw new Error('firehose total must be a multiple of 64 KiB');
  let socket: net.Socket | undefined;
  let done = false;
  let lastProgress = Date.now();
  const watchers = new Set<() => void>();
  const notify = () => watchers.forEach((w) => w());
  const port = await track(
    net.createServer((s) => {
      socket = s;
      let offered = 0;
      const pump = (): void => {
        while (offered < total) {
          offered += chunk.length;
          if (!s.write(chunk)) {
            s.once('drain', pump);
            return;
          }
        }
        s.end(() => ((done = true), notify()));
      };
      pump();
    }),
  );
  const accepted = () => (socket ? socket.bytesWritten - socket.writableLength : 0);
  // Progress is sampled, not evented: the kernel taking bytes raises no event of its own.
  let lastAccepted = 0;
  const sample = () => {
    const now = accepted();
    if (now !== lastAccepted) {
      lastAccepted = now;
      lastProgress = Date.now();
    }
  };
  const wait = <T>(check: () => T | undefined, failIf: () => string | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const poll = setInterval(() => (sample(), watcher()), 50);
      const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (accepted ${accepted()})`)), timeoutMs);
      const finish = (error?: Error, value?: T) => {
        clearInterval(poll);
        clearTimeout(timer);
        watchers.delete(watcher);
        if (error) reject(error);
        else resolve(value as T);
      };
      const watcher = () => {
        const failure = failIf();
        if (failure) return finish(new Error(failure));
        const value = check();
        if (value !== undefined) finish(undefined, value);
      };
      watchers.add(watcher);
      watcher();
    });
  return {
    port,
    accepted,
    finished: (timeoutMs) => wait(() => (done ? true : undefined), () => undefined, timeoutMs, 'the firehose to finish').then(() => undefined),
    stalled: (quietMs, timeoutMs) =>
      wait(
        () => (socket && socket.writableNeedDrain && Date.now() - lastProgress >= quietMs ? accepted() : undefined),
        () => (done ? `the reader took all ${total} bytes: no backpressure reached the target` : undefined),
        timeoutMs,
        'the firehose to stall',
      ),
  };
}
