'use strict';
// Shared by the two scale scenarios. Client, server (and target) each run in their own child
// process (node --expose-gc), so memory per stream is measured per side after gc(): the V8 heap
// (heapUsed), memory outside it (external: Buffers, ArrayBuffers and what native code reports;
// process.memoryUsage().arrayBuffers is part of external, so it is not added again) and their sum.
const { spawnHost } = require('./child');
const { LOOPBACK, now } = require('./util');

const DISCARD_PORT = 9; // hold servers never dial; any port will do

/**
 * mode 'hold':    client -> hold server (accepts streams, dials nothing).
 * mode 'gateway': client -> gateway -> local 'hold' target (its own process).
 */
async function scale(pair, p, ctx, mode) {
  const client = ctx.track(spawnHost('client'));
  const server = ctx.track(spawnHost(mode === 'hold' ? 'hold-server' : 'gateway'));
  const target = mode === 'gateway' ? ctx.track(spawnHost('target')) : undefined;
  const callMs = p.timeoutMs + 5000;

  let url;
  let port = DISCARD_PORT;
  let layout;
  if (mode === 'hold') {
    ({ url, layout } = await server.call('startHold', { adapter: pair.serverName }));
  } else {
    ({ port } = await target.call('startTarget', { kind: 'hold' }));
    ({ url } = await server.call('startServer', { adapter: pair.serverName }));
    layout = `${pair.serverName} gateway dialling a local target that accepts and holds (3 processes)`;
  }
  const counter = target || server; // where open streams are counted
  await client.call('connect', { adapter: pair.clientName, url });

  const openAll = async (n) => {
    const t0 = now();
    const opening = client.call('openMany', { adapter: pair.clientName, host: LOOPBACK, port, n, timeoutMs: p.timeoutMs }, callMs);
    const [opened] = await Promise.all([opening, counter.call('waitOpen', { atLeast: n, timeoutMs: p.timeoutMs }, callMs)]);
    return { ms: now() - t0, clientMs: opened.ms };
  };
  const closeAll = async () => {
    const t0 = now();
    await client.call('closeStreams');
    await counter.call('waitOpen', { atMost: 0, timeoutMs: p.timeoutMs }, callMs);
    return now() - t0;
  };

  // Warm-up: a small batch through the same code paths.
  await openAll(p.warmup);
  await closeAll();

  const before = { client: await client.call('heap'), server: await server.call('heap') };
  const opened = await openAll(p.n);
  const after = { client: await client.call('heap'), server: await server.call('heap') };
  const closeMs = await closeAll();

  const exits = {};
  for (const host of [client, server, target].filter(Boolean)) exits[host.label] = (await host.close()).exitedByItself;
  if (Object.values(exits).some((ok) => !ok)) ctx.warn(`a ${mode} scale host did not exit by itself: ${JSON.stringify(exits)}`);

  const perStream = (side, key) => (after[side][key] - before[side][key]) / p.n;
  const sides = {};
  for (const side of ['client', 'server']) {
    sides[side] = {
      heapUsed: perStream(side, 'heapUsed'),
      external: perStream(side, 'external'),
      arrayBuffers: perStream(side, 'arrayBuffers'),
      heapPlusExternal: perStream(side, 'heapUsed') + perStream(side, 'external'),
      rss: perStream(side, 'rss'),
    };
  }
  return {
    values: {
      openMs: opened.ms,
      clientHeap: sides.client.heapUsed,
      serverHeap: sides.server.heapUsed,
      clientExternal: sides.client.external,
      serverExternal: sides.server.external,
      clientTotal: sides.client.heapPlusExternal,
      serverTotal: sides.server.heapPlusExternal,
    },
    raw: {
      streams: p.n,
      layout,
      openMs: opened.ms,
      clientOpenCallsMs: opened.clientMs,
      closeMs,
      heapBefore: before,
      heapAfter: after,
      perStream: sides,
      hostsExitedByThemselves: exits,
    },
    note: layout,
  };
}

const METRICS = [
  { key: 'openMs', label: 'time to open all', unit: 'ms', better: 'lower' },
  { key: 'clientHeap', label: 'client heap per stream', unit: 'B', better: 'lower' },
  { key: 'serverHeap', label: 'server heap per stream', unit: 'B', better: 'lower' },
  { key: 'clientExternal', label: 'client external (ArrayBuffer, native) per stream', unit: 'B', better: 'lower' },
  { key: 'serverExternal', label: 'server external (ArrayBuffer, native) per stream', unit: 'B', better: 'lower' },
  { key: 'clientTotal', label: 'client heap + external per stream', unit: 'B', better: 'lower' },
  { key: 'serverTotal', label: 'server heap + external per stream', unit: 'B', better: 'lower' },
];

module.exports = { scale, METRICS };
