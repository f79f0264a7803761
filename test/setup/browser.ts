// Debian's Chromium driven by puppeteer-core (the browser downloads of Puppeteer and Playwright
// fail here: scripts/provision.sh --tests installs the system one), with every console error and
// failed request of the page recorded for the test to check.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { rootDir } from '../../scripts/servers.js';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const screenshotDir = path.join(rootDir, '.cache', 'console-screenshots');

export interface Problem { kind: 'console' | 'pageerror' | 'requestfailed' | 'response'; text: string; url?: string; status?: number }

export interface BrowserPage { browser: Browser; page: Page; problems: Problem[]; screenshot(name: string): Promise<string> }

export async function openBrowser(options: { lang: string; width: number; height: number }): Promise<BrowserPage> {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: run 'bash scripts/provision.sh --tests' (as root, or 'sudo apt-get install -y chromium')`);
  const browser = await puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    // Root (as here and in CI) cannot use Chromium's sandbox; /dev/shm is small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', `--lang=${options.lang}`, '--no-first-run', '--disable-background-networking'],
    env: { ...process.env, LANGUAGE: options.lang },
    defaultViewport: { width: options.width, height: options.height },
  });
  const page = await browser.newPage();
  // The browser's language as the page sees it (navigator.languages, Intl), as a visitor's would be.
  const cdp = await page.createCDPSession();
  await cdp.send('Emulation.setUserAgentOverride', { userAgent: await browser.userAgent(), acceptLanguage: options.lang });
  await cdp.send('Emulation.setLocaleOverride', { locale: options.lang });
  const problems: Problem[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push({ kind: 'console', text: m.text(), url: m.location().url }); });
  page.on('pageerror', (e) => problems.push({ kind: 'pageerror', text: String(e) }));
  page.on('requestfailed', (r) => problems.push({ kind: 'requestfailed', text: r.failure()?.errorText ?? 'failed', url: r.url() }));
  page.on('response', (r) => { if (r.status() >= 400) problems.push({ kind: 'response', text: r.statusText(), url: r.url(), status: r.status() }); });
  mkdirSync(screenshotDir, { recursive: true });
  return {
    browser, page, problems,
    async screenshot(name) {
      const file = path.join(screenshotDir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
  };
}
