#!/usr/bin/env node
// What loading the package costs a Node process before its first connection: V8 heap after
// two gc() calls, after require() minus before, in a fresh `node --expose-gc` per sample
// (median of 3), with the number of modules loaded. wisp-rx's Node entries and universal entry
// (dist/cjs, so `npm run build` first) beside wisp-js's server + client. Why it matters:
// docs/architecture.md, "Heap baseline and V8's marking threshold". Run alone
// (`node bench/load-heap.js`) or as part of `npm run bench`.
'use strict';
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const ENTRIES = {
  'wisp-rx/node': [path.join(root, 'dist/cjs/node.js')],
  'wisp-rx/node-client': [path.join(root, 'dist/cjs/node-client.js')],
  'wisp-rx': [path.join(root, 'dist/cjs/index.js')],
  'wisp-js server + client': ['@mercuryworkshop/wisp-js/server', '@mercuryworkshop/wisp-js/client'],
};

const PROBE = `
  const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
  const before = heap();
  const modules = Object.keys(require.cache).length;
  for (const m of JSON.parse(process.argv[1])) require(m);
  console.log(JSON.stringify({ bytes: heap() - before, modules: Object.keys(require.cache).length - modules }));
`;

function sample(modules) {
  const out = execFileSync(process.execPath, ['--expose-gc', '-e', PROBE, JSON.stringify(modules)], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out);
}

/** `{ name: { bytes, modules } }`: median of `samples` fresh processes each. */
function measureLoadHeap(samples = 3) {
  const result = {};
  for (const [name, modules] of Object.entries(ENTRIES)) {
    const runs = Array.from({ length: samples }, () => sample(modules)).sort((a, b) => a.bytes - b.bytes);
    result[name] = runs[Math.floor(runs.length / 2)];
  }
  return result;
}

function printLoadHeap(sizes) {
  console.log('\nNode: heap added by loading the package (after gc, median of 3 fresh processes)');
  console.log(`  ${'entry'.padEnd(24)} ${'MiB'.padStart(6)} ${'modules'.padStart(8)}`);
  for (const [name, { bytes, modules }] of Object.entries(sizes)) {
    console.log(`  ${name.padEnd(24)} ${(bytes / 1048576).toFixed(2).padStart(6)} ${String(modules).padStart(8)}`);
  }
}

module.exports = { measureLoadHeap, printLoadHeap };

if (require.main === module) printLoadHeap(measureLoadHeap());
