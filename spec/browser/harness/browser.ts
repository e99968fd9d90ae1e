/**
 * Launches Debian's Chromium through playwright-core (npm cannot download browsers here).
 * A missing Chromium is a failure with instructions, never a skip: a suite that silently
 * passes without a browser proves nothing.
 */
import * as fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser; WISP_RX_CHROMIUM overrides it. */
export const CHROMIUM_PATH = process.env.WISP_RX_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Lets a test read a page's heap size (performance.memory) with real precision.
  '--enable-precise-memory-info',
];

/** Starts Chromium (each context it makes is a fresh temporary profile). */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. The browser suite needs it: ` +
        '`sudo apt-get install -y chromium` (Debian/Ubuntu), or set WISP_RX_CHROMIUM to a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, timeout: 30_000 });
}

/**
 * Opens `url` in a fresh context and waits for the page script to install `window.wispTests`.
 * Page errors and console errors are collected so a failing test can show them.
 */
export async function openTestPage(browser: Browser, url: string): Promise<{ page: Page; log: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log: string[] = [];
  page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => log.push(`pageerror: ${error.message}`));
  page.setDefaultTimeout(30_000);
  await page.goto(url);
  await page.waitForFunction(() => 'wispTests' in window, null, { timeout: 15_000 }).catch((error: unknown) => {
    throw new Error(`page never installed window.wispTests: ${String(error)}\n${log.join('\n')}`);
  });
  return { page, log };
}

/** Calls `window.wispTests[name](...args)` in the page and returns its (JSON-able) result. */
export function run<T = unknown>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ([fn, params]) => (window as unknown as { wispTests: Record<string, (...a: unknown[]) => unknown> }).wispTests[fn](...params),
    [name, args] as [string, unknown[]],
  ) as Promise<T>;
}
