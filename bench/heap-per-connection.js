'use strict';
// Where a gateway connection's memory goes (issue 17). Runs a wisp-rx gateway from dist/ in this
// process and wisp-rx clients in a child, opens N connections (v2, or v1 with --v1; with
// --streams=K, K streams each to a local target that holds them), and prints the server's heap +
// external per connection after gc() and its CPU per accepted connection. With --snapshot it
// also writes a heap snapshot before and after and attributes every object the connections
// added to its nearest dominator of a named kind (WebSocket, ServerMux, MuxActor, a Subscriber…),
// per connection: the table of where the bytes go.
//   node --expose-gc bench/heap-per-connection.js [--n=500] [--streams=0] [--v1] [--snapshot[=DIR]]
// Needs `npm run build`. Everything on 127.0.0.1; every wait has a deadline.
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const { fork } = require('node:child_process');

const DIST = path.join(__dirname, '../dist/cjs/node.js');
const arg = (name, fallback) => {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (!hit) return fallback;
  return hit.includes('=') ? hit.slice(hit.indexOf('=') + 1) : true;
};

if (process.env.HEAP_PER_CONNECTION_CHILD) {
  const { ClientMux } = require(DIST);
  const muxes = [];
  process.on('message', async (m) => {
    if (m.cmd === 'connect') {
      const fresh = [];
      for (let i = 0; i < m.n; i++) fresh.push(await ClientMux.connect(m.url, m.v1 ? { v2: false } : {}));
      muxes.push(...fresh);
      await Promise.all(fresh.flatMap((mux) => Array.from({ length: m.streams }, () => mux.open('tcp', '127.0.0.1', m.port))));
    } else if (m.cmd === 'close') await Promise.all(muxes.splice(0).map((mux) => mux.close()));
    else return process.exit(0);
    process.send({ done: true });
  });
  return;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function heap() {
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(30);
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Per connection: bytes of the objects added between two snapshots, by nearest named dominator. */
function attribute(before, after, n) {
  const A = JSON.parse(fs.readFileSync(before, 'utf8'));
  const fieldsA = A.snapshot.meta.node_fields.length;
  let maxId = 0; // ids are stable across snapshots of one process; native ones are huge
  for (let i = 2; i < A.nodes.length; i += fieldsA) if (A.nodes[i] < 50e6) maxId = Math.max(maxId, A.nodes[i]);
  const S = JSON.parse(fs.readFileSync(after, 'utf8'));
  const meta = S.snapshot.meta;
  const nf = meta.node_fields.length, ef = meta.edge_fields.length, types = meta.node_types[0], etypes = meta.edge_types[0];
  const { nodes, edges, strings } = S;
  const count = nodes.length / nf;
  const first = new Int32Array(count + 1);
  for (let node = 0, e = 0; node < count; node++) {
    first[node] = e;
    e += nodes[node * nf + 4] * ef;
  }
  first[count] = edges.length;
  const weak = etypes.indexOf('weak'), shortcut = etypes.indexOf('shortcut');
  const strong = (e) => edges[e] !== weak && edges[e] !== shortcut;
  // Dominators (Cooper, Harvey, Kennedy) over a post-order from the root.
  const post = new Int32Array(count).fill(-1), order = [], next = new Int32Array(count), seen = new Uint8Array(count);
  const stack = [0];
  seen[0] = 1;
  while (stack.length) {
    const node = stack[stack.length - 1];
    const e = first[node] + next[node] * ef;
    if (e < first[node + 1]) {
      next[node]++;
      const to = edges[e + 2] / nf;
      if (strong(e) && !seen[to]) (seen[to] = 1), stack.push(to);
    } else (post[node] = order.length), order.push(node), stack.pop();
  }
  const preds = Array.from({ length: count }, () => []);
  for (let node = 0; node < count; node++) if (seen[node]) for (let e = first[node]; e < first[node + 1]; e += ef) if (strong(e)) preds[edges[e + 2] / nf].push(node);
  const idom = new Int32Array(count).fill(-1);
  idom[0] = 0;
  const meet = (x, y) => {
    while (x !== y) {
      while (post[x] < post[y]) x = idom[x];
      while (post[y] < post[x]) y = idom[y];
    }
    return x;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = order.length - 2; i >= 0; i--) {
      const node = order[i];
      let d = -1;
      for (const p of preds[node]) if (idom[p] !== -1) d = d === -1 ? p : meet(p, d);
      if (d !== -1 && idom[node] !== d) (idom[node] = d), (changed = true);
    }
  }
  const KINDS = new Set(['WebSocket', 'Socket', 'Receiver', 'Sender', 'TCP', 'WsTransport', 'Inbox', 'ServerMux', 'MuxActor', 'Connection', 'GatewayConnection', 'Outbound', 'Outbox', 'OutputBound', 'WispWire', 'ReceiveBudget', 'LazySubject', 'ReplayLazySubject', 'ReplaySubject', 'Subject', 'SafeSubscriber', 'StepTimer', 'Timeout', 'IdleTimer', 'MuxStream', 'StreamRecord']);
  const name = (node) => strings[nodes[node * nf + 1]];
  const type = (node) => types[nodes[node * nf]];
  const totals = new Map();
  for (let node = 0; node < count; node++) {
    const id = nodes[node * nf + 2];
    if (!seen[node] || id <= maxId || id > 50e6) continue;
    let label = `(shared) ${type(idom[node])}:${name(idom[node]).slice(0, 24)}`;
    for (let d = node, k = 0; k < 200 && d !== 0; k++, d = idom[d]) {
      if (type(d) === 'object' && KINDS.has(name(d))) {
        label = name(d);
        break;
      }
    }
    totals.set(label, (totals.get(label) ?? 0) + nodes[node * nf + 3]);
  }
  return [...totals].map(([label, bytes]) => [label, bytes / n]).sort((x, y) => y[1] - x[1]);
}

(async () => {
  const n = Number(arg('n', 500));
  const streams = Number(arg('streams', 0));
  const v1 = arg('v1', false) === true;
  const snapshot = arg('snapshot', false);
  const dir = snapshot === true ? fs.mkdtempSync(path.join(os.tmpdir(), 'heap-per-connection-')) : snapshot || undefined;
  if (dir) fs.mkdirSync(dir, { recursive: true });
  const { createGateway } = require(DIST);
  const held = new Set();
  const target = net.createServer((socket) => {
    held.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => held.delete(socket));
  });
  await new Promise((resolve) => target.listen(0, '127.0.0.1', resolve));
  const port = target.address().port;
  const gateway = await createGateway({ host: '127.0.0.1', port: 0, policy: { allowLoopback: true, allowPrivate: true }, maxConnectionsPerClient: 65536, maxStreamsPerConnection: 65536 });
  const child = fork(__filename, [], { env: { ...process.env, HEAP_PER_CONNECTION_CHILD: '1' } });
  const call = (message) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${message.cmd} took over 60 s`)), 60_000);
      child.once('message', () => (clearTimeout(timer), resolve()));
      child.send(message);
    });
  const connect = (count) => call({ cmd: 'connect', url: String(gateway.url), n: count, streams, port, v1 });
  await connect(20); // warm-up through the same paths
  await call({ cmd: 'close' });
  await sleep(300);
  const base = await heap();
  if (dir) v8.writeHeapSnapshot(path.join(dir, 'before.heapsnapshot'));
  const cpu = process.cpuUsage();
  await connect(n);
  const used = process.cpuUsage(cpu);
  await sleep(300);
  const bytes = (await heap()) - base;
  console.log(`${n} ${v1 ? 'v1' : 'v2'} connections${streams ? ` with ${streams} streams each` : ''}: ${Math.round(bytes / n)} B heap + external per connection, ${Math.round((used.user + used.system) / n)} µs CPU per accepted connection (incl. stream opens)`);
  if (dir) {
    v8.writeHeapSnapshot(path.join(dir, 'after.heapsnapshot'));
    const rows = attribute(path.join(dir, 'before.heapsnapshot'), path.join(dir, 'after.heapsnapshot'), n);
    console.log(`objects added, by nearest named dominator, B per connection (snapshots in ${dir}):`);
    for (const [label, perConnection] of rows) if (perConnection >= 8) console.log(`${Math.round(perConnection).toString().padStart(7)}  ${label}`);
  }
  await call({ cmd: 'close' });
  child.send({ cmd: 'exit' });
  await gateway.close({ graceMs: 100 });
  for (const socket of held) socket.destroy();
  target.close();
})().catch((error) => {
  console.error(error);
  process.exit(1); // the gateway and the child are still open
});
