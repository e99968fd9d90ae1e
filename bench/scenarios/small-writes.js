'use strict';
// 5. Small writes: 16-byte echo round trips, one at a time, on one stream (latency-bound).
const { LOOPBACK, now } = require('../lib/util');
const { startTarget } = require('../lib/targets');
const { echoer } = require('../lib/transfer');

const PAYLOAD = Buffer.alloc(16, 0x62);

async function roundTrips(roundTrip, durationMs, max) {
  const start = now();
  const end = start + durationMs;
  let n = 0;
  while (n < max && now() < end) {
    await roundTrip(PAYLOAD);
    n++;
  }
  return { roundTrips: n, ms: now() - start };
}

module.exports = {
  id: 'small',
  title: '5. Small writes (16-byte echo round trips, one stream)',
  metrics: [
    { key: 'rate', label: 'round trips/s', unit: 'rt/s', better: 'higher' },
    { key: 'rttUs', label: 'mean round trip', unit: 'µs', better: 'lower' },
  ],
  params: (quick) => ({ durationMs: quick ? 500 : 3000, warmupMs: quick ? 100 : 300, max: 1000000, opTimeoutMs: 10000 }),
  timeoutMs: (p) => p.durationMs + p.warmupMs + 2 * p.opTimeoutMs,

  async run(pair, p, ctx) {
    const echo = ctx.track(await startTarget('echo'));
    const server = ctx.track(await pair.server.startServer());
    const client = ctx.track(await pair.client.connectClient(server.url));
    const stream = await client.openTcp(LOOPBACK, echo.port);
    const roundTrip = echoer(stream, p.opTimeoutMs);
    await roundTrips(roundTrip, p.warmupMs, p.max);
    const r = await roundTrips(roundTrip, p.durationMs, p.max);
    stream.close();
    return { values: { rate: r.roundTrips / (r.ms / 1000), rttUs: (r.ms * 1000) / r.roundTrips }, raw: r };
  },
};
