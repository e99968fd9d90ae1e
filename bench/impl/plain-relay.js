'use strict';
// plain-relay: the ceiling. No framing, no multiplexing: one WebSocket per TCP connection,
// raw bytes both ways, with backpressure (the reading side pauses while the other side's
// buffer is over the high water mark). Client URL: ws://127.0.0.1:P/?host=127.0.0.1&port=N
const net = require('node:net');
const http = require('node:http');
const { WebSocket, WebSocketServer } = require('ws');
const { BaseStream, HIGH_WATER_MARK } = require('./common');
const { listen, trackSockets, closeServer, Counter, LOOPBACK, settle, parallel } = require('../lib/util');

const LOW_WATER_MARK = HIGH_WATER_MARK / 4;
const WS_OPTIONS = { perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 };

/** A ws server on its own http server; `onSocket(ws, req)` for each connection. */
async function wsServer(onSocket) {
  const server = http.createServer((req, res) => res.writeHead(404).end());
  const sockets = trackSockets(server);
  const wss = new WebSocketServer({ server, ...WS_OPTIONS });
  wss.on('connection', onSocket);
  const port = await listen(server);
  return {
    url: `ws://${LOOPBACK}:${port}/`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await settle(new Promise((resolve) => wss.close(() => resolve())), 3000);
      await closeServer(server, sockets);
    },
  };
}

/** Relay server: dials the target named in the query and pipes both ways. */
async function startServer() {
  return wsServer((ws, req) => {
    const query = new URL(req.url, 'http://relay').searchParams;
    const host = query.get('host');
    const port = Number(query.get('port'));
    if (host !== LOOPBACK || !(port > 0 && port < 65536)) return ws.close(1008, 'loopback only');
    const socket = net.connect({ host, port, noDelay: true });
    let pending = 0; // bytes handed to ws.send and not yet written
    let socketPaused = false;
    socket.on('data', (chunk) => {
      pending += chunk.length;
      ws.send(chunk, () => {
        pending -= chunk.length;
        if (socketPaused && pending < LOW_WATER_MARK) {
          socketPaused = false;
          socket.resume();
        }
      });
      if (pending > HIGH_WATER_MARK && !socketPaused) {
        socketPaused = true;
        socket.pause();
      }
    });
    ws.on('message', (data) => {
      if (!socket.write(data)) ws.pause();
    });
    socket.on('drain', () => ws.resume());
    socket.on('end', () => ws.close(1000));
    socket.on('error', () => ws.close(1011));
    socket.on('close', () => ws.close(1000));
    ws.on('close', () => socket.destroy());
    ws.on('error', () => socket.destroy());
  });
}

/** Accepts WebSockets and holds them (scale scenario); nothing is dialled. */
async function startHoldServer() {
  const open = new Counter();
  const server = await wsServer((ws) => {
    open.inc();
    ws.on('close', () => open.dec());
    ws.on('error', () => {});
  });
  return { ...server, open, layout: 'one WebSocket per stream, held by a bare ws server (no dial)' };
}

class RelayStream extends BaseStream {
  constructor(ws) {
    super();
    this.ws = ws;
    ws.on('message', (data) => this._data(data));
    ws.on('close', (code) => this._closed({ code }));
    ws.on('error', () => {});
  }

  write(bytes) {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) return reject(new Error('relay stream closed'));
      let done = false;
      this.ws.send(bytes, (error) => {
        if (error) return reject(error);
        if (!done) resolve();
      });
      if (this.ws.bufferedAmount < HIGH_WATER_MARK) {
        done = true;
        resolve();
      }
    });
  }

  close() {
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close(1000);
  }
}

async function connectClient(url) {
  const streams = new Set();
  return {
    async openTcp(host, port) {
      const ws = new WebSocket(`${url}?host=${encodeURIComponent(host)}&port=${port}`, WS_OPTIONS);
      const stream = new RelayStream(ws);
      streams.add(stream);
      stream.onClose(() => streams.delete(stream));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('close', () => reject(new Error('relay: WebSocket closed before it opened')));
      });
      return stream;
    },
    async close() {
      const all = [...streams];
      await parallel(all.length, 1000, async (i) => {
        const s = all[i];
        if (s.closed) return;
        s.close();
        if (!(await settle(new Promise((resolve) => s.onClose(resolve)), 2000))) s.ws.terminate();
      });
    },
  };
}

module.exports = {
  name: 'plain-relay',
  protocol: 'relay', // only pairs with itself
  available: () => ({ client: true, server: true, hold: true }),
  // Many streams = many WebSockets: the scale scenario opens them with this concurrency.
  openConcurrency: 256,
  startServer,
  startHoldServer,
  connectClient,
};
