'use strict';
// 1. One TCP stream: download (target -> client) and upload (client -> target), MiB/s measured
// at the receiver from its first to its last byte, after a warm-up transfer each way. Each
// direction is timed `repeats` times on fresh streams of the same connection; the figure is
// the median, every run is kept in raw. The runner repeats the whole scenario in `rounds`
// fresh processes and reports the median round: one process can settle into a slower state
// for all its transfers (wisp-rx uploads: 0.80x-1.04x of the relay from one process to the
// next, with the relay steady).
const { MiB } = require('../lib/util');
const { startTarget } = require('../lib/targets');
const { download, upload, mibPerSec } = require('../lib/transfer');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

module.exports = {
  id: 'single',
  title: '1. One TCP stream',
  rounds: 3,
  metrics: [
    { key: 'download', label: 'download', unit: 'MiB/s', better: 'higher' },
    { key: 'upload', label: 'upload', unit: 'MiB/s', better: 'higher' },
  ],
  params: (quick) => ({ bytes: (quick ? 8 : 256) * MiB, warmup: (quick ? 1 : 64) * MiB, repeats: quick ? 1 : 3, timeoutMs: quick ? 20000 : 45000 }),
  timeoutMs: (p) => 2 * (p.repeats + 1) * p.timeoutMs + 10000,

  async run(pair, p, ctx) {
    const warm = ctx.track(await startTarget('download', { bytes: p.warmup }));
    const big = ctx.track(await startTarget('download', { bytes: p.bytes }));
    const sink = ctx.track(await startTarget('sink'));
    const server = ctx.track(await pair.server.startServer());
    const client = ctx.track(await pair.client.connectClient(server.url));

    const downs = [];
    const ups = [];
    await download(client, warm.port, p.warmup, p.timeoutMs);
    for (let i = 0; i < p.repeats; i++) downs.push(await download(client, big.port, p.bytes, p.timeoutMs));
    await upload(client, sink, p.warmup, p.timeoutMs);
    for (let i = 0; i < p.repeats; i++) ups.push(await upload(client, sink, p.bytes, p.timeoutMs));
    const runs = (rs) => rs.map((r) => ({ bytes: r.bytes, ms: r.ms, MiBps: mibPerSec(r.bytes, r.ms) }));
    return {
      values: { download: median(runs(downs).map((r) => r.MiBps)), upload: median(runs(ups).map((r) => r.MiBps)) },
      raw: { download: runs(downs), upload: runs(ups) },
    };
  },
};
