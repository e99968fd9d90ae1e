/**
 * wsproxy, the older protocol some browser clients still speak: a WebSocket whose path is
 * `/prefix/host:port` is one raw TCP connection to that target, bytes both ways, no Wisp
 * framing. The same destination policy as Wisp streams applies (checked on the request and
 * on every resolved address), and backpressure runs both ways. Off by default in the gateway.
 * @module
 */
import type * as net from 'node:net';
import type { WebSocket } from 'ws';
import { closeReasonName } from '../wisp/packet/close-reason.js';
import { isDialError } from './dial-error.js';
import { dialTcp } from './dial-tcp.js';
import type { Logger } from './logger.js';
import { checkRequest, type DestinationPolicy } from './policy.js';
import type { RelayCounters } from './relay-tcp.js';
import { resolveTarget, type LookupFunction } from './resolve.js';

/** Bytes queued on the WebSocket above which the target is no longer read. */
const HIGH_WATER_MARK = 1024 * 1024;

/** A wsproxy target from the request path. */
export interface WsProxyTarget {
  readonly host: string;
  readonly port: number;
}

/** What {@link serveWsProxy} needs from the gateway. */
export interface WsProxyContext {
  readonly policy: DestinationPolicy;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly logger: Logger;
  readonly label: string;
  readonly counters?: RelayCounters;
  readonly lookup?: LookupFunction;
  /** Called with the target socket once it is connected (diagnostics and tests). */
  readonly onOpen?: (socket: net.Socket) => void;
}

/**
 * `host:port` after `prefix` (`/prefix/example.com:443`, `/prefix/[::1]:22`, percent-encoded
 * allowed), or undefined when the path is not a wsproxy path.
 */
export function parseWsProxyPath(path: string, prefix: string): WsProxyTarget | undefined {
  if (!path.startsWith(prefix) || path.length === prefix.length) return undefined;
  let rest: string;
  try {
    rest = decodeURIComponent(path.slice(prefix.length));
  } catch {
    return undefined;
  }
  const match = /^(\[[^\]]+\]|[^:/[\]]+):(\d{1,5})$/.exec(rest);
  if (!match) return undefined;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? { host: match[1], port } : undefined;
}

/** The close reason byte the policy gives before any DNS, or undefined when allowed. */
export function checkWsProxyTarget(policy: DestinationPolicy, target: WsProxyTarget): number | undefined {
  return checkRequest(policy, { type: 'tcp', hostname: target.host, port: target.port });
}

/**
 * Relays an accepted WebSocket and the target: resolves and checks the name, dials the
 * checked address, then copies bytes each way. Failures close the WebSocket with 1011 and
 * the Wisp reason's name (e.g. `ConnectionRefused`); the target's end closes it with 1000.
 */
export async function serveWsProxy(ws: WebSocket, target: WsProxyTarget, context: WsProxyContext): Promise<void> {
  const where = `${context.label} wsproxy ${target.host}:${target.port}`;
  const abort = new AbortController();
  ws.on('error', () => undefined);
  ws.once('close', () => abort.abort());
  ws.pause(); // nothing is read until the target is there to take it
  let socket: net.Socket;
  try {
    const resolved = await resolveTarget(target.host, context.policy, {
      signal: abort.signal,
      ...(context.lookup ? { lookup: context.lookup } : {}),
    });
    socket = await dialTcp({ ...resolved, port: target.port }, { connectTimeoutMs: context.connectTimeoutMs, signal: abort.signal });
  } catch (error) {
    const reason = isDialError(error) ? closeReasonName(error.reason).replace(/ \(.*\)$/, '') : 'NetworkError';
    context.logger.info(`${where} failed: ${reason}`);
    ws.resume(); // a paused WebSocket would never read the peer's answering close frame
    ws.close(1011, reason);
    return;
  }
  if (abort.signal.aborted) return void socket.destroy();
  context.logger.debug(`${where} open`);
  relay(ws, socket, context);
  context.onOpen?.(socket);
}

function relay(ws: WebSocket, socket: net.Socket, context: WsProxyContext): void {
  const counters = context.counters;
  ws.on('message', (data: Buffer) => {
    if (counters) counters.up += data.length;
    if (!socket.write(data)) ws.pause();
  });
  socket.on('drain', () => ws.resume());
  const sent = (): void => {
    if (socket.isPaused() && ws.bufferedAmount <= HIGH_WATER_MARK / 2) socket.resume();
  };
  socket.on('data', (chunk: Buffer) => {
    if (counters) counters.down += chunk.length;
    ws.send(chunk, { binary: true }, sent);
    if (ws.bufferedAmount > HIGH_WATER_MARK) socket.pause();
  });
  socket.on('error', () => undefined);
  socket.once('end', () => ws.close(1000, 'target closed'));
  socket.once('close', () => {
    if (ws.readyState === ws.OPEN) ws.close(1011, 'NetworkError');
  });
  ws.once('close', () => socket.end());
  if (context.idleTimeoutMs > 0) {
    socket.setTimeout(context.idleTimeoutMs, () => {
      ws.close(1000, 'TransferTimeout');
      socket.destroy();
    });
  }
  ws.resume();
}
