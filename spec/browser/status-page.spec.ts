/**
 * The gateway's status page in Chromium: the throughput chart renders (coloured pixels where
 * the lines are) and updates when new samples arrive (the canvas screenshot changes), and
 * the counters and refusals show what the stats document says.
 */
import type { AddressInfo } from 'node:net';
import type * as http from 'node:http';
import type { Page } from 'playwright-core';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { GatewayMetrics } from '../../lib/server/metrics';
import { listenMetrics } from '../../lib/server/metrics-endpoint';
import { StatusHistory } from '../../lib/server/status-history';
import { browserSuite } from './harness/suite';

const suite = browserSuite([]);
let endpoint: http.Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (endpoint ? endpoint.close(resolve) : resolve(undefined)));
  endpoint = undefined;
});

/** Pixels of the chart's canvas drawn in the up (blue) and down (orange) line colours. */
function linePixels(page: Page): Promise<{ up: number; down: number }> {
  return page.evaluate(() => {
    const canvas = document.getElementById('chart') as HTMLCanvasElement;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let up = 0;
    let down = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (b > 150 && r < 100) up++;
      else if (r > 170 && b < 100 && g > 70 && g < 140) down++;
    }
    return { up, down };
  });
}

async function updatedAfter(page: Page, since: string | undefined): Promise<string> {
  await page.waitForFunction((previous) => document.body.dataset.updated !== undefined && document.body.dataset.updated !== previous, since, { timeout: 10_000 });
  return (await page.evaluate(() => document.body.dataset.updated))!;
}

it('renders the throughput chart, the counters and the refusals, and updates as samples arrive', async () => {
  let clock = 0;
  let totals = { bytesUp: 0, bytesDown: 0 };
  const history = new StatusHistory({ now: () => clock });
  const stats = { connections: 3, streams: 12, eventLoopLagMs: 1.5, live: [{ label: 'conn 7 198.51.100.4', version: 2, since: Date.now() - 65_000, streams: 12 }] };
  const metrics = new GatewayMetrics(() => ({ ...stats, ...totals }), { history });
  const feed = (up: number, down: number): void => {
    clock += 1000;
    totals = { bytesUp: totals.bytesUp + up, bytesDown: totals.bytesDown + down };
    history.sample(totals);
  };
  history.sample(totals);
  for (const [up, down] of [[1000, 5000], [2000, 9000], [1500, 4000]] as const) feed(up, down);
  metrics.onRefused(CloseReason.HostBlocked, '10.1.2.3:22');
  endpoint = await listenMetrics({ metrics, stats: () => ({ ...stats, ...totals }), host: '127.0.0.1', port: 0, pollMs: 200 });
  const context = await suite.browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/`);
  const seen = await updatedAfter(page, undefined);

  expect(await page.textContent('#connections')).toBe('3');
  expect(await page.textContent('#streams')).toBe('12');
  expect(await page.textContent('#lag')).toBe('1.5 ms');
  expect(await page.textContent('#refusals')).toContain('10.1.2.3:22');
  expect(await page.textContent('#refusals')).toContain('HostBlocked');
  expect(await page.textContent('#live')).toMatch(/conn 7 198\.51\.100\.4\s*v2\s*12\s*6\d s/);
  const before = await linePixels(page);
  expect(before.up).toBeGreaterThan(50);
  expect(before.down).toBeGreaterThan(50);
  const firstShot = await page.locator('#chart').screenshot();

  // New samples: a burst upwards. The next poll redraws, and the picture changes.
  for (const [up, down] of [[40_000, 1000], [80_000, 500]] as const) feed(up, down);
  stats.connections = 4;
  await updatedAfter(page, seen);
  await page.waitForFunction(() => document.getElementById('connections')!.textContent === '4', null, { timeout: 10_000 });
  const secondShot = await page.locator('#chart').screenshot();
  expect(secondShot.equals(firstShot)).toBe(false);
  expect(await page.textContent('#rate')).toMatch(/78\.1 KiB\/s/);
  if (process.env.WISP_RX_SCREENSHOT) await page.screenshot({ path: process.env.WISP_RX_SCREENSHOT });
  await context.close();
});
