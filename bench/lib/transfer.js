'use strict';
// Transfers the scenarios are made of, written once against the adapter stream interface.
const { LOOPBACK, now, deadline, MiB } = require('./util');
const { CHUNK, ZEROS } = require('./targets');

/**
 * Opens a stream to a 'download' target and counts `bytes`; times first to last byte. With
 * `capMs`, stops that long after opening even if fewer bytes came (`capped: true`).
 */
async function download(client, port, bytes, timeoutMs, { capMs } = {}) {
  const tOpen = now();
  const stream = await client.openTcp(LOOPBACK, port);
  let n = 0;
  let tFirst = 0;
  let tLast = 0;
  let capped = false;
  let capTimer;
  const done = new Promise((resolve, reject) => {
    if (capMs) {
      capTimer = setTimeout(() => {
        capped = n < bytes;
        resolve();
      }, capMs);
    }
    stream.onData((chunk) => {
      const t = now();
      if (n === 0) tFirst = t;
      n += chunk.byteLength;
      tLast = t;
      if (n >= bytes) resolve();
    });
    stream.onClose(() => {
      if (n < bytes) reject(new Error(`download: stream closed after ${n} of ${bytes} bytes`));
    });
  });
  try {
    await deadline(done, timeoutMs, () => `download of ${bytes} bytes (${n} received)`);
  } finally {
    clearTimeout(capTimer);
    stream.close();
  }
  return { bytes: n, tOpen, tFirst, tLast, ms: tLast - tFirst, ...(capped ? { capped } : {}) };
}

/**
 * Writes `bytes` zeros to a 'sink' target in writes of `chunk` bytes (default 64 KiB); times
 * first to last byte as counted by the sink. With `capMs`, stops that long after opening even
 * if fewer bytes arrived (`capped: true`).
 */
async function upload(client, sink, bytes, timeoutMs, { chunk = CHUNK, capMs } = {}) {
  const t0 = now();
  const stream = await client.openTcp(LOOPBACK, sink.port);
  const full = ZEROS.subarray(0, chunk);
  let stop = false;
  let sent = 0;
  const writer = (async () => {
    while (sent < bytes && !stop) {
      const n = Math.min(chunk, bytes - sent);
      await stream.write(n === chunk ? full : ZEROS.subarray(0, n));
      sent += n;
    }
  })();
  let capTimer;
  try {
    const record = await sink.nextConnection(timeoutMs);
    const cap = capMs
      ? new Promise((resolve) => {
          capTimer = setTimeout(() => resolve({ bytes: record.bytes, tFirst: record.tFirst, tLast: record.tLast, capped: record.bytes < bytes }), Math.max(0, t0 + capMs - now()));
        })
      : new Promise(() => {});
    const result = await deadline(Promise.race([record.until(bytes), cap, writer.then(() => new Promise(() => {}))]), timeoutMs, () => `upload of ${bytes} bytes (${sent} written)`);
    return { bytes: result.bytes, tOpen: t0, tFirst: result.tFirst, tLast: result.tLast, ms: result.tLast - result.tFirst, ...(result.capped ? { capped: true } : {}) };
  } finally {
    clearTimeout(capTimer);
    stop = true;
    stream.close();
    await writer.catch(() => {});
  }
}

/**
 * Echo round trips on one open stream: sends `payload`, waits until as many bytes came back.
 * Returns a function doing one round trip.
 */
function echoer(stream, timeoutMs) {
  let received = 0;
  let want = 0;
  let wake;
  let failure;
  stream.onData((chunk) => {
    received += chunk.byteLength;
    if (wake && received >= want) {
      const w = wake;
      wake = undefined;
      w.resolve();
    }
  });
  stream.onClose(() => {
    failure = new Error(`echo: stream closed (${received} of ${want} bytes back)`);
    if (wake) wake.reject(failure);
  });
  return async (payload) => {
    if (failure) throw failure;
    want += payload.byteLength;
    const back = new Promise((resolve, reject) => (wake = { resolve, reject }));
    await stream.write(payload);
    if (received < want) await deadline(back, timeoutMs, 'echo round trip');
    else wake = undefined;
  };
}

const mibPerSec = (bytes, ms) => (ms > 0 ? bytes / MiB / (ms / 1000) : null);

module.exports = { download, upload, echoer, mibPerSec };
