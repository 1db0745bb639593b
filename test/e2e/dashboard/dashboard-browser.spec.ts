import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { GenServer, GenServerProcess, HandleCall, HandleCast } from 'nestjs-genserver';
import { GenServerDashboardModule } from 'nestjs-genserver/dashboard';
import { bootApp, type TestApp } from '../../support/app.js';

// #14: the dashboard in a real browser (Debian's chromium, driven by playwright-core): the tree
// renders, a crash and a new dynamic child show up live, the guard keeps out a browser without the
// token, actions work for one with it, the page is usable from the keyboard and readable.

const root = fileURLToPath(new URL('../../..', import.meta.url));
const SHOTS = join(root, 'out/dashboard');

@GenServer('ledger')
class Ledger extends GenServerProcess<{ n: number }> {
  override init() {
    this.state = { n: 0 };
  }
  @HandleCall('inc') inc() {
    return ++this.state.n;
  }
  @HandleCast('boom') boom(): never {
    throw new Error('browser-visible crash');
  }
}

/** Lets in a browser that carries the cookie. */
@Injectable()
class CookieGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const cookie = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers.cookie ?? '';
    return cookie.split(';').some((part) => part.trim() === 'dashboard=let-me-in');
  }
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('the dashboard in a real browser', () => {
  let app: TestApp;
  let url: string;
  let profile: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    app = await bootApp([Ledger], { supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'pool', type: 'dynamic_supervisor' }] } }, { imports: [GenServerDashboardModule.forRoot({ guard: CookieGuard, actions: true }) as never] });
    await app.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.app.getHttpServer().address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'dashboard-profile-'));
    browser = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
    await browser.addCookies([{ name: 'dashboard', value: 'let-me-in', url }]);
    mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  async function open(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${url}/genserver`);
    await page.waitForSelector('#processes tbody tr[data-name="ledger"]');
    return page;
  }

  it('renders the tree and the processes, and shows a crash and a new dynamic child within 2 s', async () => {
    const page = await open();
    await page.waitForSelector('#tree button[data-name="root"]');
    await page.waitForSelector('#tree button[data-name="pool"]');
    await app.runtime.cast('ledger', { type: 'boom' });
    await app.runtime.start(Ledger, { name: 'newcomer', supervisor: 'pool' });
    const row = page.locator('#processes tbody tr[data-name="ledger"]');
    await row.getByText('browser-visible crash').waitFor({ timeout: 2000 });
    await page.waitForSelector('#processes tbody tr[data-name="newcomer"]', { timeout: 2000 });
    await page.waitForSelector('#tree button[data-name="newcomer"]', { timeout: 2000 });
    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });
    await page.close();
  });

  it('is usable from the keyboard: Tab to a process, Enter opens its panel, its restart button works', async () => {
    const page = await open();
    const restartsBefore = app.runtime.status('ledger').restarts;
    await page.locator('#processes tbody button[data-name="ledger"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#detail:not([hidden]) h3');
    expect(await page.locator('#detail h3').textContent()).toBe('ledger');
    const restart = page.locator('#detail button[data-action="restart"]');
    await restart.focus();
    await page.keyboard.press('Enter');
    await page.locator('#detail button[data-action="restart"]', { hasText: '✓' }).waitFor({ timeout: 2000 });
    expect(app.runtime.status('ledger').restarts).toBe(restartsBefore + 1);
    // The sort control is reachable and works from the keyboard too.
    await page.locator('#sort').focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('#sort').inputValue()).not.toBe('mailbox');
    await page.close();
  });

  it('keeps out a browser without the guard token: page, stream and actions', async () => {
    const stranger = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
    try {
      const page = await stranger.newPage();
      const response = await page.goto(`${url}/genserver`);
      expect(response?.status()).toBe(403);
      const statuses = await page.evaluate(async (base) => {
        const events = await fetch(`${base}/genserver/api/events`);
        const restart = await fetch(`${base}/genserver/api/processes/ledger/restart`, { method: 'POST' });
        return [events.status, restart.status];
      }, url);
      expect(statuses).toEqual([403, 403]);
    } finally {
      await stranger.close();
    }
  });

  it('has readable contrast: body text and status badges at least 4.5:1 against their background', async () => {
    const page = await open();
    // Run in the page (a string: this file is compiled without the DOM's types).
    const ratios = await page.evaluate<number[]>(`(() => {
      const rgb = (color) => (color.match(/\\d+(\\.\\d+)?/g) || []).slice(0, 3).map(Number);
      const luminance = (channels) => {
        const [r, g, b] = channels.map((v) => { const c = v / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const ratio = (fg, bg) => { const [a, b] = [luminance(rgb(fg)), luminance(rgb(bg))].sort((x, y) => y - x); return (a + 0.05) / (b + 0.05); };
      const pairs = [[getComputedStyle(document.body).color, getComputedStyle(document.documentElement).backgroundColor]];
      for (const badge of document.querySelectorAll('.status')) { const style = getComputedStyle(badge); pairs.push([style.color, style.backgroundColor]); }
      return pairs.map(([fg, bg]) => ratio(fg, bg));
    })()`);
    expect(ratios.length).toBeGreaterThan(1);
    for (const ratio of ratios) expect(ratio).toBeGreaterThanOrEqual(4.5);
    await page.close();
  });

  it('at scale: lists the top N of all processes, cuts a long child list with a count, and the panel tells handler time and trace ids', async () => {
    const names = Array.from({ length: 130 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
    for (const name of names) await app.runtime.start(Ledger, { name, supervisor: 'pool' });
    try {
      const page = await browser.newPage();
      await page.goto(`${url}/genserver`);
      const total = app.runtime.list().length;
      await page.locator('#shown', { hasText: `top 50 of ${total}` }).waitFor({ timeout: 3000 });
      expect(await page.locator('#processes tbody tr').count()).toBe(50);
      // The pool has over 100 children: the first 100 are listed, then a line counts the rest.
      const pool = app.runtime.tree()!.children!.find((child) => child.name === 'pool')!;
      await page.locator('#tree li.omitted', { hasText: `… and ${pool.children!.length - 100} more running processes` }).waitFor({ timeout: 3000 });
      // A crash puts a process at the head of the restarts view, whatever its name.
      await app.runtime.cast('bulk-129', { type: 'boom' });
      await page.locator('#sort').selectOption('restarts');
      await page.locator('#processes tbody tr[data-name="bulk-129"]').waitFor({ timeout: 3000 });
      for (let i = 0; i < 20; i++) await app.runtime.call('ledger', { type: 'inc' });
      await page.locator('#tree button[data-name="ledger"]').click();
      await page.locator('#detail pre', { hasText: '"handlerMs"' }).waitFor({ timeout: 3000 });
      await page.locator('#detail h4', { hasText: 'Trace ids of recent handled messages' }).waitFor();
      await page.close();
    } finally {
      for (const name of names) await app.runtime.stop(name);
    }
  });
});
