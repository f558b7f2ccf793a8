import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { putApiKey } from '#shared/aws/api-keys.ts';
import { putChannel } from '#shared/aws/channels.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { startLocalHub, type LocalHub } from '#infra/local/hub.ts';
import { awsEndpoint, motoEnv, uniqueName } from '#test/support/aws.ts';
import { fixedClock } from '../support/clock.ts';
import { chromiumPath } from '../support/chromium.ts';
import { realClockEnv } from '#infra/local/real-clock.ts';
import type { ChartSummary } from '../../dashboard/charts.ts';

/**
 * The managers' dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; no browser is downloaded): the local hub serves GET /dashboard, the page asks
 * for a key, calls the KPI API and draws it. The documentation's screenshots come from
 * `npm run screenshots` (infra/local/screenshots.ts), with the demo's data.
 */

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Orders per channel and month (2026-01..06), so the charts have a shape and the test an answer. */
const PLAN: Record<string, { currency: string; perMonth: number[]; cancelEvery: number; unit: string }> = {
  'shopify-demo': { currency: 'USD', perMonth: [3, 5, 4, 6, 8, 7], cancelEvery: 4, unit: '24.50' },
  'partner-demo': { currency: 'USD', perMonth: [2, 2, 3, 3, 4, 5], cancelEvery: 0, unit: '40.00' },
  'ebay-demo': { currency: 'USD', perMonth: [1, 3, 2, 4, 3, 6], cancelEvery: 0, unit: '15.25' },
};

function orderEvents(): CanonicalEvent[] {
  const out: CanonicalEvent[] = [];
  for (const [channel, p] of Object.entries(PLAN)) {
    let n = 0;
    p.perMonth.forEach((count, m) => {
      for (let i = 0; i < count; i++, n++) {
        const createdAt = new Date(Date.UTC(2026, m, 3 + i * 3, 15, 0, 0)).toISOString();
        const orderId = `${channel}-${n}`;
        const qty = 1 + (n % 2);
        out.push({
          type: 'OrderUpserted',
          channel,
          source: 'test',
          deliveryId: `${orderId}-a`,
          occurredAt: createdAt,
          orderId,
          status: 'fulfilled',
          rawStatus: {},
          createdAt,
          version: { at: createdAt },
          fulfilledAt: new Date(Date.parse(createdAt) + (20 + (n % 5) * 10) * 3_600_000).toISOString(),
          lines: [
            {
              lineId: '1',
              sku: n % 3 === 0 ? 'MUG-BLUE' : 'TEE-M',
              quantity: qty,
              unitPrice: { amount: p.unit, currency: p.currency },
              locationId: 'WH1',
            },
          ],
        });
        if (p.cancelEvery && n % p.cancelEvery === 0) {
          out.push({
            type: 'OrderCancelled',
            channel,
            source: 'test',
            deliveryId: `${orderId}-c`,
            occurredAt: createdAt,
            orderId,
            cancelledAt: createdAt,
          });
        }
      }
    });
  }
  return out;
}

describe('the KPI dashboard in headless Chromium', () => {
  let hub: LocalHub;
  let context: BrowserContext;
  let userDataDir: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    hub = await startLocalHub({ port: 0, awsEndpoint: awsEndpoint(), prefix: uniqueName('dash'), quiet: true });
    const doc = documentClient(awsClientConfig(motoEnv()));
    const tableName = hub.resources.tableName;
    await putChannel(
      doc,
      tableName,
      { channel: 'shopify-demo', standards: { maxCancellationRate: 0.02, maxMeanFulfilmentHours: 48 } },
      fixedClock()(),
    );
    await putChannel(
      doc,
      tableName,
      {
        channel: 'partner-demo',
        partner: 'acme-dealer',
        standards: { maxCancellationRate: 0.05, minMonthlyRevenue: { currency: 'USD', amount: '50.00' } },
      },
      fixedClock()(),
    );
    await putChannel(doc, tableName, { channel: 'ebay-demo' }, fixedClock()());
    const table = new DynamoTable(doc, tableName);
    const at = '2025-12-01T00:00:00.000Z';
    // TEE-M has plenty; MUG-BLUE has 4 on hand, fewer than sold: it shows as oversold
    await applyEvent(
      table,
      {
        type: 'StockLevelSet',
        channel: 'wms',
        source: 'test',
        deliveryId: 'c1',
        occurredAt: at,
        sku: 'TEE-M',
        locationId: 'WH1',
        quantity: 500,
        bucket: 'on_hand',
        asOf: at,
      },
      fixedClock(),
    );
    await applyEvent(
      table,
      {
        type: 'StockLevelSet',
        channel: 'wms',
        source: 'test',
        deliveryId: 'c2',
        occurredAt: at,
        sku: 'MUG-BLUE',
        locationId: 'WH1',
        quantity: 4,
        bucket: 'on_hand',
        asOf: at,
      },
      fixedClock(),
    );
    await applyEvent(
      table,
      {
        type: 'StockLevelSet',
        channel: 'wms',
        source: 'test',
        deliveryId: 'c3',
        occurredAt: at,
        sku: 'CAP-RED',
        locationId: 'WH2',
        quantity: 3,
        bucket: 'on_hand',
        asOf: at,
      },
      fixedClock(),
    );
    for (const e of orderEvents()) await applyEvent(table, e, fixedClock());

    userDataDir = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath(),
      // the browser is the user's, not the hub's: it keeps the machine's real clock
      env: realClockEnv(process.env) as Record<string, string>,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await hub?.stop();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  /** The charts as Chart.js drew them (window.hubDashboard, dashboard/charts.ts). */
  function summaries(page: Page): Promise<ChartSummary[]> {
    return page.evaluate(() => window.hubDashboard.charts());
  }

  async function openDashboard(path: string): Promise<Page> {
    const page = await context.newPage();
    watch(page);
    await page.goto(`${hub.url}${path}`);
    if (await page.locator('#key-form').isVisible()) {
      await page.fill('#api-key', hub.config.apiKeys[0]!.key);
      await page.click('#key-form button[type=submit]');
    }
    await page.waitForSelector('body[data-loaded=true]', { timeout: 15_000 });
    return page;
  }

  function watch(page: Page): void {
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  }

  it('asks for a key, then draws revenue, orders, shares, standards and stock alerts', async () => {
    // Prepare
    const page = await context.newPage();
    watch(page);
    const key = hub.config.apiKeys[0]!.key;

    // a partner-reported figure, sent through the local HTTP API like a partner would
    const reported = await fetch(`${hub.url}/v1/channels/partner-demo/figures`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        entries: [
          { key: 'mkt-2026-02', date: '2026-02-01', kind: 'marketingSpend', currency: 'USD', amount: '100.00' },
        ],
      }),
    });
    expect(reported.status).toBe(200);

    // Act
    const res = await page.goto(`${hub.url}/dashboard?from=2026-01-01&to=2026-06-30&granularity=month&tz=UTC`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("connect-src 'self'");
    await expect.poll(() => page.locator('#key-form').isVisible()).toBe(true);
    await page.fill('#api-key', key);
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('body[data-loaded=true]', { timeout: 15_000 });

    // Assess: one line per channel with a value per month, in both charts (read from Chart.js)
    const charts = await summaries(page);
    const orders = charts.find((c) => c.id === 'orders')!;
    const revenue = charts.find((c) => c.id === 'revenue-USD')!;
    for (const channel of Object.keys(PLAN)) {
      expect(orders.series.find((s) => s.name === channel)?.values).toHaveLength(6);
      expect(revenue.series.find((s) => s.name === channel)?.values).toHaveLength(6);
    }
    expect(orders.series.find((s) => s.name === 'partner-demo')?.values).toEqual(PLAN['partner-demo']!.perMonth);
    expect(charts.find((c) => c.id === 'share')?.series.filter((s) => s.values.some((v) => (v ?? 0) > 0))).toHaveLength(
      3,
    );
    // shopify-demo cancels 1 order in 4 (> 2%): below, highlighted; partner-demo meets its standards
    await expect.poll(() => page.locator('#standards tr.below').getAttribute('data-channel')).toBe('shopify-demo');
    expect(await page.locator('#standards tr.below td.status').textContent()).toBe('below');
    expect(await page.locator('#standards tr.below').textContent()).toContain('maxCancellationRate');
    expect(await page.locator('#standards tr[data-channel="partner-demo"]').getAttribute('class')).toBe('meets');
    expect(await page.locator('#alerts tr.oversold').first().textContent()).toContain('MUG-BLUE');
    expect(await page.locator('#alerts tr.low').first().textContent()).toContain('CAP-RED');
    // the economics card: the reported spend on its channel's row, partner retention below
    expect(await page.locator('#economics tr[data-channel="partner-demo"] td').nth(1).textContent()).toBe('100.00 USD');
    expect(await page.locator('#economics tr[data-channel="shopify-demo"] td').nth(1).textContent()).toBe('–');
    expect(await page.locator('#economics p').textContent()).toContain('Partner retention');
    // the order-derived measures have their columns; these orders name no customer, so none is judged
    const heads = await page.locator('#economics th').allTextContents();
    expect(heads).toEqual(expect.arrayContaining(['Repeat customers', 'Sales cycle', 'Upsell rate']));
    const upsell = await page
      .locator('#economics tr[data-channel="shopify-demo"] td')
      .nth(heads.indexOf('Upsell rate'));
    expect(await upsell.textContent()).toBe('–');
    expect(await page.evaluate(() => sessionStorage.getItem('inventory-hub.kpi-key'))).toBe(key);
    expect(consoleErrors).toEqual([]);
  });

  it('keeps the key for the tab: a reload draws again without asking', async () => {
    const page = context.pages().at(-1)!;
    await page.reload();
    await page.waitForSelector('body[data-loaded=true]', { timeout: 15_000 });
    expect(await page.locator('#key-form').isVisible()).toBe(false);
    // six months for each of the three channels with orders and for the local hub's SP-API
    // channel (connected, no orders yet: listed all the same, at zero)
    const orders = (await summaries(page)).find((c) => c.id === 'orders')!;
    expect(orders.series).toHaveLength(4);
    expect(orders.series.flatMap((s) => s.values)).toHaveLength(24);
    expect(consoleErrors).toEqual([]);
  });

  it('draws the KPIs for a key with kpi:read alone, and says the alerts need stock:read', async () => {
    // Prepare
    const kpiOnly = 'hub_dashboard_kpi_only_key_0123456789';
    const doc = documentClient(awsClientConfig(motoEnv()));
    await putApiKey(doc, hub.resources.tableName, kpiOnly, { scopes: ['kpi:read'], partner: null }, fixedClock()());
    const page = await context.newPage();
    watch(page);
    const before = consoleErrors.length;
    // Act
    await page.goto(`${hub.url}/dashboard?from=2026-01-01&to=2026-06-30&granularity=month&tz=UTC`);
    await page.fill('#api-key', kpiOnly);
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('body[data-loaded=true]', { timeout: 15_000 });
    // Assess
    expect((await summaries(page)).find((c) => c.id === 'orders')?.series.flatMap((s) => s.values)).toHaveLength(24);
    expect(await page.locator('#alerts').textContent()).toContain('stock:read');
    expect(await page.locator('#alerts tr').count()).toBe(0);
    // the refused alerts request is logged by Chromium as a failed resource load (403), nothing else
    expect(consoleErrors.slice(before).filter((e) => !e.includes('403'))).toEqual([]);
    // the expected 403 line is this test's alone
    consoleErrors.splice(before);
  });

  it('asks again when the key is refused', async () => {
    const page = await context.newPage();
    watch(page);
    await page.goto(`${hub.url}/dashboard`);
    await page.evaluate(() => sessionStorage.setItem('inventory-hub.kpi-key', 'hub_not_a_real_key_0123456789'));
    await page.reload();
    await expect.poll(() => page.locator('#key-status').textContent()).toContain('not accepted');
    expect(await page.locator('#key-form').isVisible()).toBe(true);
    // the refused request itself is logged by Chromium as a failed resource load (401), nothing else
    expect(consoleErrors.filter((e) => !e.includes('401'))).toEqual([]);
  });

  describe('layout at 1280×800, as a manager reads it', () => {
    const range = '/dashboard?from=2026-01-01&to=2026-06-30&granularity=month&tz=UTC';

    it('fits every element inside its card and shows the stock alerts without scrolling', async () => {
      const page = await openDashboard(range);
      const overflow = await page.evaluate(() => {
        const out: string[] = [];
        for (const card of Array.from(document.querySelectorAll('#dashboard .card')) as HTMLElement[]) {
          const c = card.getBoundingClientRect();
          if (card.scrollWidth > card.clientWidth + 1) out.push(`${card.id} scrolls sideways`);
          for (const el of Array.from(card.querySelectorAll('*')) as HTMLElement[]) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && (r.right > c.right + 1 || r.left < c.left - 1))
              out.push(`${card.id} › ${el.tagName.toLowerCase()}${el.className ? `.${el.className}` : ''}`);
          }
        }
        return out;
      });
      const alerts = await page.locator('#alerts').boundingBox();
      const scrollY = await page.evaluate(() => window.scrollY);
      // Assess
      expect(overflow).toEqual([]);
      expect(scrollY).toBe(0);
      expect(alerts!.y).toBeGreaterThanOrEqual(0);
      expect(alerts!.y + alerts!.height).toBeLessThanOrEqual(800);
      expect(await page.locator('#standards table').isVisible()).toBe(true);
      await page.close();
    });

    it('counts orders in whole numbers on the axis', async () => {
      // a range with 0–2 orders a day: Chart.js would tick at 0.25 without whole-number ticks
      const page = await openDashboard('/dashboard?from=2026-03-01&to=2026-03-31&granularity=day&tz=UTC');
      const orders = (await summaries(page)).find((c) => c.id === 'orders')!;
      expect(orders.valueTicks.length).toBeGreaterThan(1);
      expect(orders.valueTicks.every((v) => Number.isInteger(v))).toBe(true);
      await page.close();
    });

    it('keeps day labels level and apart: those that would overlap are skipped', async () => {
      const page = await openDashboard('/dashboard?from=2026-01-01&to=2026-03-31&granularity=day&tz=UTC');
      const orders = (await summaries(page)).find((c) => c.id === 'orders')!;
      expect(orders.labels).toHaveLength(90);
      expect(orders.shownLabels.length).toBeGreaterThan(3);
      expect(orders.shownLabels.length).toBeLessThan(90);
      expect(orders.minLabelGap).toBeGreaterThanOrEqual(0);
      // dates read as the reader's locale writes them, like the date pickers: no ISO, no milliseconds
      expect(orders.labels[0]).not.toMatch(/^2026-01-01/);
      expect(await page.locator('#alerts td').allTextContents()).not.toContainEqual(
        expect.stringMatching(/T\d\d:\d\d:\d\d/),
      );
      await page.close();
    });

    it("keeps each channel's colour when another channel is added", async () => {
      const before = await openDashboard(range);
      const colours = (page: Page) =>
        summaries(page).then((all) =>
          Object.fromEntries(all.find((c) => c.id === 'orders')!.series.map((s) => [s.name, s.color])),
        );
      const was = await colours(before);
      await before.close();
      // a channel whose name sorts before every other: an index-based palette would shift them all
      const doc = documentClient(awsClientConfig(motoEnv()));
      await putChannel(doc, hub.resources.tableName, { channel: 'aaa-new-shop' }, fixedClock()());
      // the KPI function caches channel configuration (HUB_CHANNEL_CACHE_SECONDS): wait for the new one
      let after: Record<string, string> = {};
      await expect
        .poll(
          async () => {
            const page = await openDashboard(range);
            after = await colours(page);
            await page.close();
            return Object.keys(after).includes('aaa-new-shop');
          },
          { timeout: 60_000, interval: 2_000 },
        )
        .toBe(true);
      for (const [name, colour] of Object.entries(was)) expect(after[name]).toBe(colour);
    }, 90_000);

    it('says on the key prompt where a key comes from', async () => {
      const page = await context.newPage();
      await page.goto(`${hub.url}/dashboard`);
      const help = await page.locator('#key-help').textContent();
      expect(help).toContain('npm run hub -- keys create');
      expect(help).toContain('npm start');
      await page.close();
    });
  });
});
