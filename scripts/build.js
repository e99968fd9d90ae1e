#!/usr/bin/env node
// Builds dist/cjs (CommonJS + .d.ts) and dist/esm (ES modules), then marks dist/esm as
// "type": "module" so Node loads it as ESM while the package itself stays CommonJS.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.esm.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
}
fs.writeFileSync(path.join(root, 'dist/esm/package.json'), '{ "type": "module" }\n');
