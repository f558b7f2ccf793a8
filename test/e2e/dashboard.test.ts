import { mkdir, mkdtemp, rm } from 'node:fs/promises';
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

/**
 * The managers' dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; no browser is downloaded): the local hub serves GET /dashboard, the page asks
 * for a key, calls the KPI API and draws it. With DASHBOARD_SCREENSHOT=1 it also refreshes the README
 * screenshot, docs/dashboard.png (otherwise the screenshot goes to the temp dir, leaving the tree clean).
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
      viewport: { width: 1280, height: 900 },
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await hub?.stop();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

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

    // Assess: one line per channel with a point per month, in both charts
    for (const channel of Object.keys(PLAN)) {
      expect(await page.locator(`#revenue-charts g[data-series="${channel}"] circle.point`).count()).toBe(6);
      expect(await page.locator(`#orders-chart g[data-series="${channel}"] circle.point`).count()).toBe(6);
    }
    const plotted = await page
      .locator('#orders-chart g[data-series="partner-demo"] circle.point')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    expect(plotted).toEqual(PLAN['partner-demo']!.perMonth);
    const revenue = await page.locator('#revenue-charts g[data-series="ebay-demo"] path').getAttribute('d');
    expect(revenue?.split('L')).toHaveLength(6);
    expect(await page.locator('#share rect.share').count()).toBe(3);
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
    expect(await page.evaluate(() => sessionStorage.getItem('inventory-hub.kpi-key'))).toBe(key);
    expect(consoleErrors).toEqual([]);

    await mkdir('docs', { recursive: true });
    const shot =
      process.env.DASHBOARD_SCREENSHOT === '1' ? 'docs/dashboard.png' : join(tmpdir(), `dashboard-${process.pid}.png`);
    await page.screenshot({ path: shot, fullPage: true });
  });

  it('keeps the key for the tab: a reload draws again without asking', async () => {
    const page = context.pages().at(-1)!;
    await page.reload();
    await page.waitForSelector('body[data-loaded=true]', { timeout: 15_000 });
    expect(await page.locator('#key-form').isVisible()).toBe(false);
    // six months for each of the three channels with orders and for the local hub's SP-API
    // channel (connected, no orders yet: listed all the same, at zero)
    expect(await page.locator('#orders-chart circle.point').count()).toBe(24);
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
    expect(await page.locator('#orders-chart circle.point').count()).toBe(24);
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
});
