'use strict';
// 4b. Scale: 4,000 concurrent streams through the gateway to a local target (every stream is a
// real TCP connection). Time until the target holds them all; heap bytes per stream per side.
const { scale, METRICS } = require('../lib/scale');

module.exports = {
  id: 'scale-gateway',
  title: '4b. Scale: concurrent streams through the gateway to a local target',
  role: 'server',
  metrics: METRICS,
  params: (quick) => ({ n: quick ? 200 : 4000, warmup: quick ? 20 : 100, timeoutMs: quick ? 20000 : 60000 }),
  timeoutMs: (p) => 3 * p.timeoutMs + 60000,
  run: (pair, p, ctx) => scale(pair, p, ctx, 'gateway'),
};
