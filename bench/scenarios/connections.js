'use strict';
// 7. Many connections: 1,000 Wisp connections to one gateway process, first bare (no stream),
// then with 4 idle streams each to a local target that holds them (client, gateway and target
// in processes of their own). Per connection on the server side: memory after gc() (V8 heap +
// external) and the RSS delta, bare and with its 4 streams (both from the state before the
// first connection); and the server's CPU time (process.cpuUsage, user + system) over the
// accept phase divided by the connections accepted.
const { spawnHost } = require('../lib/child');
const { LOOPBACK } = require('../lib/util');

const cpuUs = (a, b) => b.user - a.user + (b.system - a.system);

module.exports = {
  id: 'connections',
  title: '7. Many connections (1,000 to one server, bare and with 4 idle streams each)',
  role: 'server',
  implementations: ['wisp-js', 'wisp-rx'],
  metrics: [
    { key: 'cpuUsPerConn', label: 'server CPU per accepted connection', unit: 'µs', better: 'lower' },
    { key: 'bareBytes', label: 'server heap + external per bare connection', unit: 'B', better: 'lower' },
    { key: 'bareRss', label: 'server RSS per bare connection', unit: 'B', better: 'lower' },
    { key: 'streamsBytes', label: 'server heap + external per connection with 4 streams', unit: 'B', better: 'lower' },
    { key: 'streamsRss', label: 'server RSS per connection with 4 streams', unit: 'B', better: 'lower' },
  ],
  params: (quick) => ({ connections: quick ? 100 : 1000, streamsPerConnection: 4, warmup: quick ? 10 : 50, concurrency: 50, timeoutMs: quick ? 20000 : 60000 }),
  timeoutMs: (p) => 4 * p.timeoutMs + 60000,

  async run(pair, p, ctx) {
    const client = ctx.track(spawnHost('client'));
    const server = ctx.track(spawnHost('gateway'));
    const target = ctx.track(spawnHost('target'));
    const callMs = p.timeoutMs + 5000;
    const streams = p.connections * p.streamsPerConnection;

    const { port } = await target.call('startTarget', { kind: 'hold' });
    const { url } = await server.call('startServer', { adapter: pair.serverName });
    const connect = (n) => client.call('connectMany', { adapter: pair.clientName, url, n, concurrency: p.concurrency, timeoutMs: p.timeoutMs }, callMs);
    const openEach = () => client.call('openEach', { host: LOOPBACK, port, perConnection: p.streamsPerConnection, concurrency: 256, timeoutMs: p.timeoutMs }, callMs);
    // Waits until the target holds n connections (n = 0: until it holds none).
    const held = (n) => target.call('waitOpen', n ? { atLeast: n, timeoutMs: p.timeoutMs } : { atMost: 0, timeoutMs: p.timeoutMs }, callMs);

    // Warm-up: a few connections with their streams, through the same code paths, closed again.
    await connect(p.warmup);
    await openEach();
    await held(p.warmup * p.streamsPerConnection);
    await client.call('closeClients', {}, callMs);
    await held(0);

    const base = await server.call('heap');
    const cpu0 = await server.call('cpu');
    const connected = await connect(p.connections);
    const cpu1 = await server.call('cpu');
    const bare = await server.call('heap');
    const cpu2 = await server.call('cpu');
    const opened = await openEach();
    await held(streams);
    const cpu3 = await server.call('cpu');
    const withStreams = await server.call('heap');
    const clientMemory = await client.call('heap');
    await client.call('closeClients', {}, callMs);
    await held(0);

    const exits = {};
    for (const host of [client, server, target]) exits[host.label] = (await host.close()).exitedByItself;
    if (Object.values(exits).some((ok) => !ok)) ctx.warn(`a connections host did not exit by itself: ${JSON.stringify(exits)}`);

    const sum = (m) => ({ ...m, heapPlusExternal: m.heapUsed + m.external });
    const [b, s, w] = [sum(base), sum(bare), sum(withStreams)];
    const per = (after, key) => (after[key] - b[key]) / p.connections;
    return {
      values: {
        cpuUsPerConn: cpuUs(cpu0, cpu1) / p.connections,
        bareBytes: per(s, 'heapPlusExternal'),
        bareRss: per(s, 'rss'),
        streamsBytes: per(w, 'heapPlusExternal'),
        streamsRss: per(w, 'rss'),
      },
      raw: {
        connections: p.connections,
        streams,
        connectMs: connected.ms,
        openStreamsMs: opened.ms,
        serverCpuUs: { accept: cpuUs(cpu0, cpu1), openStreams: cpuUs(cpu2, cpu3), perStreamOpen: cpuUs(cpu2, cpu3) / streams },
        perConnection: {
          bare: { heapUsed: per(s, 'heapUsed'), external: per(s, 'external'), arrayBuffers: per(s, 'arrayBuffers'), heapPlusExternal: per(s, 'heapPlusExternal'), rss: per(s, 'rss') },
          withStreams: { heapUsed: per(w, 'heapUsed'), external: per(w, 'external'), arrayBuffers: per(w, 'arrayBuffers'), heapPlusExternal: per(w, 'heapPlusExternal'), rss: per(w, 'rss') },
        },
        serverMemory: { base: b, bare: s, withStreams: w },
        clientMemoryWithStreams: clientMemory,
        hostsExitedByThemselves: exits,
      },
      note: `${p.connections} ${pair.clientName} connections to a ${pair.serverName} gateway dialling a local target that holds (3 processes)`,
    };
  },
};
