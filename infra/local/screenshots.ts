import './sdk-warnings.ts';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { systemClock } from '#shared/domain/clock.ts';
import { runDemo } from './demo.ts';
import { startLocalHub } from './hub.ts';
import { realClockEnv } from './real-clock.ts';

/**
 * `npm run screenshots`: the documentation's screenshots, from `npm run demo` data. Starts a local
 * hub of its own (its own moto and state directory, any free port: an `npm start` running beside
 * it is not touched), sends the demo's signed webhooks through the real path, waits until the KPI
 * API counts every order, then opens the landing page and the dashboard in Chromium at 1280×800
 * (what a laptop shows without scrolling) and writes docs/images/*.png.
 *
 * Chromium: `HUB_CHROMIUM`, else Debian's /usr/bin/chromium (driven by playwright-core; nothing is
 * downloaded). SCREENSHOTS_DIR writes elsewhere than docs/images.
 */
const VIEWPORT = { width: 1280, height: 800 };

async function main(): Promise<void> {
  const browserPath = process.env.HUB_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(browserPath))
    throw new Error(`Chromium not found at ${browserPath}: apt-get install chromium, or set HUB_CHROMIUM`);
  const outDir = resolve(process.env.SCREENSHOTS_DIR ?? 'docs/images');
  const stateDir = await mkdtemp(join(tmpdir(), 'hub-screenshots-'));
  process.env.HUB_STATE_DIR = stateDir;
  // the handlers' INFO lines (one per delivery) would bury this script's one line
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const hub = await startLocalHub({ port: 0, quiet: true, prefix: 'shots' });
  const profile = await mkdtemp(join(tmpdir(), 'hub-screenshots-chromium-'));
  try {
    const demo = await runDemo({
      hub: {
        awsEndpoint: hub.awsEndpoint,
        url: hub.url,
        stage: `local-shots`,
        tableName: hub.resources.tableName,
        ingestQueueUrl: hub.resources.ingestQueueUrl,
        ingestDlqUrl: hub.resources.ingestDlqUrl,
      },
      clock: systemClock,
      seed: Number(process.env.DEMO_SEED ?? 1),
      months: Number(process.env.DEMO_MONTHS ?? 4),
      print: () => {},
    });
    if (demo.failed > 0) throw new Error(`the demo had ${demo.failed} refused webhooks`);
    const key = hub.config.apiKeys[0]!.key;
    const from = `${demo.months[0]}-01`;
    await waitForOrders(hub.url, key, from, demo.sent.order);
    await hub.foldIdle({ timeoutMs: 30_000 });

    await mkdir(outDir, { recursive: true });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: browserPath,
      env: realClockEnv(process.env) as Record<string, string>,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      viewport: VIEWPORT,
      locale: 'en-US',
    });
    const page = await context.newPage();
    await page.goto(`${hub.url}/`);
    await page.screenshot({ path: join(outDir, 'landing.png') });
    await page.goto(`${hub.url}/dashboard?from=${from}&granularity=month`);
    await page.fill('#api-key', key);
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('body[data-loaded=true]', { timeout: 30_000 });
    await page.screenshot({ path: join(outDir, 'dashboard.png') });
    await page.screenshot({ path: join(outDir, 'dashboard-full.png'), fullPage: true });
    await context.close();
    console.log(
      `wrote landing.png, dashboard.png (1280×800) and dashboard-full.png to ${outDir}: ` +
        `${demo.sent.order} orders on ${demo.channels.join(', ')} over ${demo.months.join(', ')}`,
    );
  } finally {
    await hub.stop();
    await rm(profile, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** Until the KPI API counts every order the demo sent (normalize and the fold run within seconds). */
async function waitForOrders(url: string, key: string, from: string, orders: number): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const to = new Date().toISOString().slice(0, 10);
    const res = await fetch(`${url}/v1/kpis/channels?from=${from}&to=${to}&granularity=month`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const body = (await res.json()) as { channels?: { total: { orders: number } }[] };
    const counted = (body.channels ?? []).reduce((n, c) => n + c.total.orders, 0);
    if (counted >= orders) return;
    if (Date.now() > deadline)
      throw new Error(
        `the KPI API counts ${counted} of ${orders} orders after 5 minutes: ${JSON.stringify(body).slice(0, 300)}`,
      );
    await new Promise((r) => setTimeout(r, 1000));
  }
}

main().catch((err: unknown) => {
  console.error(`screenshots failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
