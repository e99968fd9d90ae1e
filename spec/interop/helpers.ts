/**
 * Helpers for the interop specs: @mercuryworkshop/wisp-js (0.5.0) client and server on
 * loopback, local TCP/UDP targets, and a registry that closes everything after each test.
 *
 * wisp-js is loaded through its CommonJS entry points (`dist/wisp-client.cjs`,
 * `dist/wisp-server.cjs`), which work under Jest as they are. They take `WebSocket` from the
 * `ws` package (not from a global), so no global `WebSocket` has to be installed in Node 20.
 * The server bundle exports `logging` (the full bundle does not), and the server's `options`
 * are global to the bundle: {@link startWispJsServer} sets them and restores them on cleanup.
 */
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import * as net from 'node:net';
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ClientMux, type ClientMuxOptions } from '../../lib/wisp/client-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { createGateway, type Gateway } from '../../lib/server/gateway';
import type { GatewayOptions } from '../../lib/server/gateway-options';
import { connectWs } from '../../lib/transport/ws';
import type { WispJsClientModule, WispJsServerModule } from '../wisp-js-types';

/* eslint-disable @typescript-eslint/no-require-imports -- wisp-js's CommonJS bundles, typed in ../wisp-js-types */
export const wispJsClient = require('@mercuryworkshop/wisp-js/client') as WispJsClientModule;
export const wispJsServer = require('@mercuryworkshop/wisp-js/server') as WispJsServerModule;
/* eslint-enable @typescript-eslint/no-require-imports */

/** wisp-js's extension classes (the client bundle's; extensions are matched by id). */
export const { PasswordAuthExtension, UDPExtension, MOTDExtension } = wispJsClient.extensions;

// ---------------------------------------------------------------------------------------------
// Cleanup registry
// ---------------------------------------------------------------------------------------------

const cleanups: (() => unknown)[] = [];

/** Registers something to undo after the current test (last registered, first undone). */
export function defer(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

/** Call from `afterEach`: runs every registered cleanup. */
export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/**
 * wisp-js prints through `console` (its client always, with `console.warn`, e.g. for packets
 * on streams it already forgot; its server through its own logger). Silence both for a test.
 */
export function silenceWispJs(): void {
  const level = wispJsServer.logging.log_level;
  wispJsServer.logging.set_level(wispJsServer.logging.NONE);
  const spies = (['warn', 'info', 'log', 'debug', 'error'] as const).map((name) => jest.spyOn(console, name).mockImplementation(() => undefined));
  defer(() => {
    for (const spy of spies) spy.mockRestore();
    wispJsServer.logging.set_level(level);
  });
}

// ---------------------------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------------------------

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function chunksOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.subarray(offset, offset + size));
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// Local targets (127.0.0.1 only)
// ---------------------------------------------------------------------------------------------

/** A TCP server on 127.0.0.1; every accepted socket is handed to `handler` and destroyed on cleanup. */
export async function tcpTarget(handler: (socket: net.Socket) => void): Promise<{ port: number; accepted: net.Socket[] }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => undefined);
    handler(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as net.AddressInfo).port, accepted };
}

/** A TCP echo server on 127.0.0.1. */
export function tcpEcho(): Promise<{ port: number; accepted: net.Socket[] }> {
  return tcpTarget((socket) => socket.pipe(socket));
}

/** A UDP echo socket on 127.0.0.1: every datagram goes back to its sender as it is. */
export async function udpEcho(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, remote) => socket.send(message, remote.port, remote.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  defer(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

/** A loopback port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// ---------------------------------------------------------------------------------------------
// wisp-js server
// ---------------------------------------------------------------------------------------------

export interface WispJsServerOptions {
  /** `options.wisp_version` (1 forces v1 even when a client offers v2). */
  readonly version: 1 | 2;
  /** `options.wisp_motd`. */
  readonly motd?: string;
}

/**
 * wisp-js's server (`routeRequest` on an `http.Server` 'upgrade') on 127.0.0.1, with loopback
 * and private targets allowed. Its global options are restored, and every upgraded socket
 * destroyed, on cleanup.
 */
export async function startWispJsServer({ version, motd }: WispJsServerOptions): Promise<{ url: string }> {
  const options = wispJsServer.server.options;
  const saved = { ...options };
  Object.assign(options, { allow_loopback_ips: true, allow_private_ips: true, wisp_version: version, wisp_motd: motd ?? null });
  const upgraded = new Set<Duplex>();
  const server = http.createServer((_req, res) => res.end());
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    wispJsServer.server.routeRequest(req, socket, head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(async () => {
    const closing = [...upgraded].map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    for (const socket of upgraded) socket.destroy();
    await Promise.all(closing);
    await new Promise((resolve) => server.close(resolve));
    for (const key of Object.keys(options)) delete options[key];
    Object.assign(options, saved);
  });
  return { url: `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/` };
}

// ---------------------------------------------------------------------------------------------
// wisp-js client
// ---------------------------------------------------------------------------------------------

/** The parts of wisp-js's ClientConnection the specs use. */
export interface WispJsConnection {
  readonly ws: WebSocket;
  readonly wisp_version: number;
  readonly server_motd: string | null | undefined;
  readonly connected: boolean;
  onopen: () => void;
  onclose: () => void;
  onerror: () => void;
  create_stream(host: string, port: number, type: 'tcp' | 'udp'): WispJsStream;
  close(): void;
}

export interface WispJsStream {
  send(data: Uint8Array): void;
  close(reason?: number): void;
  onmessage: (data: Uint8Array) => void;
  onclose: (reason: number) => void;
}

/** How a wisp-js connection attempt ended, and what it saw on stream 0. */
export interface WispJsAttempt {
  readonly conn: WispJsConnection;
  /** Resolves true once open (onopen), false if it closed or failed first. */
  readonly opened: Promise<boolean>;
  /** Resolves once the connection has closed or failed (onclose/onerror). */
  readonly ended: Promise<'close' | 'error'>;
  /** Reasons of CLOSE packets the server sent on stream 0. */
  readonly connectionCloseReasons: number[];
}

/**
 * Starts a wisp-js ClientConnection. Its socket is terminated on cleanup. Stream-0 CLOSE
 * packets are recorded from the socket itself: wisp-js ignores them during its handshake.
 */
export function wispJsConnect(url: string, options: { wisp_version?: 1 | 2; wisp_extensions?: unknown[] } = {}): WispJsAttempt {
  const conn = new wispJsClient.client.ClientConnection(url, options) as WispJsConnection;
  const connectionCloseReasons: number[] = [];
  // wisp-js falls back to v1 on a socket error and then opens a new socket: watch the current one.
  const sockets = new Set<WebSocket>();
  const watch = (ws: WebSocket): void => {
    if (sockets.has(ws)) return;
    sockets.add(ws);
    ws.on('message', (data: ArrayBuffer | Buffer) => {
      const bytes = new Uint8Array(data as ArrayBuffer);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (bytes.length >= 6 && bytes[0] === 0x04 && view.getUint32(1, true) === 0) connectionCloseReasons.push(bytes[5]);
    });
  };
  watch(conn.ws);
  let settleOpened: (value: boolean) => void = () => undefined;
  const opened = new Promise<boolean>((resolve) => (settleOpened = resolve));
  const ended = new Promise<'close' | 'error'>((resolve) => {
    conn.onopen = () => settleOpened(true);
    conn.onclose = () => {
      settleOpened(false);
      resolve('close');
    };
    conn.onerror = () => {
      settleOpened(false);
      resolve('error');
    };
  });
  const originalConnect = (conn as unknown as { connect_ws(): void }).connect_ws.bind(conn);
  (conn as unknown as { connect_ws(): void }).connect_ws = () => {
    originalConnect();
    watch(conn.ws);
  };
  defer(async () => {
    const open = [...sockets].filter((ws) => ws.readyState !== ws.CLOSED);
    const closed = open.map((ws) => new Promise((resolve) => ws.once('close', resolve)));
    for (const ws of open) ws.terminate();
    await Promise.all(closed);
  });
  return { conn, opened, ended, connectionCloseReasons };
}

/** Connects a wisp-js client and waits until it is open (rejects if it closes first). */
export async function wispJsOpen(url: string, options: { wisp_version?: 1 | 2; wisp_extensions?: unknown[] } = {}): Promise<WispJsConnection> {
  const attempt = wispJsConnect(url, options);
  if (!(await attempt.opened)) throw new Error(`wisp-js client could not connect to ${url}`);
  return attempt.conn;
}

/** A wisp-js stream's received bytes, as a Promise of the first `total` of them. */
export function wispJsRead(stream: WispJsStream, total: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  return new Promise((resolve, reject) => {
    stream.onmessage = (data) => {
      chunks.push(data);
      size += data.length;
      if (size >= total) resolve(Buffer.concat(chunks));
    };
    stream.onclose = (reason) => reject(new Error(`stream closed (0x${reason.toString(16)}) after ${size} of ${total} bytes`));
  });
}

/** Resolves with the reason once a wisp-js stream is closed by its server. */
export function wispJsClosed(stream: WispJsStream): Promise<number> {
  return new Promise((resolve) => (stream.onclose = resolve));
}

// ---------------------------------------------------------------------------------------------
// wisp-rx side
// ---------------------------------------------------------------------------------------------

/** Connects a wisp-rx ClientMux over `ws`; closed on cleanup. */
export async function muxConnect(url: string, options: ClientMuxOptions = {}): Promise<ClientMux> {
  const mux = await ClientMux.connect(url, { connector: (u, protocols) => connectWs(u, protocols), ...options });
  defer(() => mux.close());
  return mux;
}

/** A wisp-rx gateway on 127.0.0.1 with loopback targets allowed; closed on cleanup. */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const gw = await createGateway({ port: 0, ...options, policy: { allowLoopback: true, ...options.policy } });
  defer(() => gw.close({ graceMs: 1000 }));
  return gw;
}

/** The first `total` bytes a wisp-rx stream receives. */
export function muxRead(stream: MuxStream, total: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  return new Promise((resolve, reject) => {
    const subscription = stream.data$.subscribe({
      next(chunk) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= total) {
          subscription.unsubscribe();
          resolve(Buffer.concat(chunks));
        }
      },
      error: reject,
      complete: () => reject(new Error(`stream ended after ${size} of ${total} bytes`)),
    });
  });
}
