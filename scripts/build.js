#!/usr/bin/env node
// Builds the package, incrementally: `tsc -b` compiles lib/ to dist/cjs (CommonJS + .d.ts)
// only when a source changed (it keeps dist/cjs/*.tsbuildinfo), so an up-to-date build
// takes about a second. The JavaScript is emitted without comments and the declarations, in a
// pass of their own, with them: V8 keeps every loaded module's source text on the heap, and
// our TSDoc was 0.3 MB of a process's baseline (docs/architecture.md, "Heap baseline"); the
// source maps (sources inlined) still carry it for debugging. `--clean` removes dist/ and build/ first (prepack does that, so a
// tarball never holds the output of a deleted source).
//
// dist/esm is a real ES module build, for bundlers and browsers (the `import` condition):
// tree-shakable, and it shares rxjs's ES build with the application. In Node (the `node`
// condition), `import` gets dist/node instead: thin ES module wrappers that re-export the
// CommonJS build, so Node loads one copy of every class whether a program imports or
// requires wisp-rx (or both) — no dual-package hazard for `instanceof` or for module state
// such as the default connector that `wisp-rx/node` installs. (Were a bundle to mix both,
// `isWispError` still holds: it checks a brand, not the class.) The wrappers' export lists
// come from the built modules.
//
// Then the examples (examples/*.ts) are compiled to build/examples against the built
// declarations, so they run as `node build/examples/NAME.js`, resolving `wisp-rx/node`
// through the package's own exports, exactly as in a project that installed it.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc');

/** Entry points: dist/cjs/NAME.js and dist/esm/NAME.js, wrapped as dist/node/NAME.js. */
const ENTRIES = ['index', 'node', 'node-client', 'smux', 'yamux', 'testing'];

if (process.argv.includes('--clean')) {
  for (const dir of ['dist', 'build']) fs.rmSync(path.join(root, dir), { recursive: true, force: true });
}
execFileSync(process.execPath, [tsc, '-b', 'tsconfig.build.json', 'tsconfig.types.json', 'tsconfig.esm.json', 'tsconfig.esm-types.json'], { cwd: root, stdio: 'inherit' });
writeIfChanged(path.join(root, 'dist/esm/package.json'), '{ "type": "module" }\n');

const wrappers = path.join(root, 'dist/node');
fs.mkdirSync(wrappers, { recursive: true });
writeIfChanged(path.join(wrappers, 'package.json'), '{ "type": "module" }\n');
for (const entry of ENTRIES) {
  const names = Object.keys(require(path.join(root, 'dist/cjs', `${entry}.js`))).filter((n) => n !== '__esModule').sort();
  const js = [
    `// Node's ESM entry: re-exports the CommonJS build so that both module systems share one copy.`,
    `import cjs from '../cjs/${entry}.js';`,
    ``,
    `export const {`,
    ...names.map((n) => `  ${n},`),
    `} = cjs;`,
    ``,
  ].join('\n');
  writeIfChanged(path.join(wrappers, `${entry}.js`), js);
  writeIfChanged(path.join(wrappers, `${entry}.d.ts`), `export * from '../cjs/${entry}.js';\n`);
}

if (fs.readdirSync(path.join(root, 'examples')).some((f) => f.endsWith('.ts'))) {
  execFileSync(process.execPath, [tsc, '-b', 'tsconfig.examples.json'], { cwd: root, stdio: 'inherit' });
}

/** Rewriting an unchanged file would only bump its mtime. */
function writeIfChanged(file, text) {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  fs.writeFileSync(file, text);
}
