'use strict';
// 5. Small writes: 16-byte echo round trips, one at a time, on one stream (latency-bound).
// After a long warm-up (2 s: the JIT settles and the first GCs pass), every round trip is
// timed: rate, mean, p50 and p99. The runner repeats the scenario in 3 rounds (fresh
// processes, implementations interleaved) and reports the median round.
const { LOOPBACK, now, quantile } = require('../lib/util');
const { startTarget } = require('../lib/targets');
const { echoer } = require('../lib/transfer');

const PAYLOAD = Buffer.alloc(16, 0x62);

async function roundTrips(roundTrip, durationMs, max, times) {
  const start = now();
  const end = start + durationMs;
  let n = 0;
  while (n < max && now() < end) {
    const t = now();
    await roundTrip(PAYLOAD);
    if (times) times[n] = now() - t;
    n++;
  }
  return { roundTrips: n, ms: now() - start };
}

module.exports = {
  id: 'small',
  title: '5. Small writes (16-byte echo round trips, one stream)',
  rounds: 3,
  metrics: [
    { key: 'rate', label: 'round trips/s', unit: 'rt/s', better: 'higher' },
    { key: 'rttUs', label: 'mean round trip', unit: 'µs', better: 'lower' },
    { key: 'p50Us', label: 'p50 round trip', unit: 'µs', better: 'lower' },
    { key: 'p99Us', label: 'p99 round trip', unit: 'µs', better: 'lower' },
  ],
  params: (quick) => ({ durationMs: quick ? 500 : 2000, warmupMs: quick ? 100 : 2000, max: 1000000, opTimeoutMs: 10000 }),
  timeoutMs: (p) => p.durationMs + p.warmupMs + 2 * p.opTimeoutMs,

  async run(pair, p, ctx) {
    const echo = ctx.track(await startTarget('echo'));
    const server = ctx.track(await pair.server.startServer());
    const client = ctx.track(await pair.client.connectClient(server.url));
    const stream = await client.openTcp(LOOPBACK, echo.port);
    const roundTrip = echoer(stream, p.opTimeoutMs);
    const times = new Float64Array(p.max); // allocated before timing, so it costs no GC inside
    await roundTrips(roundTrip, p.warmupMs, p.max);
    const r = await roundTrips(roundTrip, p.durationMs, p.max, times);
    stream.close();
    const measured = times.subarray(0, r.roundTrips);
    const us = (q) => quantile(measured, q) * 1000;
    return {
      values: { rate: r.roundTrips / (r.ms / 1000), rttUs: (r.ms * 1000) / r.roundTrips, p50Us: us(0.5), p99Us: us(0.99) },
      raw: { ...r, warmupMs: p.warmupMs, p90Us: us(0.9), p999Us: us(0.999), maxUs: us(1) },
    };
  },
};
