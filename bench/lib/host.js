'use strict';
// A child process the scale scenarios drive over IPC (one role per process, so each side's heap
// is measured on its own). Started by lib/child.js as `node --expose-gc bench/lib/host.js`.
// Requests: { id, method, args } -> replies { id, result } or { id, error }.
const { adapter } = require('../impl');
const { startTarget } = require('./targets');
const { heapAfterGc, parallel, deadline, now, settle } = require('./util');

const state = { target: undefined, server: undefined, client: undefined, streams: [], closers: [] };

const methods = {
  async startTarget({ kind, options }) {
    state.target = await startTarget(kind, options);
    state.closers.push(state.target);
    return { port: state.target.port };
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
  async closeStreams() {
    const streams = state.streams;
    state.streams = [];
    for (const s of streams) s.close();
    return { closed: streams.length };
  },
  async heap() {
    return heapAfterGc();
  },
  async shutdown() {
    await methods.closeStreams();
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
