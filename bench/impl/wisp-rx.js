'use strict';
// wisp-rx: this project's client (ClientMux) and gateway, loaded from the build in dist/.
// Every call into wisp-rx's API is in this file, written against the API as expected while the
// Node entry point (lib/node.ts: ws transport, gateway) is being written — fix it here when the
// real API lands. Until then available() reports what is missing and the runner skips.
const path = require('node:path');
const { BaseStream } = require('./common');
const { Counter, LOOPBACK, settle, listen, trackSockets, closeServer } = require('../lib/util');

// A client loads what a Node program that only opens streams imports (wisp-rx/node-client); the
// servers load the whole Node entry (wisp-rx/node, the gateway).
const CLIENT_ENTRY = path.join(__dirname, '../../dist/cjs/node-client.js');
const ENTRY = path.join(__dirname, '../../dist/cjs/node.js');

// Expected API (adjust here):
//   ClientMux.connect(url) -> mux; mux.open('tcp', host, port) -> stream; mux.close()
//   stream.data$ / stream.closed$ (Observables), stream.write(bytes) -> Promise, stream.close()
//   createGateway({ host, port, policy }) -> { url, close() }
//   ServerMux.accept(wsTransport(ws), options) -> mux; mux.streams$ of { stream }
const GATEWAY_OPTIONS = {
  host: LOOPBACK,
  port: 0,
  policy: { allowLoopback: true, allowPrivate: true },
  // The scale scenario opens thousands of streams on one connection (gateway default: 256).
  maxStreamsPerConnection: 65536,
  // The connections scenario opens 1,000 connections from 127.0.0.1 (gateway default: 32 per
  // client address).
  maxConnectionsPerClient: 65536,
  // Per-stream credit in packets; the gateway's default (128) unless the environment says
  // otherwise, to measure how the window size trades loopback speed (see bench/README.md).
  ...(process.env.WISP_RX_BENCH_BUFFER_SIZE ? { bufferSize: Number(process.env.WISP_RX_BENCH_BUFFER_SIZE) } : {}),
};
const SERVER_MUX_OPTIONS = { maxStreams: 65536 };

const cached = new Map();
/** { api } when the built entry loads, else { missing: reason }. */
function load(entry) {
  if (cached.has(entry)) return cached.get(entry);
  let result;
  try {
    result = { api: require(entry) };
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND') {
      const what = String(error.message).includes(entry) ? `${path.relative(path.join(__dirname, '../..'), entry)} not built` : error.message.split('\n')[0];
      result = { missing: what };
    } else throw error;
  }
  cached.set(entry, result);
  return result;
}

function api(...names) {
  return apiOf(ENTRY, names);
}

function apiOf(entry, names = []) {
  const { api: mod, missing } = load(entry);
  if (missing) throw new Error(`wisp-rx unavailable: ${missing}`);
  for (const name of names) if (typeof mod[name] !== 'function') throw new Error(`wisp-rx: ${name} not exported by ${path.basename(entry)}`);
  return mod;
}

class RxStream extends BaseStream {
  constructor(stream) {
    super();
    this.stream = stream;
    this.dataSubscription = undefined;
    this.closeSubscription = stream.closed$.subscribe((reason) => this._closed({ reason }));
  }

  // wisp-rx starts the flow when data$ is subscribed: subscribe when the scenario asks.
  onData(cb) {
    super.onData(cb);
    if (!this.dataSubscription) {
      this.dataSubscription = this.stream.data$.subscribe({ next: (chunk) => this._data(chunk), error: () => {} });
    }
  }

  write(bytes) {
    return this.stream.write(bytes);
  }

  close() {
    if (!this.stream.closed) this.stream.close();
  }
}

async function connectClient(url) {
  const { ClientMux } = apiOf(CLIENT_ENTRY, ['ClientMux']);
  if (!ClientMux || typeof ClientMux.connect !== 'function') throw new Error('wisp-rx: ClientMux.connect missing');
  const mux = await ClientMux.connect(url);
  return {
    async openTcp(host, port) {
      return new RxStream(await mux.open('tcp', host, port));
    },
    async close() {
      await settle(mux.close(), 5000);
    },
  };
}

async function startServer() {
  const { createGateway } = api('createGateway');
  const gw = await createGateway(GATEWAY_OPTIONS);
  const url = String(gw.url);
  return { url: url.endsWith('/') ? url : `${url}/`, close: () => gw.close() };
}

/** Scale scenario: a bare ServerMux per WebSocket that accepts streams and holds them. */
async function startHoldServer() {
  const { ServerMux, wsTransport } = api('ServerMux', 'wsTransport');
  const http = require('node:http');
  const { WebSocketServer } = require('ws');
  const open = new Counter();
  const muxes = new Set();
  const server = http.createServer((req, res) => res.writeHead(404).end());
  const sockets = trackSockets(server);
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    const mux = ServerMux.accept(wsTransport(ws), SERVER_MUX_OPTIONS);
    muxes.add(mux);
    mux.closed$.subscribe({ next: () => muxes.delete(mux), error: () => muxes.delete(mux) });
    mux.streams$.subscribe(({ stream }) => {
      open.inc();
      stream.closed$.subscribe(() => open.dec());
    });
  });
  const port = await listen(server);
  return {
    url: `ws://${LOOPBACK}:${port}/`,
    open,
    layout: 'bare ServerMux over wsTransport (no dial)',
    close: async () => {
      await Promise.all([...muxes].map((mux) => settle(mux.close(), 3000)));
      await settle(new Promise((resolve) => wss.close(() => resolve())), 3000);
      await closeServer(server, sockets);
    },
  };
}

function has(name) {
  const { api: mod, missing } = load(name === 'ClientMux' ? CLIENT_ENTRY : ENTRY);
  if (missing) return `wisp-rx gateway not built yet (${missing})`;
  if (name === 'ClientMux') return mod.ClientMux && typeof mod.ClientMux.connect === 'function' ? true : 'wisp-rx client: ClientMux not exported by dist/cjs/node-client.js';
  return typeof mod[name] === 'function' ? true : `wisp-rx gateway not built yet (${name} not exported by dist/cjs/node.js)`;
}

module.exports = {
  name: 'wisp-rx',
  protocol: 'wisp',
  available: () => ({ client: has('ClientMux'), server: has('createGateway'), hold: has('wsTransport') }),
  openConcurrency: Infinity,
  startServer,
  startHoldServer,
  connectClient,
};
