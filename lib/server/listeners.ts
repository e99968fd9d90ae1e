/**
 * Where a gateway listens: TCP (`HOST:PORT`), a Unix socket (`unix:/path`, with its file
 * mode), with or without TLS, and certificate reloads without a restart.
 * @module
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { WispError } from '../errors.js';

/** A listening address. */
export type ListenAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string; readonly mode?: number };

/** Certificate and key files for TLS listeners (PEM). */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/** Parses `HOST:PORT`, `[v6]:PORT`, `:PORT` (on `defaultHost`) or `unix:/path`. */
export function parseListenAddress(text: string, defaultHost = '127.0.0.1'): ListenAddress {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) throw new WispError('InvalidArgument', `no socket path in ${JSON.stringify(text)}`);
    return { kind: 'unix', path };
  }
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new WispError('InvalidArgument', `expected HOST:PORT or unix:/path, got ${JSON.stringify(text)}`);
  return { kind: 'tcp', host: match[1] ?? (match[2] || defaultHost), port };
}

/** Reads the TLS files (PEM) into server options. */
export function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  try {
    return { cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key) };
  } catch (cause) {
    throw new WispError('InvalidArgument', `cannot read TLS files: ${(cause as Error).message}`, { cause });
  }
}

/** An HTTP server, or an HTTPS one with the certificate and key given. */
export function createWebServer(
  options: http.ServerOptions,
  tls: TlsFiles | undefined,
  handler: http.RequestListener,
): http.Server {
  return tls ? https.createServer({ ...options, ...readTls(tls) }, handler) : http.createServer(options, handler);
}

/**
 * Swaps an HTTPS server's certificate and key for what the files hold now (after a renewal).
 * Connections already open keep theirs; new ones get the new pair. A bad file leaves the old
 * pair in place and throws.
 */
export function reloadTls(server: https.Server, files: TlsFiles): void {
  server.setSecureContext(readTls(files));
}

/**
 * Starts `server` listening at `address`. For a Unix socket: a stale socket file (nobody
 * accepting on it) is removed first, the mode is applied once listening, and the file is
 * removed when the server closes.
 */
export async function listenOn(server: net.Server, address: ListenAddress): Promise<void> {
  if (address.kind === 'unix') await removeStaleSocket(address.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (address.kind === 'unix') server.listen(address.path, done);
    else server.listen(address.port, address.host, done);
  });
  if (address.kind === 'unix') {
    if (address.mode !== undefined) fs.chmodSync(address.path, address.mode);
    server.once('close', () => fs.rmSync(address.path, { force: true }));
  }
}

/** The URL a client uses for `address` (Wisp over WebSocket, or the length-delimited carrier). */
export function addressUrl(server: net.Server, transport: 'websocket' | 'length-delimited', tls: boolean, prefix: string): string {
  const address = server.address();
  if (address === null) return '';
  if (typeof address === 'string') return `unix:${address}`;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  if (transport === 'length-delimited') return `tcp://${host}:${address.port}`;
  return `${tls ? 'wss' : 'ws'}://${host}:${address.port}${prefix}`;
}

async function removeStaleSocket(path: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch {
    return; // nothing there
  }
  if (!stat.isSocket()) throw new WispError('InvalidArgument', `${path} exists and is not a socket`);
  // A socket file someone still accepts on is in use: refuse rather than steal it.
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', () => resolve(false));
  });
  if (live) throw new WispError('InvalidArgument', `${path} is in use by another server`);
  fs.rmSync(path);
}
