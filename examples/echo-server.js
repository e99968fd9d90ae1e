#!/usr/bin/env node
// A Wisp server that echoes every stream back to the client, without dialing anything.
// Run: node examples/echo-server.js [port]   (after `npm run build`)
'use strict';
const { WebSocketServer } = require('ws');
const { ServerMux, wsTransport } = require('../dist/cjs/node.js');

/** Starts the echo server; resolves to { url, close() }. */
async function startEchoServer({ host = '127.0.0.1', port = 0 } = {}) {
  const wss = new WebSocketServer({ host, port, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    const mux = ServerMux.accept(wsTransport(socket));
    mux.streams$.subscribe(async ({ stream }) => {
      // Async iteration pauses the stream while we wait for write(): a slow echo slows the client.
      try {
        for await (const chunk of stream) await stream.write(chunk);
      } catch {
        // the connection dropped; nothing to clean up
      }
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

module.exports = { startEchoServer };

if (require.main === module) {
  startEchoServer({ port: Number(process.argv[2] ?? 4001) }).then(({ url }) => console.log(`echo server on ${url}`));
}
