// Examples and CLI tests run the built package (dist/), as users do: build it once per run.
// Set WISP_RX_SKIP_BUILD=1 to skip when dist/ is known to be fresh.
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  if (process.env.WISP_RX_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'build.js')], { stdio: 'inherit' });
};
