/**
 * The gateway's HTTP side: WebSocket upgrades under the Wisp prefix (and, when enabled,
 * wsproxy paths below it), plain HTTP answers, and the metrics endpoint when it shares the
 * listener. Upgrades take a connection slot before the WebSocket handshake; refusals are
 * plain HTTP statuses (429 over the limit, 503 while stopping, 403 for a refused wsproxy target).
 * @module
 */
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WISP_V2_PROTOCOL } from '../wisp/negotiated.js';
import { wsTransport } from '../transport/ws.js';
import { clientAddress, type TrustedProxies } from './client-limits.js';
import { webSocketHandle } from './connection-handle.js';
import type { AcceptedClient } from './gateway-connection.js';
import type { ResolvedGatewayOptions } from './gateway-options.js';
import type { Logger } from './logger.js';
import type { RelayCounters } from './relay-tcp.js';
import type { LookupFunction } from './resolve.js';
import { checkWsProxyTarget, parseWsProxyPath, serveWsProxy } from './wsproxy.js';

/** What the front asks of the gateway. */
export interface FrontGateway {
  readonly options: ResolvedGatewayOptions;
  readonly logger: Logger;
  readonly proxies: TrustedProxies;
  readonly counters: RelayCounters;
  readonly lookup: LookupFunction | undefined;
  /** True once the gateway is stopping. */
  readonly stopping: () => boolean;
  /** A connection slot for `client`, or undefined at its limit (already logged). */
  readonly admit: (client: string) => Promise<(() => void) | undefined>;
  /** `conn N ADDRESS` for a new connection. */
  readonly label: (client: string) => string;
  /** Serves an accepted Wisp connection. */
  readonly serve: (client: AcceptedClient) => void;
  /** Answers an HTTP request on the metrics path; false when the path is not its. */
  readonly metricsRequest: ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | undefined;
}

/** The WebSocket server and the routing in front of the gateway. */
export class GatewayFront {
  readonly wss: WebSocketServer;

  constructor(private readonly gateway: FrontGateway) {
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: gateway.options.maxPacketSize,
      handleProtocols: selectProtocol,
    });
  }

  /** Plain HTTP requests on a listener the gateway owns. */
  request(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.gateway.metricsRequest?.(req, res)) return;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`wisp-rx gateway: connect a Wisp client over WebSocket to ${this.gateway.options.prefix}\n`);
  }

  /** Takes an upgrade for the Wisp prefix (or a wsproxy path); false leaves the socket alone. */
  route(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const { options, logger } = this.gateway;
    const path = (req.url ?? '/').split('?')[0];
    const proxyTarget = options.wsproxy ? parseWsProxyPath(path, options.prefix) : undefined;
    if (path !== options.prefix && !proxyTarget) return false;
    if (this.gateway.stopping()) return reject(socket, 503, 'Service Unavailable'), true;
    const client = clientAddress(req.socket.remoteAddress, req.headers, this.gateway.proxies);
    if (proxyTarget) {
      const refused = checkWsProxyTarget(options.policy, proxyTarget);
      if (refused !== undefined) {
        logger.info(`${client} wsproxy ${proxyTarget.host}:${proxyTarget.port} refused (0x${refused.toString(16)})`);
        return reject(socket, 403, 'Forbidden'), true;
      }
    }
    // A client gone while we wait for its slot. A module-level function: a closure here would
    // keep this call's context (the request, its headers, `head`) alive with the socket.
    socket.on('error', ignore);
    void this.gateway.admit(client).then((release) => {
      if (!release) return reject(socket, 429, 'Too Many Requests');
      if (socket.destroyed) return release();
      // The 101 response and the server's first packet (v2 INFO, v1 CONTINUE), both written
      // within this call, leave in one writev: on loopback a send costs as much as the rest
      // of the accept in JavaScript. The transport's own cork holds the INFO until the end of
      // the turn; this one only joins the response to it.
      socket.cork();
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (proxyTarget) return this.proxy(ws, client, proxyTarget, release);
        const v2 = !options.v1Only && ws.protocol.split(/,\s*/).includes(WISP_V2_PROTOCOL);
        const handle = webSocketHandle(ws);
        this.gateway.serve({ transport: wsTransport(ws), handle, client, release, v2, label: this.gateway.label(client) });
      });
      socket.uncork();
    });
    return true;
  }

  private proxy(ws: WebSocket, client: string, target: { host: string; port: number }, release: () => void): void {
    const { options, logger, counters, lookup } = this.gateway;
    ws.once('close', release);
    void serveWsProxy(ws, target, {
      policy: options.policy,
      connectTimeoutMs: options.connectTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      logger,
      label: this.gateway.label(client),
      counters,
      ...(lookup ? { lookup } : {}),
    });
  }
}

/**
 * The subprotocol answered to an upgrade. Browsers and `ws` abort a connection whose offered
 * subprotocols were all ignored, and epoxy-tls always offers a random one, so one of the
 * offered is always selected: `wisp-v2` when present (echoed even in v1-only mode, as wisp-js
 * does; the v1 handshake then shows up on the client as a downgrade), otherwise the first.
 * The mux runs v2 only when the selected one is `wisp-v2`.
 */
export function selectProtocol(offered: ReadonlySet<string>): string | false {
  if (offered.has(WISP_V2_PROTOCOL)) return WISP_V2_PROTOCOL;
  for (const protocol of offered) return protocol;
  return false;
}

function ignore(): void {}

/** An HTTP status on a socket that asked to upgrade. */
export function reject(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
  socket.on('error', () => undefined);
}
