/**
 * Bundles a page script (TypeScript under spec/browser/page/) for the browser with esbuild,
 * from wisp-rx's universal entry: `platform: 'browser'` and no externals, so a Node built-in
 * reached from the entry fails the build instead of slipping into a page.
 */
import * as path from 'node:path';
import { build } from 'esbuild';

/** Bundles `spec/browser/page/<name>.ts` as one ES module and returns its text. */
export async function bundlePage(name: string): Promise<string> {
  const result = await build({
    entryPoints: [path.join(__dirname, '..', 'page', `${name}.ts`)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}
