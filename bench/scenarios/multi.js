'use strict';
// 2. 64 concurrent download streams on one client: aggregate MiB/s from the first byte on any
// stream to the last byte on all of them; per-stream rates kept to show fairness. Repeated
// `repeats` times on the same connection; the figure is the median, every run is in raw.
const { MiB } = require('../lib/util');
const { startTarget } = require('../lib/targets');
const { download, mibPerSec } = require('../lib/transfer');

module.exports = {
  id: 'multi',
  title: '2. 64 concurrent streams, download',
  metrics: [{ key: 'aggregate', label: 'aggregate download', unit: 'MiB/s', better: 'higher' }],
  params: (quick) => ({ streams: 64, bytes: (quick ? 1 : 16) * MiB, warmup: (quick ? 1 : 8) * MiB, repeats: quick ? 1 : 3, timeoutMs: quick ? 20000 : 45000 }),
  timeoutMs: (p) => (p.repeats + 1) * p.timeoutMs + 10000,

  async run(pair, p, ctx) {
    const warm = ctx.track(await startTarget('download', { bytes: p.warmup }));
    const target = ctx.track(await startTarget('download', { bytes: p.bytes }));
    const server = ctx.track(await pair.server.startServer());
    const client = ctx.track(await pair.client.connectClient(server.url));

    await download(client, warm.port, p.warmup, p.timeoutMs);
    const rounds = [];
    for (let i = 0; i < p.repeats; i++) {
      const runs = await Promise.all(Array.from({ length: p.streams }, () => download(client, target.port, p.bytes, p.timeoutMs)));
      const tFirst = Math.min(...runs.map((r) => r.tFirst));
      const tLast = Math.max(...runs.map((r) => r.tLast));
      const total = runs.reduce((sum, r) => sum + r.bytes, 0);
      const perStream = runs.map((r) => mibPerSec(r.bytes, r.tLast - tFirst));
      rounds.push({
        bytes: total,
        ms: tLast - tFirst,
        MiBps: mibPerSec(total, tLast - tFirst),
        perStreamMiBps: { min: Math.min(...perStream), max: Math.max(...perStream) },
      });
    }
    const sorted = rounds.map((r) => r.MiBps).sort((a, b) => a - b);
    return { values: { aggregate: sorted[Math.floor(sorted.length / 2)] }, raw: { streams: p.streams, runs: rounds } };
  },
};
