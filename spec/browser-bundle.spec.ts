/**
 * The universal entry bundles for a browser: esbuild with `platform: 'browser'` and nothing
 * marked external must succeed, so no Node built-in (`node:*`, `ws`) is reachable from it.
 * Structure only: bundle sizes are reported by `bench/bundle-size.js`, never asserted here.
 */
import * as path from 'node:path';
import { build } from 'esbuild';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { APPS, bundle } = require('../bench/bundle-size') as { APPS: Record<string, string>; bundle: (source: string, options?: { minify?: boolean }) => Promise<string> };

const root = path.join(__dirname, '..');
/**
 * An import or require of a Node built-in or `ws` left in the output. (The Duplex view's
 * runtime `process.getBuiltinModule('node:stream')` lookup is not an import and is allowed.)
 */
const nodeImport = /(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](?:node:[a-z_/]+|ws)["']/;

function bundleEntry(entry: string) {
  return build({
    entryPoints: [path.join(root, 'dist', 'esm', entry)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
}

describe('browser bundle of the universal entry', () => {
  it('bundles dist/esm/index.js with platform browser and no externals', async () => {
    const result = await bundleEntry('index.js');
    const code = result.outputFiles[0].text;
    expect(code).not.toMatch(nodeImport);
    expect(code).toContain('ClientMux');
  });

  it('the Node entry does not bundle that way (so the check above can fail)', async () => {
    await expect(bundleEntry('node.js')).rejects.toThrow(/node:|Could not resolve/);
  });

  it('the ClientMux-only app the bundle-size report measures builds and minifies', async () => {
    const code = await bundle(APPS['wisp-rx']);
    expect(code.length).toBeGreaterThan(0);
    expect(code).not.toMatch(nodeImport);
  });
});
