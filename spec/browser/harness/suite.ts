/**
 * One spec file's fixture: a Chromium, the static origin with the page bundles, and helpers to
 * open pages and start gateways. Everything is closed in afterAll/afterEach.
 */
import type { Browser, Page } from 'playwright-core';
import { killAll, startServe, type Cli } from '../../cli/helpers';
import { launchChromium, openTestPage } from './browser';
import { bundlePage } from './bundle';
import { htmlPage, serveStatic, vendorAssets, type Asset, type StaticServer } from './static-server';
import { closeTargets } from './targets';

/** The page scripts under spec/browser/page/ that a suite serves. */
export type PageName = 'wisp-rx' | 'epoxy' | 'wisp-js';

export interface Suite {
  readonly browser: Browser;
  readonly origin: string;
  /** Opens `/<name>.html` in a fresh context; closed after the test. */
  open(name: PageName): Promise<Page>;
  /** `wisp-rx serve --port 0 --allow-loopback --log-level warn …args`; killed after the test. */
  serve(...args: string[]): Promise<{ cli: Cli; url: string }>;
}

/** Registers beforeAll/afterEach/afterAll hooks and returns the suite they fill in. */
export function browserSuite(pages: readonly PageName[]): Suite {
  let browser: Browser | undefined;
  let server: StaticServer | undefined;
  const openPages: Page[] = [];
  const logs = new Map<Page, string[]>();

  beforeAll(async () => {
    const assets: Record<string, Asset> = { ...vendorAssets() };
    for (const name of pages) {
      assets[`/${name}.js`] = { type: 'text/javascript', body: await bundlePage(name) };
      assets[`/${name}.html`] = htmlPage(`/${name}.js`);
    }
    server = await serveStatic(assets);
    browser = await launchChromium();
  }, 60_000);

  afterEach(async () => {
    for (const page of openPages.splice(0)) await page.context().close();
    logs.clear();
    await killAll();
    await closeTargets();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  return {
    get browser() {
      return browser!;
    },
    get origin() {
      return server!.origin;
    },
    async open(name) {
      const { page, log } = await openTestPage(browser!, `${server!.origin}/${name}.html`);
      openPages.push(page);
      logs.set(page, log);
      return page;
    },
    serve: (...args) => startServe(['--allow-loopback', '--log-level', 'warn', ...args]),
  };
}
