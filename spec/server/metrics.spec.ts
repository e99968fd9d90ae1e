/** GatewayMetrics, StatusHistory and the metrics endpoint (served on 127.0.0.1 only). */
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { GatewayMetrics, type MetricsSource } from '../../lib/server/metrics';
import { listenMetrics } from '../../lib/server/metrics-endpoint';
import { StatusHistory } from '../../lib/server/status-history';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function serve(metrics: GatewayMetrics, stats: () => object, allow?: string[]): Promise<string> {
  const server = await listenMetrics({ metrics, stats, host: '127.0.0.1', port: 0, ...(allow ? { allow } : {}) });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('GatewayMetrics over the endpoint', () => {
  it('serves Prometheus text: gauges from the gateway, counters by kind and reason, handshake histogram, event-loop lag', async () => {
    const source: { -readonly [K in keyof MetricsSource]: MetricsSource[K] } = { connections: 3, streams: 7, bytesUp: 1000, bytesDown: 5000 };
    const metrics = new GatewayMetrics(() => source);
    metrics.onConnection(2);
    metrics.onConnection(1);
    metrics.onStream('tcp');
    metrics.onStream('udp');
    metrics.onStreamClosed('tcp', CloseReason.Voluntary);
    metrics.onRefused(CloseReason.HostBlocked, '10.0.0.1:22');
    metrics.onStreamClosed('tcp', 0x7f);
    metrics.onAuthFailure('password');
    metrics.onHandshake(0.004, true);
    const url = await serve(metrics, () => source);
    const response = await fetch(`${url}metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    for (const line of [
      'wisp_rx_connections 3',
      'wisp_rx_streams 7',
      'wisp_rx_bytes_up_total 1000',
      'wisp_rx_bytes_down_total 5000',
      'wisp_rx_connections_total{version="v2"} 1',
      'wisp_rx_streams_total{kind="udp"} 1',
      'wisp_rx_streams_closed_total{kind="tcp",reason="Voluntary"} 1',
      'wisp_rx_streams_closed_total{kind="tcp",reason="unrecognised"} 1',
      'wisp_rx_refused_total{reason="HostBlocked"} 1',
      'wisp_rx_auth_failures_total{method="password"} 1',
      'wisp_rx_handshake_seconds_bucket{le="0.005",outcome="ok"} 1',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/^wisp_rx_nodejs_eventloop_lag_seconds \d/m);
    // Totals follow the gateway between scrapes.
    source.bytesUp = 4096;
    expect(await (await fetch(`${url}metrics`)).text()).toContain('wisp_rx_bytes_up_total 4096');
  });

  it('serves the stats document with history, and the status page', async () => {
    let clock = 0;
    const history = new StatusHistory({ now: () => clock, samples: 3 });
    const metrics = new GatewayMetrics(() => ({ connections: 1, streams: 2, bytesUp: 0, bytesDown: 0 }), { history });
    for (const [t, up] of [[0, 0], [1000, 2048], [2000, 2048], [3000, 3048], [4000, 3048]] as const) {
      clock = t;
      history.sample({ bytesUp: up, bytesDown: up * 2 });
    }
    metrics.onRefused(CloseReason.HostBlocked, '192.0.2.1:80');
    const url = await serve(metrics, () => ({ connections: 1, streams: 2 }));
    const stats = (await (await fetch(`${url}stats.json`)).json()) as { throughput: { up: number }[]; refusals: { reason: string; target: string }[] };
    expect(stats).toMatchObject({ connections: 1, streams: 2 });
    expect(stats.throughput.map((s) => s.up)).toEqual([0, 1000, 0]); // the ring keeps the last 3
    expect(stats.refusals).toEqual([{ t: 4000, target: '192.0.2.1:80', reason: 'HostBlocked' }]);
    const page = await fetch(url);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<canvas id="chart"');
  });

  it('answers only allowed addresses: loopback by default, 403 for others', async () => {
    const metrics = new GatewayMetrics(() => ({ connections: 0, streams: 0, bytesUp: 0, bytesDown: 0 }));
    const open = await serve(metrics, () => ({}));
    expect((await fetch(`${open}metrics`)).status).toBe(200);
    const closed = await serve(new GatewayMetrics(() => ({ connections: 0, streams: 0, bytesUp: 0, bytesDown: 0 })), () => ({}), ['192.0.2.0/24']);
    expect((await fetch(`${closed}metrics`)).status).toBe(403);
    expect((await fetch(`${open}nothing`)).status).toBe(404);
  });
});
