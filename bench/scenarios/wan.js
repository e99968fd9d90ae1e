'use strict';
// 9. WAN: one stream through a delay relay (lib/delay.js, its own process) that holds every
// chunk 25 ms in each direction between the client and the server (a 50 ms round trip; plain
// Node timers, no tc/netem), with at most 8 MiB buffered per direction (backpressure beyond).
// Download and upload, the sender writing 1 KiB or 64 KiB at a time; MiB/s from the client's
// open() to the last byte at the receiver (so the round trips a stream needs before data flows
// count: over a WAN they are most of a short transfer; first to last byte is in raw). Each transfer stops at `capMs` after it opened if it has not finished
// (the rate is then over what arrived; raw says `capped`), so the scenario stays bounded.
// 3 rounds (fresh processes, implementations interleaved), median round.
// The delay applies to the bytes above TCP (each hop is loopback TCP): it shows what the
// protocols' own flow control makes of a 50 ms round trip (Wisp: a CONTINUE must come back
// before more than the credit window is sent upstream).
const { MiB } = require('../lib/util');
const { spawnHost } = require('../lib/child');
const { startTarget } = require('../lib/targets');
const { download, upload, mibPerSec } = require('../lib/transfer');

const KiB = 1024;

/** The server's URL with host:port replaced by the delay relay's. */
function viaDelay(url, port) {
  const u = new URL(url);
  u.host = `127.0.0.1:${port}`;
  return u.toString();
}

module.exports = {
  id: 'wan',
  title: '9. WAN: one stream through a 25 ms + 25 ms delay relay',
  rounds: 3,
  implementations: ['plain-relay', 'wisp-js', 'wisp-rx'],
  metrics: [
    { key: 'down1k', label: 'download, 1 KiB writes', unit: 'MiB/s', better: 'higher' },
    { key: 'up1k', label: 'upload, 1 KiB writes', unit: 'MiB/s', better: 'higher' },
    { key: 'down64k', label: 'download, 64 KiB writes', unit: 'MiB/s', better: 'higher' },
    { key: 'up64k', label: 'upload, 64 KiB writes', unit: 'MiB/s', better: 'higher' },
  ],
  params: (quick) => ({
    delayMs: 25,
    maxBuffered: 8 * MiB,
    small: { chunk: KiB, bytes: (quick ? 1 : 8) * MiB },
    large: { chunk: 64 * KiB, bytes: (quick ? 4 : 64) * MiB },
    warmup: (quick ? 1 : 4) * MiB,
    capMs: quick ? 2000 : 4000,
    timeoutMs: 20000,
  }),
  timeoutMs: (p) => 6 * p.timeoutMs + 30000,

  async run(pair, p, ctx) {
    const delay = ctx.track(spawnHost('delay'));
    const targets = {};
    for (const [name, { chunk, bytes }] of Object.entries({ small: p.small, large: p.large, warm: { chunk: 64 * KiB, bytes: p.warmup } })) {
      targets[name] = ctx.track(await startTarget('download', { bytes, chunk }));
    }
    const sink = ctx.track(await startTarget('sink'));
    const server = ctx.track(await pair.server.startServer());
    const { port } = await delay.call('startDelay', { toPort: Number(new URL(server.url).port), delayMs: p.delayMs, maxBuffered: p.maxBuffered });
    const client = ctx.track(await pair.client.connectClient(viaDelay(server.url, port)));

    const opts = { capMs: p.capMs };
    await download(client, targets.warm.port, p.warmup, p.timeoutMs, opts);
    await upload(client, sink, p.warmup, p.timeoutMs, opts);
    const runs = {};
    const record = (key, r) =>
      (runs[key] = {
        bytes: r.bytes,
        msFromOpen: r.tLast - r.tOpen,
        firstByteMs: r.tFirst - r.tOpen,
        MiBps: mibPerSec(r.bytes, r.tLast - r.tOpen),
        firstToLastMiBps: mibPerSec(r.bytes, r.ms),
        ...(r.capped ? { capped: true } : {}),
      });
    record('down1k', await download(client, targets.small.port, p.small.bytes, p.timeoutMs, opts));
    record('up1k', await upload(client, sink, p.small.bytes, p.timeoutMs, { ...opts, chunk: p.small.chunk }));
    record('down64k', await download(client, targets.large.port, p.large.bytes, p.timeoutMs, opts));
    record('up64k', await upload(client, sink, p.large.bytes, p.timeoutMs, { ...opts, chunk: p.large.chunk }));
    const delayStats = await delay.call('delayStats');

    const values = {};
    for (const key of Object.keys(runs)) values[key] = runs[key].MiBps;
    const capped = Object.keys(runs).filter((k) => runs[k].capped);
    return {
      values,
      raw: { runs, delay: { delayMs: p.delayMs, maxBuffered: p.maxBuffered, ...delayStats } },
      note: `client -> delay relay (own process, ${p.delayMs} ms each way) -> ${pair.serverName} server -> targets${capped.length ? `; capped at ${p.capMs} ms: ${capped.join(', ')}` : ''}`,
    };
  },
};
