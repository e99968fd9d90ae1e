'use strict';
// 8. Burst: 10,000 streams opened at once on one connection, through the gateway to a local
// target whose listen backlog is Node's default (511), as a deployed target's would be. The
// target writes one byte on accept: a stream is connected when that byte reaches the client,
// failed when it is closed first (by close reason, e.g. 0x43 = connect timed out at the
// gateway), pending when neither happened by the deadline. Client, gateway and target each in
// a process of their own. Total time: first open() to the last stream settling (connected or
// failed), or to the deadline if some are still pending.
const { spawnHost } = require('../lib/child');
const { LOOPBACK } = require('../lib/util');

module.exports = {
  id: 'burst-gateway',
  title: '8. Burst: streams opened at once through the gateway (target backlog 511)',
  role: 'server',
  implementations: ['wisp-js', 'wisp-rx'],
  metrics: [
    { key: 'connected', label: 'connected', unit: 'streams', better: 'higher' },
    { key: 'failed', label: 'failed (closed before connecting)', unit: 'streams', better: 'lower' },
    { key: 'pending', label: 'still pending at the deadline', unit: 'streams', better: 'lower' },
    { key: 'totalMs', label: 'total time (first open() to last stream settled)', unit: 'ms', better: 'lower' },
    { key: 'p99Ms', label: 'p99 time to connect (first open() to the byte)', unit: 'ms', better: 'lower' },
  ],
  // The deadline is past the wisp-rx gateway's 10 s connect timeout and the kernel's SYN
  // retry at 15 s; wisp-js has no connect timeout (the SYN retries decide: 1, 3, 7, 15, 31 s),
  // so its stragglers can be pending.
  params: (quick) => ({ streams: quick ? 1000 : 10000, warmup: quick ? 50 : 200, deadlineMs: quick ? 15000 : 20000 }),
  timeoutMs: (p) => 3 * p.deadlineMs + 60000,

  async run(pair, p, ctx) {
    const client = ctx.track(spawnHost('client'));
    const server = ctx.track(spawnHost('gateway'));
    const target = ctx.track(spawnHost('target'));
    const callMs = p.deadlineMs + 20000;

    const { port } = await target.call('startTarget', { kind: 'hold', options: { hello: true, backlog: 'default' } });
    const { url } = await server.call('startServer', { adapter: pair.serverName });
    await client.call('connect', { adapter: pair.clientName, url });
    const closed = () => target.call('waitOpen', { atMost: 0, timeoutMs: p.deadlineMs }, callMs);

    // Warm-up: a small burst through the same code paths.
    const warm = await client.call('burst', { host: LOOPBACK, port, n: p.warmup, timeoutMs: p.deadlineMs }, callMs);
    if (warm.connected !== p.warmup) ctx.warn(`warm-up burst: ${JSON.stringify(warm)}`);
    await closed();
    await target.call('targetAccepts', { reset: true });

    const r = await client.call('burst', { host: LOOPBACK, port, n: p.streams, timeoutMs: p.deadlineMs }, callMs);
    const accepts = await target.call('targetAccepts', {});
    await closed();

    const exits = {};
    for (const host of [client, server, target]) exits[host.label] = (await host.close()).exitedByItself;
    if (Object.values(exits).some((ok) => !ok)) ctx.warn(`a burst host did not exit by itself: ${JSON.stringify(exits)}`);

    return {
      values: { connected: r.connected, failed: r.failed, pending: r.pending, totalMs: r.totalMs, p99Ms: r.connectMs.p99 },
      raw: { ...r, targetAccepted: accepts.count, targetBacklog: "Node's default (511)", hostsExitedByThemselves: exits },
      note: `${pair.clientName} client, ${pair.serverName} gateway, hold target with backlog 511 (3 processes)`,
    };
  },
};
