#!/usr/bin/env node
// Browser bundle size: a ClientMux-only app bundled from wisp-rx's universal entry
// (dist/esm/index.js, so `npm run build` first) beside the same app on wisp-js's browser
// client, both with esbuild (platform browser, minify, tree shaking). Reports minified and
// gzip bytes. Run alone (`node bench/bundle-size.js`) or as part of `npm run bench`.
'use strict';
const path = require('node:path');
const zlib = require('node:zlib');
const { build } = require('esbuild');

const root = path.join(__dirname, '..');

/** What each app does: connect, open one TCP stream, print what arrives. */
const APPS = {
  'wisp-rx': `
    import { ClientMux } from './dist/esm/index.js';
    export async function run(url) {
      const mux = await ClientMux.connect(url);
      const stream = await mux.open('tcp', 'example.com', 80);
      stream.data$.subscribe((chunk) => console.log(chunk.length));
      await stream.write(new TextEncoder().encode('GET / HTTP/1.0\\r\\n\\r\\n'));
    }`,
  'wisp-js': `
    import { client } from './node_modules/@mercuryworkshop/wisp-js/dist/wisp-client.mjs';
    export function run(url) {
      const connection = new client.ClientConnection(url);
      connection.onopen = () => {
        const stream = connection.create_stream('example.com', 80);
        stream.onmessage = (chunk) => console.log(chunk.length);
        stream.send(new TextEncoder().encode('GET / HTTP/1.0\\r\\n\\r\\n'));
      };
    }`,
};

/** Bundles `source` (an ES module resolved from the repo root) for the browser; returns the code. */
async function bundle(source, { minify = true } = {}) {
  const result = await build({
    stdin: { contents: source, resolveDir: root, sourcefile: 'app.js', loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify,
    treeShaking: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/** `{ name: { minified, gzip } }` in bytes for each app. */
async function measureBundles() {
  const sizes = {};
  for (const [name, source] of Object.entries(APPS)) {
    const code = Buffer.from(await bundle(source));
    sizes[name] = { minified: code.length, gzip: zlib.gzipSync(code, { level: 9 }).length };
  }
  return sizes;
}

function printBundles(sizes) {
  console.log('\nBrowser bundle, ClientMux-only app (esbuild, platform browser, minified), bytes');
  console.log(`  ${'client'.padEnd(10)} ${'minified'.padStart(10)} ${'gzip'.padStart(10)}`);
  for (const [name, { minified, gzip }] of Object.entries(sizes)) {
    console.log(`  ${name.padEnd(10)} ${String(minified).padStart(10)} ${String(gzip).padStart(10)}`);
  }
}

module.exports = { APPS, bundle, measureBundles, printBundles };

if (require.main === module) {
  measureBundles().then(printBundles, (error) => {
    console.error(error.message || error);
    process.exitCode = 1;
  });
}
