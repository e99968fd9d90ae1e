'use strict';
// 2. 64 concurrent download streams on one client: aggregate MiB/s from the first byte on any
// stream to the last byte on all of them; per-stream rates kept to show fairness.
const { MiB } = require('../lib/util');
const { startTarget } = require('../lib/targets');
const { download, mibPerSec } = require('../lib/transfer');

module.exports = {
  id: 'multi',
  title: '2. 64 concurrent streams, download',
  metrics: [{ key: 'aggregate', label: 'aggregate download', unit: 'MiB/s', better: 'higher' }],
  params: (quick) => ({ streams: 64, bytes: (quick ? 1 : 16) * MiB, warmup: (quick ? 1 : 8) * MiB, timeoutMs: quick ? 20000 : 45000 }),
  timeoutMs: (p) => 2 * p.timeoutMs + 10000,

  async run(pair, p, ctx) {
    const warm = ctx.track(await startTarget('download', { bytes: p.warmup }));
    const target = ctx.track(await startTarget('download', { bytes: p.bytes }));
    const server = ctx.track(await pair.server.startServer());
    const client = ctx.track(await pair.client.connectClient(server.url));

    await download(client, warm.port, p.warmup, p.timeoutMs);
    const runs = await Promise.all(Array.from({ length: p.streams }, () => download(client, target.port, p.bytes, p.timeoutMs)));
    const tFirst = Math.min(...runs.map((r) => r.tFirst));
    const tLast = Math.max(...runs.map((r) => r.tLast));
    const total = runs.reduce((sum, r) => sum + r.bytes, 0);
    const perStream = runs.map((r) => mibPerSec(r.bytes, r.tLast - tFirst));
    return {
      values: { aggregate: mibPerSec(total, tLast - tFirst) },
      raw: {
        streams: p.streams,
        bytes: total,
        ms: tLast - tFirst,
        perStreamMiBps: { min: Math.min(...perStream), max: Math.max(...perStream) },
      },
    };
  },
};
