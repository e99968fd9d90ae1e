#!/usr/bin/env node
// The smallest useful Wisp server: every TCP stream is forwarded to the host:port the client
// asked for, with backpressure both ways. No destination policy: use `wisp-rx serve` (the
// gateway) for anything exposed to others. Run: node examples/forward-server.js [port]
'use strict';
const net = require('node:net');
const { pipeline } = require('node:stream');
const { WebSocketServer } = require('ws');
const { ServerMux, CloseReason, wsTransport } = require('../dist/cjs/node.js');

/** Starts the forwarding server; resolves to { url, close() }. */
async function startForwardServer({ host = '127.0.0.1', port = 0 } = {}) {
  const wss = new WebSocketServer({ host, port, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    const mux = ServerMux.accept(wsTransport(socket));
    mux.streams$.subscribe(({ connect, stream }) => {
      if (connect.kind !== 'tcp') return stream.close(CloseReason.InvalidInfo);
      const target = net.connect({ host: connect.host, port: connect.port });
      target.once('connect', () => {
        stream.confirm(); // stream-open confirmation, when the client asked for it
        const duplex = stream.toDuplex();
        pipeline(duplex, target, duplex, () => undefined);
      });
      target.once('error', (error) => {
        if (!target.readyState || target.connecting) {
          stream.close(error.code === 'ECONNREFUSED' ? CloseReason.ConnectionRefused : CloseReason.HostUnreachable);
        }
      });
    });
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  const { port: bound } = wss.address();
  return {
    url: `ws://${host}:${bound}/`,
    close: () => new Promise((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    }),
  };
}

module.exports = { startForwardServer };

if (require.main === module) {
  startForwardServer({ port: Number(process.argv[2] ?? 4002) }).then(({ url }) => console.log(`forwarding server on ${url}`));
}
