'use strict';
// 1b. CPU per GiB of one stream: the same download and upload as `single`, but with target,
// server and client each in a process of their own (lib/host.js), so that what the client and
// the server spend (process.cpuUsage, user + system) is counted apart from the target's work.
// Each direction: a warm-up transfer, then `bytes` timed; CPU from just before the stream
// opens to the receiver's last byte. The figure is CPU seconds per GiB moved, client + server
// (each side on its own in the JSON and in two more rows). 3 rounds (fresh processes,
// implementations interleaved), median round.
const { spawnHost } = require('../lib/child');
const { LOOPBACK, MiB } = require('../lib/util');

const GiB = 1024 * MiB;

module.exports = {
  id: 'cpu',
  title: '1b. One TCP stream: CPU per GiB (client + server, each in its own process)',
  role: 'server',
  rounds: 3,
  implementations: ['plain-relay', 'wisp-js', 'wisp-rx'],
  metrics: [
    { key: 'download', label: 'download, client + server', unit: 's/GiB', better: 'lower' },
    { key: 'upload', label: 'upload, client + server', unit: 's/GiB', better: 'lower' },
    { key: 'downloadClient', label: 'download, client', unit: 's/GiB', better: 'lower' },
    { key: 'downloadServer', label: 'download, server', unit: 's/GiB', better: 'lower' },
    { key: 'uploadClient', label: 'upload, client', unit: 's/GiB', better: 'lower' },
    { key: 'uploadServer', label: 'upload, server', unit: 's/GiB', better: 'lower' },
  ],
  params: (quick) => ({ bytes: (quick ? 16 : 512) * MiB, warmup: (quick ? 4 : 64) * MiB, timeoutMs: quick ? 20000 : 60000 }),
  timeoutMs: (p) => 4 * p.timeoutMs + 60000,

  async run(pair, p, ctx) {
    const client = ctx.track(spawnHost('client'));
    const server = ctx.track(spawnHost('server'));
    const target = ctx.track(spawnHost('target'));
    const callMs = p.timeoutMs + 5000;

    const big = await target.call('startTarget', { kind: 'download', options: { bytes: p.bytes } });
    const warm = await target.call('startTarget', { kind: 'download', options: { bytes: p.warmup } });
    const sink = await target.call('startTarget', { kind: 'sink' });
    const { url } = await server.call('startServer', { adapter: pair.serverName });
    await client.call('connect', { adapter: pair.clientName, url });

    const measured = async (transfer) => {
      await client.call('probeStart', {});
      await server.call('probeStart', {});
      const result = await transfer();
      const probes = { client: await client.call('probeStop'), server: await server.call('probeStop') };
      const gib = result.bytes / GiB;
      const s = (side) => probes[side].cpu.totalUs / 1e6 / gib;
      return { bytes: result.bytes, ms: result.ms, clientSPerGiB: s('client'), serverSPerGiB: s('server'), probes };
    };
    const down = (port, bytes) => client.call('download', { port, bytes, timeoutMs: p.timeoutMs }, callMs);
    const up = async (bytes) => {
      // The sink (in the target's process) says when the last byte arrived.
      const arrived = target.call('sinkUntil', { bytes, timeoutMs: p.timeoutMs }, callMs);
      const written = client.call('uploadWrite', { host: LOOPBACK, port: sink.port, bytes, timeoutMs: p.timeoutMs }, callMs);
      const [result] = await Promise.all([arrived, written]);
      await client.call('closeStreams');
      return result;
    };

    await down(warm.port, p.warmup);
    const download = await measured(() => down(big.port, p.bytes));
    await up(p.warmup);
    const upload = await measured(() => up(p.bytes));

    const exits = {};
    for (const host of [client, server, target]) exits[host.label] = (await host.close()).exitedByItself;
    if (Object.values(exits).some((ok) => !ok)) ctx.warn(`a cpu host did not exit by itself: ${JSON.stringify(exits)}`);

    return {
      values: {
        download: download.clientSPerGiB + download.serverSPerGiB,
        upload: upload.clientSPerGiB + upload.serverSPerGiB,
        downloadClient: download.clientSPerGiB,
        downloadServer: download.serverSPerGiB,
        uploadClient: upload.clientSPerGiB,
        uploadServer: upload.serverSPerGiB,
      },
      raw: { download, upload, hostsExitedByThemselves: exits },
      note: `${pair.clientName} client, ${pair.serverName} server, target: 3 processes; CPU = user + system`,
    };
  },
};
