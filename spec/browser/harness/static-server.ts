/**
 * The pages' origin: a small HTTP server on 127.0.0.1 serving a fixed set of files from memory
 * (the esbuild bundles, epoxy's `epoxy.js` and `epoxy.wasm`, wisp-js's browser client).
 * Anything else is 404, so a page cannot pick up stray files.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

/** One served file. */
export interface Asset {
  readonly type: string;
  readonly body: string | Buffer;
}

const modules = path.join(__dirname, '..', '..', '..', 'node_modules');

/** epoxy-tls's full build and wisp-js's browser client, as the pages import them. */
export function vendorAssets(): Record<string, Asset> {
  const read = (file: string) => fs.readFileSync(path.join(modules, file));
  return {
    '/vendor/epoxy.js': { type: 'text/javascript', body: read('@mercuryworkshop/epoxy-tls/full/epoxy.js') },
    // WebAssembly.instantiateStreaming insists on this type.
    '/vendor/epoxy.wasm': { type: 'application/wasm', body: read('@mercuryworkshop/epoxy-tls/full/epoxy.wasm') },
    '/vendor/wisp-client.mjs': { type: 'text/javascript', body: read('@mercuryworkshop/wisp-js/dist/wisp-client.mjs') },
  };
}

/** An HTML page that loads `script` as a module (the script installs `window.wispTests`). */
export function htmlPage(script: string): Asset {
  return { type: 'text/html', body: `<!doctype html><meta charset="utf-8"><title>wisp-rx</title><script type="module" src="${script}"></script>` };
}

/** A running static server. */
export interface StaticServer {
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves `assets` (path → file) on 127.0.0.1 with a free port. */
export async function serveStatic(assets: Record<string, Asset>): Promise<StaticServer> {
  const server = http.createServer((request, response) => {
    const asset = assets[new URL(request.url ?? '/', 'http://x').pathname];
    if (!asset) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' }).end(asset.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
