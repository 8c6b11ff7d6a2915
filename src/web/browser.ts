/**
 * Headless Chromium from Debian's `chromium` package, driven by playwright-core (no browser
 * download). Flags: no sandbox (tests run as root), no GPU, and no background networking — the
 * machine's closed network refuses Chromium's own connections otherwise. Each launch gets a fresh
 * profile (a cold cache), removed on close.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = (): boolean => existsSync(CHROMIUM);

export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface FreshBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A browser with a new empty profile; `viewport` defaults to a laptop's, `reader` pins the
 * reader's locale and time zone (default: this machine's).
 */
export async function freshBrowser(
  viewport: { width: number; height: number } = { width: 1280, height: 900 },
  reader: { locale?: string; timezoneId?: string } = {},
): Promise<FreshBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'slipway-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
    ...reader,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Collects into `problems` what a page reports as wrong: console errors and uncaught exceptions.
 * Chromium's net::ERR_NETWORK_CHANGED is left out: it aborts the loads in flight whenever an
 * interface comes or goes on the machine (a container engine starting one, in a test running
 * beside), which says nothing of the page, and a page that cannot cope shows it in its content.
 */
export function recordProblems(page: Page, problems: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('net::ERR_NETWORK_CHANGED'))
      problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}
