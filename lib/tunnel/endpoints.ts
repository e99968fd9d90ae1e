/**
 * The two ends of a tunnel over TCP. The server accepts connections, each one a session;
 * the client keeps one session to the server up, reconnecting with backoff. Either end can
 * carry local TCP connections as streams (`listen` on the client, `expose` on the server)
 * and connect the streams the other end opens to a target (`to`).
 * @packageDocumentation
 */
import * as net from 'node:net';
import { connectTcp, duplexTransport } from '../transport/duplex-transport.js';
import type { Role } from '../core/protocol.js';
import type { Transport } from '../transport/transport.js';
import { TunnelStats, type TunnelStatsSnapshot } from './stats.js';
import type { MuxStream } from '../stream/mux-stream.js';
import { relay } from './relay.js';
import type { TunnelSession } from './types.js';

/** `host` and `port`. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** What the tunnel logs. */
export interface TunnelLog {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** Makes a session on a transport. */
export type SessionFactory = (role: Role, transport: Transport) => Promise<TunnelSession>;

/** A running tunnel end. */
export interface TunnelEnd {
  /** Where local connections are accepted (`listen` or `expose`), if anywhere. */
  readonly local: Address | undefined;
  /** Where the tunnel server accepts tunnel connections (server only). */
  readonly tunnel: Address | undefined;
  /** Stops accepting, closes the sessions (streams get a short drain), resolves when done. */
  close(): Promise<void>;
  /** The counters for the stats line. */
  stats(): TunnelStatsSnapshot;
}

const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 10_000;
const STOP_DRAIN_MS = 1000;

/** Options of {@link startTunnelServer}. */
export interface TunnelServerOptions {
  readonly listen: Address;
  /** Streams the clients open are connected here. */
  readonly to?: Address;
  /** Local connections here become streams opened toward the newest client (reverse mode). */
  readonly expose?: Address;
  readonly session: SessionFactory;
  readonly log: TunnelLog;
}

/** Starts a tunnel server; resolves once it (and `expose`) listen. */
export async function startTunnelServer({ listen, to, expose, session, log }: TunnelServerOptions): Promise<TunnelEnd> {
  const sessions: TunnelSession[] = [];
  const stats = new TunnelStats();
  let next = 1;
  const server = net.createServer((socket) => {
    const label = `client #${next++} ${socket.remoteAddress}:${socket.remotePort}`;
    session('server', duplexTransport(socket)).then(
      (live) => {
        log.info(`${label} connected`);
        sessions.push(live);
        const down = stats.session();
        connectStreams(live, to, label, log, stats);
        // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
        live.closed$.subscribe({ next: () => (down(), gone(live)), error: () => (down(), gone(live)) });
      },
      (error: unknown) => log.warn(`${label}: ${String(error)}`),
    );
    const gone = (live: TunnelSession): void => {
      const at = sessions.indexOf(live);
      if (at >= 0) sessions.splice(at, 1);
      log.info(`${label} disconnected`);
    };
  });
  await listenOn(server, listen);
  let exposed: net.Server | undefined;
  if (expose) {
    exposed = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
      const live = sessions.at(-1);
      if (!live) return socket.resetAndDestroy();
      carry(live, socket, log, stats);
    });
    try {
      await listenOn(exposed, expose);
    } catch (error) {
      server.close();
      throw error;
    }
  }
  return {
    tunnel: bound(server),
    local: exposed && bound(exposed),
    stats: () => stats.snapshot(),
    async close() {
      server.close();
      exposed?.close();
      await Promise.all(sessions.splice(0).map((s) => s.close({ drainMs: STOP_DRAIN_MS })));
    },
  };
}

/** Options of {@link startTunnelClient}. */
export interface TunnelClientOptions {
  readonly server: Address;
  /** Local connections here become streams (forward mode). */
  readonly listen?: Address;
  /** Streams the server opens are connected here (reverse mode). */
  readonly to?: Address;
  readonly session: SessionFactory;
  readonly log: TunnelLog;
  /** While disconnected, how long a local connection waits for the reconnect. */
  readonly waitMs: number;
  readonly connectTimeoutMs?: number;
}

/**
 * Starts a tunnel client; resolves once `listen` listens and the first session is up
 * (rejects if that first connection fails). Later losses reconnect with backoff: 100 ms,
 * doubling to 10 s, reset by a success.
 */
export async function startTunnelClient(options: TunnelClientOptions): Promise<TunnelEnd> {
  const { server, listen, to, session, log, waitMs } = options;
  let current: TunnelSession | undefined;
  const stats = new TunnelStats();
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const waiting = new Set<(live: TunnelSession | undefined) => void>();
  const where = `${server.host}:${server.port}`;

  const connect = async (): Promise<TunnelSession> => {
    const live = await session('client', await connectTcp(server.host, server.port, { timeoutMs: options.connectTimeoutMs ?? 10_000 }));
    current = live;
    const down = stats.session();
    for (const wake of [...waiting]) wake(live);
    connectStreams(live, to, 'server', log, stats);
    // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
    live.closed$.subscribe({ next: () => (down(), lost(live)), error: () => (down(), lost(live)) });
    return live;
  };
  let delay = BACKOFF_FIRST_MS;
  const lost = (live: TunnelSession): void => {
    if (current !== live) return;
    current = undefined;
    if (stopped) return;
    log.warn(`connection to ${where} lost; reconnecting in ${delay} ms`);
    schedule();
  };
  const schedule = (): void => {
    retry = setTimeout(() => {
      connect().then(
        () => {
          delay = BACKOFF_FIRST_MS;
          log.info(`reconnected to ${where}`);
        },
        (error: unknown) => {
          delay = Math.min(delay * 2, BACKOFF_MAX_MS);
          log.warn(`reconnect failed (${error instanceof Error ? error.message : String(error)}); next try in ${delay} ms`);
          if (!stopped) schedule();
        },
      );
    }, delay);
  };

  const sessionFor = (): Promise<TunnelSession | undefined> => {
    if (current) return Promise.resolve(current);
    return new Promise((resolve) => {
      const timer = setTimeout(() => wake(undefined), waitMs);
      const wake = (live: TunnelSession | undefined): void => {
        clearTimeout(timer);
        waiting.delete(wake);
        resolve(live);
      };
      waiting.add(wake);
    });
  };
  let local: net.Server | undefined;
  if (listen) {
    local = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
      socket.on('error', () => undefined);
      void sessionFor().then((live) => (live && !socket.destroyed ? carry(live, socket, log, stats) : socket.resetAndDestroy()));
    });
    await listenOn(local, listen);
  }
  try {
    await connect();
  } catch (error) {
    local?.close();
    throw error;
  }
  log.info(`connected to ${where}`);
  return {
    tunnel: undefined,
    local: local && bound(local),
    stats: () => stats.snapshot(),
    async close() {
      stopped = true;
      clearTimeout(retry);
      local?.close();
      for (const wake of [...waiting]) wake(undefined);
      await current?.close({ drainMs: STOP_DRAIN_MS });
    },
  };
}

/** Streams the peer opens go to `to` (or are closed when there is no target). */
function connectStreams(live: TunnelSession, to: Address | undefined, label: string, log: TunnelLog, stats: TunnelStats): void {
  // eslint-disable-next-line rxjs-x/no-ignored-subscription -- streams$ completes when the session ends
  live.streams$.subscribe({
    next: (stream: MuxStream) => {
      if (!to) {
        log.warn(`${label} opened stream ${stream.id}, but there is no --to: closed`);
        return stream.abort();
      }
      const socket = net.connect({ port: to.port, host: to.host, allowHalfOpen: true });
      stats.socket(socket);
      relay(stream, socket, (error) => {
        if (error) log.warn(`${label} stream ${stream.id} → ${to.host}:${to.port}: ${error.message}`);
        else log.debug(`${label} stream ${stream.id} done`);
      });
    },
    error: () => undefined, // the session's end is reported through closed$
  });
}

/** A local connection becomes a stream opened on `live`. */
function carry(live: TunnelSession, socket: net.Socket, log: TunnelLog, stats: TunnelStats): void {
  const refuse = (error: unknown): void => {
    log.warn(`cannot open a stream: ${error instanceof Error ? error.message : String(error)}`);
    socket.resetAndDestroy();
  };
  const start = (stream: MuxStream): void => {
    if (socket.destroyed) return stream.abort();
    stats.socket(socket);
    relay(stream, socket, (error) => (error ? log.debug(`stream ${stream.id}: ${error.message}`) : undefined));
    socket.resume();
  };
  let opened: MuxStream | Promise<MuxStream>;
  try {
    opened = live.open();
  } catch (error) {
    return refuse(error);
  }
  if (opened instanceof Promise) opened.then(start, refuse);
  else start(opened);
}

function listenOn(server: net.Server, { host, port }: Address): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function bound(server: net.Server): Address {
  const address = server.address() as net.AddressInfo;
  return { host: address.address, port: address.port };
}
