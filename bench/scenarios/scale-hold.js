'use strict';
// 4a. Scale: 10,000 concurrent open streams on one connection, to a server that accepts and
// holds them without dialling. Time to open them all; heap bytes per stream on each side.
const { scale, METRICS } = require('../lib/scale');

module.exports = {
  id: 'scale-hold',
  title: '4a. Scale: concurrent streams held by the server (no dial)',
  role: 'hold',
  metrics: METRICS,
  params: (quick) => ({ n: quick ? 500 : 10000, warmup: quick ? 50 : 200, timeoutMs: quick ? 20000 : 60000 }),
  timeoutMs: (p) => 3 * p.timeoutMs + 60000,
  run: (pair, p, ctx) => scale(pair, p, ctx, 'hold'),
};
