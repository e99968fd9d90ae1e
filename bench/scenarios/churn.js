'use strict';
// 3. Stream churn: open, send 1 KiB, receive the 1 KiB echo, close — with 100 in flight, for a
// fixed time or a fixed number of streams, whichever comes first. Streams per second.
const { LOOPBACK, now } = require('../lib/util');
const { startTarget } = require('../lib/targets');
const { echoer } = require('../lib/transfer');

const PAYLOAD = Buffer.alloc(1024, 0x61);

async function churn(client, port, { inFlight, durationMs, maxStreams, opTimeoutMs }) {
  const start = now();
  const end = start + durationMs;
  let started = 0;
  let done = 0;
  let failure;
  const lane = async () => {
    while (!failure && started < maxStreams && now() < end) {
      started++;
      try {
        const stream = await client.openTcp(LOOPBACK, port);
        try {
          await echoer(stream, opTimeoutMs)(PAYLOAD);
        } finally {
          stream.close();
        }
        done++;
      } catch (error) {
        failure = failure || error;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  if (failure) throw failure;
  return { streams: done, ms: now() - start };
}

module.exports = {
  id: 'churn',
  title: '3. Stream churn (open, 1 KiB echo, close; 100 in flight)',
  metrics: [{ key: 'rate', label: 'streams/s', unit: 'streams/s', better: 'higher' }],
  params: (quick) => ({
    inFlight: 100,
    durationMs: quick ? 1000 : 5000,
    warmupMs: quick ? 200 : 500,
    maxStreams: quick ? 20000 : 100000,
    opTimeoutMs: 10000,
  }),
  timeoutMs: (p) => p.durationMs + p.warmupMs + 3 * p.opTimeoutMs,

  async run(pair, p, ctx) {
    const echo = ctx.track(await startTarget('echo'));
    const server = ctx.track(await pair.server.startServer());
    const client = ctx.track(await pair.client.connectClient(server.url));
    await churn(client, echo.port, { ...p, durationMs: p.warmupMs });
    const r = await churn(client, echo.port, p);
    return { values: { rate: r.streams / (r.ms / 1000) }, raw: r };
  },
};
