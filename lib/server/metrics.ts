/**
 * The gateway's Prometheus metrics, through `prom-client` (the ecosystem's standard client:
 * exposition format, histograms and Node's process metrics, event-loop lag included, come
 * with it). Each gateway has its own registry, so two gateways in one process do not mix.
 * The gateway calls the `on…` methods as things happen; gauges read its stats when scraped.
 * @module
 */
import type { Counter, Histogram, Registry } from 'prom-client';
import { closeReasonName } from '../wisp/packet/close-reason.js';
import type { StreamKind } from '../core/stream-record.js';
import { loadOnUse } from './load-on-use.js';
import { StatusHistory } from './status-history.js';

/** What the metrics read from the gateway when scraped. */
export interface MetricsSource {
  readonly connections: number;
  readonly streams: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
}

/** How an authentication attempt was made. */
export type AuthMethod = 'password' | 'key';

/** Metrics and recent history of one gateway. */
export class GatewayMetrics {
  /** The registry to serve (`await registry.metrics()`). */
  readonly registry: Registry;
  /** Throughput samples and recent refusals for the status page. */
  readonly history: StatusHistory;

  private readonly connectionsTotal: Counter<'version'>;
  private readonly streamsTotal: Counter<'kind'>;
  private readonly streamsClosed: Counter<'kind' | 'reason'>;
  private readonly refusedTotal: Counter<'reason'>;
  private readonly authFailures: Counter<'method'>;
  private readonly handshakeSeconds: Histogram<'outcome'>;

  constructor(source: () => MetricsSource, options: { readonly prefix?: string; readonly history?: StatusHistory } = {}) {
    const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = loadOnUse<typeof import('prom-client')>('prom-client');
    this.registry = new Registry();
    const prefix = options.prefix ?? 'wisp_rx_';
    const registers = [this.registry];
    this.history = options.history ?? new StatusHistory();
    collectDefaultMetrics({ register: this.registry, prefix });
    const gauge = (name: string, help: string, read: (s: MetricsSource) => number): void =>
      void new Gauge({
        name: prefix + name,
        help,
        registers,
        collect() {
          this.set(read(source()));
        },
      });
    gauge('connections', 'Open Wisp connections.', (s) => s.connections);
    gauge('streams', 'Open streams.', (s) => s.streams);
    // Counters that only grow, read from the relay's running totals at scrape time.
    const total = (name: string, help: string, read: (s: MetricsSource) => number): void =>
      void new Counter({
        name: prefix + name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read(source()));
        },
      });
    total('bytes_up_total', 'Bytes relayed from clients to targets.', (s) => s.bytesUp);
    total('bytes_down_total', 'Bytes relayed from targets to clients.', (s) => s.bytesDown);
    this.connectionsTotal = new Counter({ name: `${prefix}connections_total`, help: 'Connections accepted, by Wisp version.', labelNames: ['version'], registers });
    this.streamsTotal = new Counter({ name: `${prefix}streams_total`, help: 'Streams opened, by kind.', labelNames: ['kind'], registers });
    this.streamsClosed = new Counter({
      name: `${prefix}streams_closed_total`,
      help: 'Streams closed, by kind and close reason.',
      labelNames: ['kind', 'reason'],
      registers,
    });
    this.refusedTotal = new Counter({ name: `${prefix}refused_total`, help: 'Streams refused by the destination policy, by reason.', labelNames: ['reason'], registers });
    this.authFailures = new Counter({ name: `${prefix}auth_failures_total`, help: 'Failed authentication attempts, by method.', labelNames: ['method'], registers });
    this.handshakeSeconds = new Histogram({
      name: `${prefix}handshake_seconds`,
      help: 'Time from WebSocket upgrade to the end of the Wisp handshake.',
      labelNames: ['outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
      registers,
    });
  }

  onConnection(version: 1 | 2): void {
    this.connectionsTotal.inc({ version: `v${version}` });
  }

  onHandshake(seconds: number, ok: boolean): void {
    this.handshakeSeconds.observe({ outcome: ok ? 'ok' : 'failed' }, seconds);
  }

  onStream(kind: StreamKind): void {
    this.streamsTotal.inc({ kind });
  }

  onStreamClosed(kind: StreamKind, reason: number): void {
    this.streamsClosed.inc({ kind, reason: reasonLabel(reason) });
  }

  /** A stream the policy refused; also kept for the status page. */
  onRefused(reason: number, target: string): void {
    this.refusedTotal.inc({ reason: reasonLabel(reason) });
    this.history.refused(target, reasonLabel(reason));
  }

  onAuthFailure(method: AuthMethod): void {
    this.authFailures.inc({ method });
  }
}

/** `HostBlocked`, `Voluntary`, …, or `unrecognised` for bytes without a name: a bounded label set. */
function reasonLabel(reason: number): string {
  return closeReasonName(reason).replace(/ \(0x[0-9a-f]+\)$/, '');
}
