'use strict';
// Small helpers shared by the runner, the adapters, the scenarios and the child host.
const { performance } = require('node:perf_hooks');

const MiB = 1024 * 1024;
const LOOPBACK = '127.0.0.1';

const now = () => performance.now();
/**
 * A clock comparable across processes (ms since the epoch, sub-ms resolution): the wall-clock
 * time the process started (performance.timeOrigin) plus the monotonic time since. Processes
 * started on the same machine agree to well under a millisecond; lib/child.js measures the
 * offset of each host anyway (clockOffset) and the scenarios correct for it.
 */
const wallNow = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Rejects with a clear message when `promise` does not settle within `ms`. `what` may be a
 * function, called at the deadline (so the message can say how far it got).
 */
function deadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${typeof what === 'function' ? what() : what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Like deadline, but never throws: resolves false (and swallows errors) after `ms`. */
async function settle(promise, ms) {
  try {
    await deadline(Promise.resolve(promise), ms, 'settle');
    return true;
  } catch {
    return false;
  }
}

/**
 * Listens on 127.0.0.1 and returns the port. The bench's own servers ask for a 4,096-long
 * accept queue (so bursts of opens measure the code, not the queue); `backlog: 'default'`
 * leaves Node's default (511), as a real deployment's target would have.
 */
function listen(server, port = 0, host = LOOPBACK, backlog = 4096) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ...(backlog === 'default' ? {} : { backlog }) }, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

/** Remembers every socket a net/http server accepts, so close() can destroy them. */
function trackSockets(server) {
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Closes a server and destroys the sockets it accepted (bounded in time). */
async function closeServer(server, sockets) {
  if (sockets) for (const socket of sockets) socket.destroy();
  if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
  await settle(new Promise((resolve) => server.close(() => resolve())), 3000);
}

let gcFn;
/** `gc()`: the --expose-gc global, or the same function obtained through V8 flags. */
function gc() {
  if (!gcFn) {
    if (typeof global.gc === 'function') gcFn = global.gc;
    else {
      require('node:v8').setFlagsFromString('--expose-gc');
      gcFn = require('node:vm').runInNewContext('gc');
    }
  }
  gcFn();
}

/** process.memoryUsage() after full garbage collections. */
async function heapAfterGc() {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

/** Counter with `waitFor(n)`: resolves once the value reaches n (or rejects at the deadline). */
class Counter {
  constructor() {
    this.value = 0;
    this.total = 0;
    this.waiters = [];
  }
  inc() {
    this.value++;
    this.total++;
    this.check();
  }
  dec() {
    this.value--;
    this.check();
  }
  check() {
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(this.value)) return true;
      w.resolve(this.value);
      return false;
    });
  }
  wait(test, ms, what) {
    if (test(this.value)) return Promise.resolve(this.value);
    const p = new Promise((resolve) => this.waiters.push({ test, resolve }));
    return deadline(p, ms, () => `${what} (reached ${this.value})`);
  }
  atLeast(n, ms, what = `waiting for ${n}`) {
    return this.wait((v) => v >= n, ms, what);
  }
  atMost(n, ms, what = `waiting for at most ${n}`) {
    return this.wait((v) => v <= n, ms, what);
  }
}

/** Runs `worker(i)` for i in [0, n) with at most `limit` in flight; resolves when all are done. */
async function parallel(n, limit, worker) {
  let next = 0;
  const lanes = [];
  for (let l = 0; l < Math.min(limit, n); l++) {
    lanes.push(
      (async () => {
        while (next < n) await worker(next++);
      })(),
    );
  }
  await Promise.all(lanes);
}

/** Sorted copy's value at quantile q (0..1), nearest rank; undefined for an empty list. */
function quantile(xs, q) {
  if (!xs.length) return undefined;
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const median = (xs) => quantile(xs, 0.5);

/** { min, median, max } of a list of numbers. */
function spread(xs) {
  const finite = xs.filter(Number.isFinite);
  if (!finite.length) return { min: undefined, median: undefined, max: undefined };
  return { min: Math.min(...finite), median: median(finite), max: Math.max(...finite) };
}

const byteLength = (chunk) => (typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength);

module.exports = {
  MiB,
  LOOPBACK,
  now,
  wallNow,
  sleep,
  deadline,
  settle,
  listen,
  trackSockets,
  closeServer,
  gc,
  heapAfterGc,
  Counter,
  parallel,
  byteLength,
  quantile,
  median,
  spread,
};
