'use strict';
// A child process the multi-process scenarios drive over IPC (one role per process, so each
// side's memory, CPU and GCs are measured on their own). Started by lib/child.js as
// `node --expose-gc bench/lib/host.js`.
// Requests: { id, method, args } -> replies { id, result } or { id, error }.
const { adapter } = require('../impl');
const { startTarget, ZEROS, CHUNK } = require('./targets');
const transfer = require('./transfer');
const { startDelay } = require('./delay');
const { startProbe } = require('./probe');
const many = require('./many');
const { heapAfterGc, parallel, deadline, now, wallNow, settle } = require('./util');

/**
 * BENCH_<LABEL>_BALLAST_MIB=N (e.g. BENCH_CLIENT_BALLAST_MIB=4): this host keeps about N MiB of
 * small live objects for its whole life, as an application's own state would. V8 does not
 * start incremental marking while the old generation holds 8 MB or less, so a bare bench
 * client may sit under that line and a real application's never does: this shows each
 * implementation on both sides of it (docs/architecture.md, "Major GCs in the receiving
 * process").
 */
const ballastMiB = Number(process.env[`BENCH_${String(process.env.BENCH_HOST_LABEL).toUpperCase()}_BALLAST_MIB`] || 0);
// 64 bytes each with its array slot (3-word header, 4 small-integer fields): 16,384 per MiB.
const ballast = Array.from({ length: Math.round(ballastMiB * 16384) }, (_, i) => ({ i, a: 0, b: 0, c: 0 }));

const state = { target: undefined, server: undefined, client: undefined, clients: [], streams: [], closers: [], probe: undefined };

const methods = {
  async startTarget({ kind, options }) {
    state.target = await startTarget(kind, options);
    if (kind === 'sink') state.sink = state.target;
    state.closers.push(state.target);
    return { port: state.target.port };
  },
  /** The target's accept times (shared clock): { count, first, last }; `reset` starts over. */
  async targetAccepts({ reset }) {
    const accepts = { ...state.target.accepts };
    if (reset) state.target.resetAccepts();
    return accepts;
  },
  async startDelay(options) {
    const delay = await startDelay(options);
    state.delay = delay;
    state.closers.push(delay);
    return { port: delay.port };
  },
  async delayStats() {
    return JSON.parse(JSON.stringify(state.delay.stats));
  },
  async clock() {
    return { t: wallNow() };
  },
  /** GCs, CPU and peak memory from now until probeStop (lib/probe.js). */
  async probeStart(options) {
    if (state.probe) state.probe.stop();
    state.probe = startProbe(options);
    return {};
  },
  async probeStop() {
    const probe = state.probe;
    state.probe = undefined;
    if (!probe) throw new Error('probeStop without probeStart');
    return probe.stop();
  },
  async cpu() {
    return process.cpuUsage();
  },
  async startServer({ adapter: name }) {
    state.server = await adapter(name).startServer();
    state.closers.push(state.server);
    return { url: state.server.url };
  },
  async startHold({ adapter: name }) {
    state.server = await adapter(name).startHoldServer();
    state.closers.push(state.server);
    return { url: state.server.url, layout: state.server.layout };
  },
  /** Waits until the target (or hold server) has at least / at most n connections or streams open. */
  async waitOpen({ atLeast, atMost, timeoutMs }) {
    const counter = (state.target || state.server).open;
    const t0 = now();
    const value = atLeast !== undefined ? await counter.atLeast(atLeast, timeoutMs, `waiting for ${atLeast} open`) : await counter.atMost(atMost, timeoutMs, `waiting for at most ${atMost} open`);
    return { value, ms: now() - t0 };
  },
  async connect({ adapter: name, url }) {
    state.client = await adapter(name).connectClient(url);
    state.closers.push(state.client);
    return {};
  },
  /** Opens n streams to host:port (at most `concurrency` opening at once) and keeps them. */
  async openMany({ adapter: name, host, port, n, timeoutMs }) {
    const concurrency = Math.min(n, adapter(name).openConcurrency || n);
    const t0 = now();
    const opened = [];
    await deadline(
      parallel(n, concurrency, async () => {
        opened.push(await state.client.openTcp(host, port));
      }),
      timeoutMs,
      () => `opening ${n} streams (${opened.length} opened)`,
    );
    state.streams.push(...opened);
    return { opened: opened.length, ms: now() - t0 };
  },
  /** Client: one stream downloading `bytes` from a 'download' target (lib/transfer.js). */
  async download({ port, bytes, timeoutMs }) {
    const { tOpen, tFirst, tLast, ...result } = await transfer.download(state.client, port, bytes, timeoutMs);
    return result;
  },
  /**
   * Client: one stream to a 'sink' target, `bytes` written in 64 KiB writes; resolves when the
   * last write resolved and keeps the stream open (closeStreams closes it): the sink's
   * `sinkUntil` says when everything arrived.
   */
  async uploadWrite({ host, port, bytes, timeoutMs }) {
    const stream = await state.client.openTcp(host, port);
    state.streams.push(stream);
    const write = async () => {
      for (let sent = 0; sent < bytes; sent += CHUNK) await stream.write(bytes - sent >= CHUNK ? ZEROS : ZEROS.subarray(0, bytes - sent));
    };
    await deadline(write(), timeoutMs, () => `uploadWrite of ${bytes} bytes`);
    return {};
  },
  /** Target: the sink's next connection, once `bytes` arrived: { bytes, ms } first to last byte. */
  async sinkUntil({ bytes, timeoutMs }) {
    const record = await state.sink.nextConnection(timeoutMs);
    const r = await deadline(record.until(bytes), timeoutMs, () => `sink: ${record.bytes} of ${bytes} bytes`);
    return { bytes: r.bytes, ms: r.tLast - r.tFirst };
  },
  /** Client: n streams at once on the connection, `bytesEach` downloaded on each (lib/many.js). */
  async manyDownload(args) {
    return many.manyDownload(state.client, args);
  },
  /** Client: n streams at once to a 'hello' hold target; connected / failed / pending. */
  async burst(args) {
    return many.burst(state.client, args);
  },
  /** Client: n more connections to url, kept in state.clients. */
  async connectMany({ adapter: name, url, n, concurrency, timeoutMs }) {
    return many.connectMany(adapter(name), url, { n, concurrency, timeoutMs }, state.clients);
  },
  /** Client: `perConnection` streams on each of state.clients, kept in state.streams. */
  async openEach(args) {
    return many.openEach(state.clients, args, state.streams);
  },
  async closeClients() {
    await methods.closeStreams();
    return many.closeClients(state.clients);
  },
  async closeStreams() {
    const streams = state.streams;
    state.streams = [];
    for (const s of streams) s.close();
    return { closed: streams.length };
  },
  async heap() {
    return heapAfterGc();
  },
  /** What this host was started with: its node flags and ballast (BENCH_<LABEL>_*). */
  async settings() {
    return { label: process.env.BENCH_HOST_LABEL, execArgv: process.execArgv, ballastObjects: ballast.length };
  },
  async shutdown() {
    if (state.probe) state.probe.stop();
    state.probe = undefined;
    await methods.closeStreams();
    await many.closeClients(state.clients);
    for (const c of state.closers.reverse()) await settle(c.close(), 10000);
    state.closers = [];
    return {};
  },
};

process.on('message', async ({ id, method, args }) => {
  try {
    if (!methods[method]) throw new Error(`host: no method ${method}`);
    const result = await methods[method](args || {});
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: String((error && error.stack) || error) });
  }
});
process.on('disconnect', () => {
  // The parent went away (or is done with us): close what we opened; exit if that hangs.
  setTimeout(() => process.exit(0), 5000).unref();
  methods.shutdown().catch(() => {});
});
