#!/usr/bin/env node
// smux and yamux throughput beside Go's: for each protocol and stream count, the same echo
// job (every stream writes BYTES and reads them back; MiB/s of payload one way, first write
// to last byte back) run three ways in one sitting, interleaved, median of ROUNDS:
//   Go ↔ Go                  interop/go peers (-role bench against -role echo)
//   wisp-rx client ↔ Go      our session over TCP against the Go echo server
//   wisp-rx ↔ wisp-rx        our client against our echo server, over loopback TCP
// Ratios are to Go ↔ Go. Needs the build (dist/) and Go with Debian's smux and yamux
// (GOPATH mode; see spec/support/go.ts); skips with the reason when Go is missing.
// Run alone (`node bench/mux-protocols.js [--quick]`) or as the last part of `npm run bench`.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const quick = process.argv.includes('--quick');
const BYTES = (quick ? 4 : 32) * 1024 * 1024;
const ROUNDS = quick ? 1 : 3;
const STREAMS = [1, 16];
const CASES = [
  { name: 'smux v1', peer: 'smux', goArgs: ['-version', '1'], open: (api, t, role) => api.SmuxSession[role](t, { version: 1 }) },
  { name: 'smux v2', peer: 'smux', goArgs: ['-version', '2'], open: (api, t, role) => api.SmuxSession[role](t, { version: 2 }) },
  { name: 'yamux', peer: 'yamux', goArgs: [], open: (api, t, role) => api.YamuxSession[role](t, {}) },
];

function buildGo() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-rx-bench-go-'));
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: `/usr/share/gocode:${path.join(root, 'interop/go')}`, GOCACHE: path.join(os.tmpdir(), 'wisp-rx-go', 'gocache'), CGO_ENABLED: '0' };
  for (const name of ['smux-peer', 'yamux-peer']) execFileSync('go', ['build', '-o', path.join(dir, name), `wisprx/${name}`], { env, cwd: path.join(root, 'interop/go'), stdio: 'pipe' });
  return dir;
}

/** Starts a Go peer; resolves with its JSON events as they come and its exit. */
function goPeer(binary, args) {
  const child = spawn(binary, [...args, '-deadline', '5m'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events = [];
  let buffered = '';
  const waiters = [];
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    for (let at; (at = buffered.indexOf('\n')) >= 0; ) {
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      try {
        const event = JSON.parse(line);
        events.push(event);
        for (const w of waiters.splice(0)) w();
      } catch {
        // not an event line
      }
    }
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (name) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = events.find((e) => e.event === name);
      if (found) return found;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${name} event from ${path.basename(binary)}`);
      await new Promise((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return { child, events, exited, waitFor, kill: () => child.kill('SIGKILL') };
}

/** Our echo job over a session: resolves with MiB/s (payload one way). */
async function echoJob(session, streams) {
  const chunk = Buffer.alloc(64 * 1024, 7);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async () => {
      const stream = await session.open();
      const back = new Promise((resolve, reject) => {
        let got = 0;
        stream.data$.subscribe({
          next: (c) => {
            got += c.length;
            if (got >= BYTES) resolve();
          },
          error: reject,
          complete: () => (got >= BYTES ? resolve() : reject(new Error(`echo ended after ${got} bytes`))),
        });
      });
      for (let at = 0; at < BYTES; at += chunk.length) await stream.write(chunk);
      await back;
      stream.close();
    }),
  );
  return (streams * BYTES) / (1024 * 1024) / ((performance.now() - started) / 1000);
}

async function tcpSession(api, kase, port) {
  const transport = await api.connectTcp('127.0.0.1', port);
  return kase.open(api, transport, 'client');
}

/** Our echo server: every stream the client opens is echoed. */
async function ourEchoServer(api, kase) {
  const sessions = [];
  const server = net.createServer(async (socket) => {
    const session = await kase.open(api, api.duplexTransport(socket), 'server');
    sessions.push(session);
    session.streams$.subscribe({
      next: async (stream) => {
        try {
          for await (const c of stream) await stream.write(c);
          stream.end();
        } catch {
          // the session ended under the echo
        }
      },
      error: () => undefined,
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    close: async () => {
      for (const s of sessions) s.abort();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  let api;
  let goDir;
  try {
    api = require(path.join(root, 'dist/cjs/node.js'));
    goDir = buildGo();
  } catch (error) {
    console.log(`mux protocols vs Go: skipped (${String(error.message).split('\n')[0]})`);
    return;
  }
  console.log(`\n== smux and yamux vs Go (echo, ${BYTES / 1024 / 1024} MiB per stream each way, median of ${ROUNDS}; MiB/s payload one way, higher is better)`);
  console.log('  protocol   streams   Go ↔ Go   wisp-rx ↔ Go   (ratio)   wisp-rx ↔ wisp-rx   (ratio)');
  for (const kase of CASES) {
    const binary = path.join(goDir, `${kase.peer}-peer`);
    for (const streams of STREAMS) {
      const results = { go: [], mixed: [], ours: [] };
      for (let round = 0; round < ROUNDS; round++) {
        const goServer = goPeer(binary, ['-mode', 'server', '-role', 'echo', '-nohash', '-sessions', '0', ...kase.goArgs]);
        const addr = (await goServer.waitFor('listening')).addr;
        try {
          const client = goPeer(binary, ['-mode', 'client', '-connect', addr, '-role', 'bench', '-open', String(streams), '-bytes', String(BYTES), ...kase.goArgs]);
          const bench = await client.waitFor('bench');
          await client.exited;
          results.go.push(bench.mib_per_s);
          const session = await tcpSession(api, kase, Number(addr.split(':').pop()));
          results.mixed.push(await echoJob(session, streams));
          session.abort();
        } finally {
          goServer.kill();
        }
        const ours = await ourEchoServer(api, kase);
        try {
          const session = await tcpSession(api, kase, ours.port);
          results.ours.push(await echoJob(session, streams));
          session.abort();
        } finally {
          await ours.close();
        }
      }
      const go = median(results.go);
      const mixed = median(results.mixed);
      const ours = median(results.ours);
      console.log(
        `  ${kase.name.padEnd(9)}  ${String(streams).padStart(7)}   ${go.toFixed(0).padStart(7)}   ${mixed.toFixed(0).padStart(12)}   ${(mixed / go).toFixed(2).padStart(6)}×   ${ours.toFixed(0).padStart(17)}   ${(ours / go).toFixed(2).padStart(6)}×`,
      );
    }
  }
  fs.rmSync(goDir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
