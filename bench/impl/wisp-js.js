'use strict';
// wisp-js: the reference JS implementation (@mercuryworkshop/wisp-js 0.5.0), client and server.
// Its CommonJS bundles take WebSocket from the `ws` package, so no global WebSocket is needed.
const http = require('node:http');
const { BaseStream, HIGH_WATER_MARK } = require('./common');
const { listen, trackSockets, closeServer, Counter, LOOPBACK, settle, deadline } = require('../lib/util');

// The wisp-js client reports protocol oddities with console.warn ("wisp client warning: ...",
// e.g. a CONTINUE for a stream the client just closed) and has no log level. Count them
// instead of printing them; the runner records the counts per run (takeWarnings).
const warnings = {};
function filterClientWarnings() {
  const warn = console.warn;
  console.warn = (...args) => {
    const text = typeof args[0] === 'string' ? args[0] : '';
    if (!text.startsWith('wisp client warning')) return warn.apply(console, args);
    const key = text.replace(/^wisp client warning: /, '');
    warnings[key] = (warnings[key] || 0) + 1;
  };
}

function takeWarnings() {
  const taken = { ...warnings };
  for (const key of Object.keys(warnings)) delete warnings[key];
  return taken;
}

let lib;
function load() {
  if (!lib) {
    filterClientWarnings();
    const { server, logging } = require('@mercuryworkshop/wisp-js/server');
    const { client } = require('@mercuryworkshop/wisp-js/client');
    logging.set_level(logging.NONE);
    // The targets are local: let the server dial loopback (and private) addresses.
    server.options.allow_loopback_ips = true;
    server.options.allow_private_ips = true;
    lib = { server, client };
  }
  return lib;
}

/** An http server whose upgrades go to wisp-js `routeRequest` (with per-connection options). */
async function httpServer(connOptions) {
  const { server } = load();
  const httpSrv = http.createServer((req, res) => res.writeHead(404).end());
  const sockets = trackSockets(httpSrv);
  // routeRequest writes into the options object it is given: pass a fresh one each time.
  httpSrv.on('upgrade', (req, socket, head) => server.routeRequest(req, socket, head, connOptions()));
  const port = await listen(httpSrv);
  return {
    url: `ws://${LOOPBACK}:${port}/`,
    // Destroying the upgraded sockets ends each ServerConnection (its ping timer included).
    close: () => closeServer(httpSrv, sockets),
  };
}

async function startServer() {
  return httpServer(() => ({}));
}

/**
 * Scale scenario: a wisp-js server whose streams do not dial. wisp-js takes the socket class as
 * a connection option (`TCPSocket`); this one "connects" at once and holds until closed.
 */
async function startHoldServer() {
  const open = new Counter();
  class HoldSocket {
    constructor(hostname, port) {
      this.hostname = hostname;
      this.port = port;
      this.state = 'new';
      this.wake = undefined;
    }
    async connect() {
      this.state = 'open';
      open.inc();
    }
    recv() {
      if (this.state !== 'open') return Promise.resolve(null);
      return new Promise((resolve) => (this.wake = resolve));
    }
    async send() {}
    async close() {
      if (this.state === 'open') open.dec();
      this.state = 'closed';
      // A real socket reports its end later (an event); waking the reader synchronously would
      // make wisp-js send a CLOSE for a stream the client already closed.
      if (this.wake) setImmediate(this.wake, null);
    }
    pause() {}
    resume() {}
  }
  const server = await httpServer(() => ({ TCPSocket: HoldSocket }));
  return { ...server, open, layout: 'wisp-js ServerConnection with a TCPSocket stub that holds (no dial)' };
}

class WispJsStream extends BaseStream {
  constructor(conn, stream) {
    super();
    this.conn = conn;
    this.stream = stream;
    this.waiters = [];
    this.pollTimer = undefined;
    stream.onmessage = (bytes) => this._data(bytes);
    stream.onclose = (reason) => this.onClosed({ reason });
    // wisp-js has no write callback: wake writers when credit returns...
    const received = stream.continue_received.bind(stream);
    stream.continue_received = (n) => {
      received(n);
      this.check();
    };
  }

  /** True when another write would neither queue for credit nor overfill the WebSocket. */
  ready() {
    return this.stream.send_buffer.length === 0 && this.conn.ws.bufferedAmount < HIGH_WATER_MARK;
  }

  check() {
    if (this.closed) return this.flushWaiters(new Error('wisp-js stream closed'));
    if (!this.waiters.length || !this.ready()) return;
    this.flushWaiters();
  }

  flushWaiters(error) {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) (error ? w.reject(error) : w.resolve());
  }

  write(bytes) {
    if (this.closed || !this.stream.open) return Promise.reject(new Error('wisp-js stream closed'));
    this.stream.send(bytes);
    if (this.ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.poll();
    });
  }

  /** ...and poll the WebSocket's bufferedAmount, which has no event. */
  poll() {
    if (this.pollTimer || this.closed) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.check();
      if (this.waiters.length) this.poll();
    }, 1);
  }

  onClosed(info) {
    this._closed(info);
    this.flushWaiters(new Error('wisp-js stream closed'));
  }

  close() {
    if (this.closed) return;
    this.stream.close();
    this.onClosed({ reason: 'local' });
  }
}

async function connectClient(url) {
  const { client } = load();
  const conn = new client.ClientConnection(url);
  const closed = new Promise((resolve) => {
    conn.onclose = resolve;
  });
  await deadline(
    new Promise((resolve, reject) => {
      conn.onopen = resolve;
      conn.onerror = () => reject(new Error('wisp-js client: connection failed'));
      closed.then(() => reject(new Error('wisp-js client: closed during the handshake')));
    }),
    10000,
    'wisp-js client handshake',
  );
  return {
    async openTcp(host, port) {
      return new WispJsStream(conn, conn.create_stream(host, port, 'tcp'));
    },
    async close() {
      conn.close();
      await settle(closed, 5000);
    },
  };
}

module.exports = {
  name: 'wisp-js',
  protocol: 'wisp',
  available() {
    try {
      load();
      return { client: true, server: true, hold: true };
    } catch (error) {
      const reason = `@mercuryworkshop/wisp-js not loadable: ${error.message}`;
      return { client: reason, server: reason, hold: reason };
    }
  },
  openConcurrency: Infinity,
  takeWarnings,
  startServer,
  startHoldServer,
  connectClient,
};
