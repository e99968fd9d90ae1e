'use strict';
// direct-tcp: no proxy at all. The client dials the target itself, one TCP connection per
// stream. It is not a competitor but the floor every proxy stands on: a Wisp or relay stream
// costs at least this TCP connection (made by the gateway instead), so no implementation can
// open and close streams faster than this row. Runs only where that floor is what a scenario
// measures (IMPLEMENTATIONS in impl/index.js lists its scenarios).
const net = require('node:net');
const { BaseStream } = require('./common');
const { parallel } = require('../lib/util');

class TcpStream extends BaseStream {
  constructor(socket) {
    super();
    this.socket = socket;
    socket.on('data', (chunk) => this._data(chunk));
    socket.on('close', () => this._closed({}));
    socket.on('error', () => {});
  }

  write(bytes) {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new Error('tcp stream closed'));
      if (this.socket.write(bytes)) resolve();
      else this.socket.once('drain', resolve);
    });
  }

  close() {
    this.socket.destroy();
  }
}

async function connectClient() {
  const streams = new Set();
  return {
    async openTcp(host, port) {
      const socket = net.connect({ host, port, noDelay: true });
      const stream = new TcpStream(socket);
      streams.add(stream);
      stream.onClose(() => streams.delete(stream));
      await new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      return stream;
    },
    async close() {
      const all = [...streams];
      await parallel(all.length, 1000, async (i) => all[i].close());
    },
  };
}

module.exports = {
  name: 'direct-tcp',
  protocol: 'direct', // only pairs with itself
  available: () => ({ client: true, server: true, hold: 'no server: the client dials the target itself' }),
  openConcurrency: 256,
  // There is no server; the "URL" is never dialled.
  startServer: async () => ({ url: 'direct', close: async () => {} }),
  connectClient,
};
