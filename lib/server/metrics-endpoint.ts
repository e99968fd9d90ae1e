/**
 * The observability endpoint: `/metrics` (Prometheus text from the gateway's registry),
 * `/stats.json` (the same numbers plus history, for scripts and the status page) and `/`
 * (the status page). Loopback-only unless other addresses are allowed: metrics reveal
 * traffic and refused targets.
 * @module
 */
import * as http from 'node:http';
import { TrustedProxies } from './client-limits.js';
import { listenOn } from './listeners.js';
import type { GatewayMetrics } from './metrics.js';
import { statusPageHtml } from './status-page.js';

/** Options of {@link metricsHandler}. */
export interface MetricsEndpointOptions {
  readonly metrics: GatewayMetrics;
  /** The stats document's numbers (the gateway's stats, and the shared sum with Redis). */
  readonly stats: () => object | Promise<object>;
  /** Addresses or CIDR blocks allowed to read. Default loopback only. */
  readonly allow?: readonly string[];
  /** Path prefix the endpoint lives under (ends with `/`). Default `/`. */
  readonly prefix?: string;
  /** How often the status page polls, ms. Default 2000. */
  readonly pollMs?: number;
}

/** The loopback ranges, the default audience. */
export const LOOPBACK_ONLY: readonly string[] = ['127.0.0.0/8', '::1/128'];

/**
 * A request handler for the endpoint; returns false (leaving the response alone) for paths
 * outside `prefix`, so it can share a server with other handlers.
 */
export function metricsHandler(options: MetricsEndpointOptions): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const allowed = new TrustedProxies([...(options.allow ?? LOOPBACK_ONLY)]);
  const prefix = options.prefix ?? '/';
  const page = statusPageHtml(options.pollMs);
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (!path.startsWith(prefix)) return false;
    if (!allowed.has(req.socket.remoteAddress ?? '')) return send(res, 403, 'text/plain', 'forbidden\n'), true;
    const rest = path.slice(prefix.length);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only\n'), true;
    if (rest === 'metrics') {
      options.metrics.registry.metrics().then(
        (text) => send(res, 200, options.metrics.registry.contentType, text),
        (error: unknown) => send(res, 500, 'text/plain', `metrics failed: ${String(error)}\n`),
      );
    } else if (rest === 'stats.json') {
      const history = options.metrics.history;
      Promise.resolve(options.stats()).then(
        (stats) => send(res, 200, 'application/json', JSON.stringify({ ...stats, throughput: history.throughput(), refusals: history.recentRefusals() })),
        (error: unknown) => send(res, 500, 'text/plain', `stats failed: ${String(error)}\n`),
      );
    } else if (rest === '' || rest === 'status') {
      send(res, 200, 'text/html; charset=utf-8', page);
    } else send(res, 404, 'text/plain', 'not found\n');
    return true;
  };
}

/** Serves the endpoint on its own listener (`--metrics HOST:PORT`). */
export async function listenMetrics(options: MetricsEndpointOptions & { readonly host: string; readonly port: number }): Promise<http.Server> {
  const handle = metricsHandler(options);
  const server = http.createServer((req, res) => {
    if (!handle(req, res)) send(res, 404, 'text/plain', 'not found\n');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await listenOn(server, { kind: 'tcp', host: options.host, port: options.port });
  return server;
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
