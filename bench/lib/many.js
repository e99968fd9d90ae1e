'use strict';
// Client-side jobs of the many-stream scenarios (run inside a client host, lib/host.js). Times
// are on the shared clock (util.wallNow) so the scenario can set them against the target's
// accept times, taken in another process.
const { wallNow, deadline, settle, parallel, quantile } = require('./util');

/** Per-stream times (ms from t0) summarised: p50, p99, max. */
function summary(times) {
  return { n: times.length, p50: quantile(times, 0.5), p99: quantile(times, 0.99), max: times.length ? times.reduce((a, b) => Math.max(a, b), -Infinity) : undefined };
}

/**
 * Opens n streams at once on one client and downloads `bytesEach` on each (a 'download'
 * target). Resolves when every stream has its share, or rejects at the deadline; closes every
 * stream either way.
 */
async function manyDownload(client, { host, port, n, bytesEach, timeoutMs }) {
  const streams = [];
  const firstByte = [];
  let tFirstByte;
  let tLastByte;
  let tAllOpened;
  let total = 0;
  let done = 0;
  let finish;
  const all = new Promise((resolve, reject) => (finish = { resolve, reject }));
  const tOpen = wallNow();
  const opening = Promise.all(
    Array.from({ length: n }, async () => {
      const stream = await client.openTcp(host, port);
      streams.push(stream);
      let got = 0;
      stream.onData((chunk) => {
        const t = wallNow();
        if (got === 0) {
          firstByte.push(t - tOpen);
          if (tFirstByte === undefined) tFirstByte = t;
        }
        const before = got;
        got += chunk.byteLength;
        total += chunk.byteLength;
        if (before < bytesEach && got >= bytesEach) {
          done++;
          tLastByte = t;
          if (done === n) finish.resolve();
        }
      });
      stream.onClose(() => {
        if (got < bytesEach) finish.reject(new Error(`many-streams: a stream closed after ${got} of ${bytesEach} bytes`));
      });
    }),
  );
  opening.then(
    () => (tAllOpened = wallNow()),
    (error) => finish.reject(error),
  );
  try {
    await deadline(all, timeoutMs, () => `many-streams: ${done} of ${n} streams complete (${streams.length} opened, ${total} bytes)`);
  } finally {
    for (const s of streams) s.close();
  }
  return { n, bytes: total, tOpen, tAllOpened, tFirstByte, tLastByte, firstByteMs: summary(firstByte) };
}

/**
 * Opens n streams at once to a 'hold' target with `hello` (one byte on accept): a stream is
 * connected when that byte arrives, failed when it closes first (close reason counted), pending
 * if neither happened by the deadline. Never rejects; closes every stream at the end.
 */
async function burst(client, { host, port, n, timeoutMs }) {
  const streams = [];
  const connectMs = [];
  const reasons = {};
  let connected = 0;
  let failed = 0;
  let tLast;
  let allSettled;
  const all = new Promise((resolve) => (allSettled = resolve));
  const count = () => {
    if (connected + failed === n) allSettled();
  };
  const fail = (why) => {
    failed++;
    reasons[why] = (reasons[why] || 0) + 1;
    tLast = wallNow();
    count();
  };
  const t0 = wallNow();
  for (let i = 0; i < n; i++) {
    client.openTcp(host, port).then(
      (stream) => {
        streams.push(stream);
        let state = 'pending';
        stream.onData(() => {
          if (state !== 'pending') return;
          state = 'connected';
          connected++;
          tLast = wallNow();
          connectMs.push(tLast - t0);
          count();
        });
        stream.onClose((info) => {
          if (state !== 'pending') return;
          state = 'failed';
          const reason = info && info.reason !== undefined ? info.reason : info && info.code;
          fail(typeof reason === 'number' ? `close 0x${reason.toString(16)}` : `close ${reason}`);
        });
      },
      (error) => fail(`open: ${String((error && error.message) || error).split('\n')[0]}`),
    );
  }
  const finished = await settle(all, timeoutMs);
  const tEnd = wallNow();
  // Counted now: closing the pending streams below must not count them as failed.
  const result = {
    n,
    connected,
    failed,
    pending: n - connected - failed,
    finished,
    reasons: { ...reasons },
    totalMs: finished ? tLast - t0 : tEnd - t0,
    connectMs: summary(connectMs),
  };
  for (const s of streams) s.close();
  return result;
}

/** n client connections to url (at most `concurrency` connecting at once). */
async function connectMany(adapter, url, { n, concurrency, timeoutMs }, into) {
  const t0 = wallNow();
  let failed = 0;
  let firstError;
  await deadline(
    parallel(n, concurrency, async () => {
      try {
        into.push(await adapter.connectClient(url));
      } catch (error) {
        failed++;
        firstError = firstError || String((error && error.message) || error);
      }
    }),
    timeoutMs,
    () => `connecting ${n} clients (${into.length} connected)`,
  );
  if (failed) throw new Error(`${failed} of ${n} connections failed: ${firstError}`);
  return { connected: into.length, ms: wallNow() - t0 };
}

/** Opens `perConnection` streams on each client (at most `concurrency` opening at once). */
async function openEach(clients, { host, port, perConnection, concurrency, timeoutMs }, into) {
  const t0 = wallNow();
  const n = clients.length * perConnection;
  await deadline(
    parallel(n, concurrency, async (i) => {
      into.push(await clients[i % clients.length].openTcp(host, port));
    }),
    timeoutMs,
    () => `opening ${n} streams on ${clients.length} connections (${into.length} opened)`,
  );
  return { opened: n, ms: wallNow() - t0 };
}

/** Closes clients, `concurrency` at a time, each bounded in time. */
async function closeClients(clients, concurrency = 100) {
  const all = clients.splice(0);
  let stuck = 0;
  await parallel(all.length, concurrency, async (i) => {
    if (!(await settle(all[i].close(), 10000))) stuck++;
  });
  return { closed: all.length, stuck };
}

module.exports = { manyDownload, burst, connectMany, openEach, closeClients };
