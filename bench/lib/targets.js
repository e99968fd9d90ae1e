'use strict';
// Local TCP targets the streams connect to. Every target listens on 127.0.0.1 only and
// destroys what it accepted when closed.
const net = require('node:net');
const { listen, trackSockets, closeServer, now, wallNow, Counter, deadline } = require('./util');

const CHUNK = 64 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/**
 * kind:
 *  - 'download': writes `bytes` zero bytes to each connection (with backpressure), then keeps
 *                the connection open until the client closes it (`end: true` ends it instead).
 *                Not ending is deliberate: wisp-js 0.5.0's server drops the data it still has
 *                queued when the target closes (its socket wrapper empties its queue on
 *                'close'), and the stream then hangs — see bench/README.md.
 *  - 'sink':     counts and discards; `nextConnection()` gives a record with `until(n)`.
 *  - 'echo':     writes back what it reads (pipe, with backpressure).
 *  - 'hold':     accepts and holds; `open` counts connections currently open. `hello: true`
 *                writes one byte on accept, so the client learns the dial went through.
 * options (every kind):
 *  - backlog:    listen backlog; default 4096, 'default' = Node's (511), as a deployed target.
 *  - chunk:      'download': bytes per socket.write (default 64 KiB).
 * `accepts` records accept times on the shared clock (util.wallNow): { count, first, last };
 * `resetAccepts()` starts over.
 */
async function startTarget(kind, options = {}) {
  if (options.chunk !== undefined && !(options.chunk > 0 && options.chunk <= CHUNK)) throw new Error(`target chunk must be 1..${CHUNK} bytes`);
  const open = new Counter();
  const pendingSinks = [];
  const sinkQueue = [];
  const accepts = { count: 0, first: undefined, last: undefined };
  const server = net.createServer({ noDelay: true }, (socket) => {
    const t = wallNow();
    accepts.count++;
    if (accepts.first === undefined) accepts.first = t;
    accepts.last = t;
    open.inc();
    socket.once('close', () => open.dec());
    socket.on('error', () => {});
    if (kind === 'download') pump(socket, options.bytes, options.end === true, options.chunk || CHUNK);
    else if (kind === 'echo') socket.pipe(socket);
    else if (kind === 'sink') {
      const record = sinkRecord(socket);
      const waiter = pendingSinks.shift();
      if (waiter) waiter(record);
      else sinkQueue.push(record);
    } else if (kind === 'hold') {
      socket.resume(); // read (and drop) so a FIN is noticed
      if (options.hello) socket.write(HELLO);
    } else socket.destroy();
  });
  const sockets = trackSockets(server);
  const port = await listen(server, 0, undefined, options.backlog);
  return {
    kind,
    port,
    open,
    accepts,
    resetAccepts() {
      Object.assign(accepts, { count: 0, first: undefined, last: undefined });
    },
    /** Sink targets: the next connection's record. */
    nextConnection(ms = 30000) {
      const queued = sinkQueue.shift();
      if (queued) return Promise.resolve(queued);
      return deadline(new Promise((resolve) => pendingSinks.push(resolve)), ms, 'waiting for a connection at the sink');
    },
    close: () => closeServer(server, sockets),
  };
}

const HELLO = Buffer.from([0x68]);

function pump(socket, bytes, end, chunk) {
  let sent = 0;
  const full = ZEROS.subarray(0, chunk);
  const more = () => {
    while (sent < bytes) {
      const n = Math.min(chunk, bytes - sent);
      sent += n;
      if (!socket.write(n === chunk ? full : ZEROS.subarray(0, n))) return void socket.once('drain', more);
    }
    if (end) socket.end();
  };
  more();
}

function sinkRecord(socket) {
  const record = {
    bytes: 0,
    tFirst: 0,
    tLast: 0,
    waiters: [],
    /** Resolves { bytes, tFirst, tLast } once n bytes were counted. */
    until(n) {
      if (record.bytes >= n) return Promise.resolve({ bytes: record.bytes, tFirst: record.tFirst, tLast: record.tLast });
      return new Promise((resolve) => record.waiters.push({ n, resolve }));
    },
  };
  socket.on('data', (chunk) => {
    const t = now();
    if (record.bytes === 0) record.tFirst = t;
    record.bytes += chunk.length;
    record.tLast = t;
    if (record.waiters.length) {
      record.waiters = record.waiters.filter((w) => {
        if (record.bytes < w.n) return true;
        w.resolve({ bytes: record.bytes, tFirst: record.tFirst, tLast: record.tLast });
        return false;
      });
    }
  });
  return record;
}

module.exports = { startTarget, CHUNK, ZEROS };
