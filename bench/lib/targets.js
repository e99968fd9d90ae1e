'use strict';
// Local TCP targets the streams connect to. Every target listens on 127.0.0.1 only and
// destroys what it accepted when closed.
const net = require('node:net');
const { listen, trackSockets, closeServer, now, Counter, deadline } = require('./util');

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
 *  - 'hold':     accepts and holds; `open` counts connections currently open.
 */
async function startTarget(kind, options = {}) {
  const open = new Counter();
  const pendingSinks = [];
  const sinkQueue = [];
  const server = net.createServer({ noDelay: true }, (socket) => {
    open.inc();
    socket.once('close', () => open.dec());
    socket.on('error', () => {});
    if (kind === 'download') pump(socket, options.bytes, options.end === true);
    else if (kind === 'echo') socket.pipe(socket);
    else if (kind === 'sink') {
      const record = sinkRecord(socket);
      const waiter = pendingSinks.shift();
      if (waiter) waiter(record);
      else sinkQueue.push(record);
    } else if (kind === 'hold') socket.resume(); // read (and drop) so a FIN is noticed
    else socket.destroy();
  });
  const sockets = trackSockets(server);
  const port = await listen(server);
  return {
    kind,
    port,
    open,
    /** Sink targets: the next connection's record. */
    nextConnection(ms = 30000) {
      const queued = sinkQueue.shift();
      if (queued) return Promise.resolve(queued);
      return deadline(new Promise((resolve) => pendingSinks.push(resolve)), ms, 'waiting for a connection at the sink');
    },
    close: () => closeServer(server, sockets),
  };
}

function pump(socket, bytes, end) {
  let sent = 0;
  const more = () => {
    while (sent < bytes) {
      const n = Math.min(CHUNK, bytes - sent);
      sent += n;
      if (!socket.write(n === CHUNK ? ZEROS : ZEROS.subarray(0, n))) return void socket.once('drain', more);
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
