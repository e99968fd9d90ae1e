'use strict';
// 6. Many streams at once: 1,024 streams opened together on ONE connection (plain-relay: 1,024
// WebSockets), each downloading an equal share of 512 MiB from a local target. Target, server
// and client each run in a process of their own (lib/host.js). Times are on a clock shared by
// the processes (performance.timeOrigin + performance.now(), each host's offset measured over
// IPC and subtracted), from the client's first open() call:
//   first dial  — until the target accepts its first connection (the server dialled);
//   first byte  — until the client receives its first byte on any stream;
//   whole job   — until the last byte of the last stream;
// plus the data phase's throughput (all bytes / first to last byte at the client) and the
// garbage collections per GiB in the client and in the server, major (mark-compact) apart from
// minor (scavenges), counted with a PerformanceObserver ('gc' entries) in each process, and
// the server's peak memory (what it buffers for a client that reads slower than 1,024 targets
// write). 3 rounds (fresh processes, implementations interleaved), median round.
const { spawnHost } = require('../lib/child');
const { LOOPBACK, MiB } = require('../lib/util');

const GiB = 1024 * MiB;

module.exports = {
  id: 'many-streams',
  title: '6. Many streams at once (1,024 downloads on one connection)',
  role: 'server',
  rounds: 3,
  implementations: ['plain-relay', 'wisp-js', 'wisp-rx'],
  metrics: [
    { key: 'firstDialMs', label: 'first open() to first dial at the target', unit: 'ms', better: 'lower' },
    { key: 'ttfbMs', label: 'first open() to first byte at the client', unit: 'ms', better: 'lower' },
    { key: 'jobMs', label: 'whole job (first open() to last byte)', unit: 'ms', better: 'lower' },
    { key: 'MiBps', label: 'data phase (first to last byte)', unit: 'MiB/s', better: 'higher' },
    { key: 'clientMajorPerGiB', label: 'client major GCs per GiB', unit: 'GC/GiB', better: 'lower' },
    { key: 'clientMinorPerGiB', label: 'client minor GCs per GiB', unit: 'GC/GiB', better: 'lower' },
    { key: 'serverMajorPerGiB', label: 'server major GCs per GiB', unit: 'GC/GiB', better: 'lower' },
    { key: 'serverMinorPerGiB', label: 'server minor GCs per GiB', unit: 'GC/GiB', better: 'lower' },
    { key: 'serverPeakMiB', label: 'server peak heap + external (sampled every 50 ms)', unit: 'MiB', better: 'lower' },
    { key: 'serverPeakRssMiB', label: 'server peak RSS', unit: 'MiB', better: 'lower' },
  ],
  params: (quick) => ({
    streams: quick ? 128 : 1024,
    totalBytes: (quick ? 16 : 512) * MiB,
    warmupStreams: quick ? 16 : 64,
    timeoutMs: quick ? 20000 : 60000,
  }),
  timeoutMs: (p) => 2 * p.timeoutMs + 60000,

  async run(pair, p, ctx) {
    const bytesEach = Math.floor(p.totalBytes / p.streams);
    const client = ctx.track(spawnHost('client'));
    const server = ctx.track(spawnHost('server'));
    const target = ctx.track(spawnHost('target'));
    const callMs = p.timeoutMs + 5000;

    const { port } = await target.call('startTarget', { kind: 'download', options: { bytes: bytesEach } });
    const { url } = await server.call('startServer', { adapter: pair.serverName });
    await client.call('connect', { adapter: pair.clientName, url });

    // Warm-up: fewer streams through the same code paths, on the same connection.
    await client.call('manyDownload', { host: LOOPBACK, port, n: p.warmupStreams, bytesEach, timeoutMs: p.timeoutMs }, callMs);
    await target.call('targetAccepts', { reset: true });

    const offsets = { client: await client.clockOffset(), target: await target.clockOffset() };
    await client.call('probeStart', {});
    await server.call('probeStart', {});
    const job = await client.call('manyDownload', { host: LOOPBACK, port, n: p.streams, bytesEach, timeoutMs: p.timeoutMs }, callMs);
    const probes = { client: await client.call('probeStop'), server: await server.call('probeStop') };
    const accepts = await target.call('targetAccepts', {});

    const exits = {};
    for (const host of [client, server, target]) exits[host.label] = (await host.close()).exitedByItself;
    if (Object.values(exits).some((ok) => !ok)) ctx.warn(`a many-streams host did not exit by itself: ${JSON.stringify(exits)}`);

    // Everything on this process's clock.
    const c = (t) => t - offsets.client.offsetMs;
    const tt = (t) => t - offsets.target.offsetMs;
    const t0 = c(job.tOpen);
    const gib = job.bytes / GiB;
    const perGiB = (side, kind) => probes[side].gc[kind] / gib;
    return {
      values: {
        firstDialMs: tt(accepts.first) - t0,
        ttfbMs: c(job.tFirstByte) - t0,
        jobMs: c(job.tLastByte) - t0,
        MiBps: job.bytes / MiB / ((job.tLastByte - job.tFirstByte) / 1000),
        clientMajorPerGiB: perGiB('client', 'major'),
        clientMinorPerGiB: perGiB('client', 'minor'),
        serverMajorPerGiB: perGiB('server', 'major'),
        serverMinorPerGiB: perGiB('server', 'minor'),
        serverPeakMiB: probes.server.peak.heapPlusExternal / MiB,
        serverPeakRssMiB: probes.server.peak.rss / MiB,
      },
      raw: {
        clock: 'performance.timeOrigin + performance.now() in each process; host offsets measured over IPC (quickest of 7 round trips) and subtracted',
        clockOffsets: offsets,
        streams: p.streams,
        bytesEach,
        bytes: job.bytes,
        allOpenedMs: c(job.tAllOpened) - t0,
        lastDialMs: tt(accepts.last) - t0,
        dials: accepts.count,
        perStreamFirstByteMs: job.firstByteMs,
        probes,
        hostsExitedByThemselves: exits,
      },
      note: `${pair.clientName} client, ${pair.serverName} server, download target: 3 processes`,
    };
  },
};
