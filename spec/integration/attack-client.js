// The abusive client of the attack soak, in its own process so that its work does not
// slow the well-behaved client being measured. Usage:
//   node attack-client.js MODE URL SECONDS [PORT]
// MODE: connect-noread | connect-read (refused CONNECTs to PORT), churn (32 connections ×
// 256 streams to an echo target of its own, opened and closed), guess (wrong passwords as
// one address).
// Prints one JSON line with what it got, then exits.
'use strict';
const path = require('node:path');
const { WebSocket } = require('ws');
// The built package, loaded only by the modes that use it (the CONNECT floods need only ws).
const lib = () => require(path.join(__dirname, '..', '..', 'dist', 'cjs', 'node.js'));

const [mode, url, seconds, port] = process.argv.slice(2);
const end = Date.now() + Number(seconds) * 1000;
const BATCH = 20000;
const done = (result) => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
};

function connectFlood(read) {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const template = Buffer.from([0x01, 0, 0, 0, 0, 0x01, Number(port) & 0xff, Number(port) >> 8, ...Buffer.from('127.0.0.1')]);
  let sent = 0;
  let replies = 0;
  let worstShare = 1;
  let closeCode;
  socket.on('error', () => undefined);
  socket.on('message', (data) => {
    if (data[0] === 0x04 && data.readUInt32LE(1) !== 0) replies++;
  });
  socket.on('close', (code) => (closeCode = code));
  // Every 100 ms after the first second: the share of CONNECTs written so far that were answered.
  const started = Date.now();
  const sampler = setInterval(() => {
    if (read && sent > 0 && Date.now() - started > 1000) worstShare = Math.min(worstShare, replies / sent);
  }, 100);
  socket.once('message', () => {
    if (!read) socket.pause();
    const batch = () => {
      if (Date.now() >= end || closeCode !== undefined) return finish();
      for (let i = 0; i < BATCH; i++) {
        const packet = Buffer.from(template);
        packet.writeUInt32LE(sent + 1, 1);
        sent++;
        socket.send(packet, { binary: true }, i === BATCH - 1 ? () => setImmediate(batch) : undefined);
      }
    };
    const stop = setTimeout(finish, end - Date.now()); // a gateway that stops reading holds the send callback
    batch();
    let finished = false;
    function finish() {
      if (finished) return;
      finished = true;
      clearTimeout(stop);
      clearInterval(sampler);
      if (!read) return done({ sent, closeCode: closeCode ?? 'still open (paused, not reading)' });
      const deadline = Date.now() + 30000;
      const wait = () => (replies >= sent || Date.now() > deadline ? done({ sent, replies, worstShare, closeCode }) : setTimeout(wait, 20));
      wait();
    }
  });
}

/** A TCP echo target in this process: its accepts and closes must not load the measured one. */
async function echoServer() {
  const net = require('node:net');
  const server = net.createServer((socket) => socket.on('error', () => undefined).pipe(socket));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

async function churn() {
  const target = await echoServer();
  const muxes = await Promise.all(Array.from({ length: 32 }, () => lib().ClientMux.connect(url)));
  let opened = 0;
  const refused = {};
  await Promise.all(
    muxes.map(async (mux) => {
      while (Date.now() < end) {
        const results = await Promise.allSettled(Array.from({ length: 256 }, () => mux.open('tcp', '127.0.0.1', target, { awaitConfirmation: true })));
        for (const r of results) {
          if (r.status === 'fulfilled') {
            opened++;
            r.value.close();
          } else refused[r.reason.code] = (refused[r.reason.code] ?? 0) + 1;
        }
      }
    }),
  );
  await Promise.all(muxes.map((m) => m.close()));
  done({ opened, refused });
}

async function guess() {
  const outcomes = {};
  let n = 0;
  const start = Date.now();
  while (Date.now() < end) {
    let result = 'ok';
    try {
      const mux = await lib().ClientMux.connect(url, {
        connector: (u, p) => lib().connectWs(u, p, { headers: { 'x-forwarded-for': '203.0.113.9' } }),
        extensions: [lib().password({ username: 'alice', password: `guess${n}` })],
      });
      await mux.close();
    } catch (error) {
      result = error.code;
    }
    n++;
    outcomes[result] = (outcomes[result] ?? 0) + 1;
  }
  done({ attempts: n, perSecond: Math.round(n / ((Date.now() - start) / 1000)), outcomes });
}

if (mode === 'connect-noread') connectFlood(false);
else if (mode === 'connect-read') connectFlood(true);
else if (mode === 'churn') void churn();
else if (mode === 'guess') void guess();
else throw new Error(`unknown mode ${mode}`);
