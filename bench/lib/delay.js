'use strict';
// A TCP delay relay for the WAN scenario: accepts on 127.0.0.1 and forwards each connection to
// 127.0.0.1:toPort, holding every chunk `delayMs` in each direction (timers; no kernel
// changes). Ordering is kept (one FIFO per direction, and a chunk is written only after the
// ones before it). Buffering is bounded: a direction holding more than `maxBuffered` bytes
// pauses its reader until it is under half of that, and a destination that does not take more
// (write() false) stops that direction until 'drain'. An end (FIN) is delayed like data and
// each direction ends on its own (half-open sockets); an error on either side destroys both.
//
// The delay is applied to the application's bytes, not to TCP itself: each hop is a loopback
// TCP connection that acknowledges at once, so what the delay exercises is the flow control of
// the protocols above it (Wisp credit and CONTINUE round trips, WebSocket backpressure).
// With a 25 ms hold and 8 MiB buffered per direction, one connection cannot exceed
// 8 MiB / 25 ms = 320 MiB/s through it.
const net = require('node:net');
const { listen, trackSockets, closeServer, now, LOOPBACK } = require('./util');

function delayedPipe(src, dst, delayMs, maxBuffered, stats) {
  const queue = []; // { chunk, due } or { end: true, due }
  let head = 0;
  let buffered = 0;
  let timer;
  let blocked = false;
  let paused = false;

  const schedule = () => {
    if (timer || blocked || head >= queue.length || dst.destroyed) return;
    // Node truncates timer delays to whole ms: round up so no chunk leaves early.
    timer = setTimeout(flush, Math.max(0, Math.ceil(queue[head].due - now())));
  };
  const flush = () => {
    timer = undefined;
    const t = now();
    while (head < queue.length && queue[head].due <= t && !dst.destroyed) {
      const item = queue[head++];
      if (item.end) {
        dst.end();
        continue;
      }
      buffered -= item.chunk.length;
      stats.bytes += item.chunk.length;
      if (!dst.write(item.chunk)) {
        blocked = true;
        stats.blocked++;
        dst.once('drain', () => {
          blocked = false;
          schedule();
        });
        break;
      }
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (paused && buffered < maxBuffered / 2) {
      paused = false;
      src.resume();
    }
    schedule();
  };

  src.on('data', (chunk) => {
    queue.push({ chunk, due: now() + delayMs });
    buffered += chunk.length;
    stats.peakBuffered = Math.max(stats.peakBuffered, buffered);
    if (buffered > maxBuffered && !paused) {
      paused = true;
      stats.paused++;
      src.pause();
    }
    schedule();
  });
  src.on('end', () => {
    queue.push({ end: true, due: now() + delayMs });
    schedule();
  });
  return {
    stop() {
      clearTimeout(timer);
      timer = undefined;
      queue.length = 0;
      head = 0;
    },
  };
}

async function startDelay({ toPort, delayMs = 25, maxBuffered = 8 * 1024 * 1024 }) {
  const stats = {
    connections: 0,
    up: { bytes: 0, peakBuffered: 0, paused: 0, blocked: 0 },
    down: { bytes: 0, peakBuffered: 0, paused: 0, blocked: 0 },
  };
  const outbounds = new Set();
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (inbound) => {
    stats.connections++;
    const outbound = net.connect({ host: LOOPBACK, port: toPort, noDelay: true, allowHalfOpen: true });
    outbounds.add(outbound);
    const up = delayedPipe(inbound, outbound, delayMs, maxBuffered, stats.up);
    const down = delayedPipe(outbound, inbound, delayMs, maxBuffered, stats.down);
    const teardown = () => {
      up.stop();
      down.stop();
      inbound.destroy();
      outbound.destroy();
    };
    for (const s of [inbound, outbound]) {
      s.on('error', teardown);
      s.on('close', (hadError) => hadError && teardown());
    }
    outbound.once('close', () => outbounds.delete(outbound));
  });
  const sockets = trackSockets(server);
  const port = await listen(server);
  return {
    port,
    delayMs,
    maxBuffered,
    stats,
    close: () => {
      for (const s of outbounds) s.destroy();
      return closeServer(server, sockets);
    },
  };
}

module.exports = { startDelay };
