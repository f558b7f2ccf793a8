import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPlan, MAX_REQUESTS, runDemo } from '#infra/local/demo.ts';
import { startLocalHub, type LocalHub } from '#infra/local/hub.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { fixedClock } from '#test/support/clock.ts';
import { awsEndpoint, uniqueName } from '#test/support/aws.ts';

/** The last day the demo places orders on: fixed, so the months it covers are known. */
const UNTIL = new Date('2026-04-20T12:00:00Z');

describe('npm run demo against a local hub', () => {
  let hub: LocalHub;
  const prefix = uniqueName('demo');

  beforeAll(async () => {
    hub = await startLocalHub({ port: 0, awsEndpoint: awsEndpoint(), prefix, quiet: true });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('plans the same bounded requests for the same seed, and other ones for another', () => {
    // Act
    const a = demoPlan({ seed: 7, months: 4, until: fixedClock('2026-04-20T12:00:00Z')() });
    const b = demoPlan({ seed: 7, months: 4, until: fixedClock('2026-04-20T12:00:00Z')() });
    const c = demoPlan({ seed: 8, months: 4, until: fixedClock('2026-04-20T12:00:00Z')() });
    const long = demoPlan({ seed: 7, months: 6, until: fixedClock('2026-04-20T12:00:00Z')() });

    // Assess
    expect(a).toEqual(b);
    expect(c.requests).not.toEqual(a.requests);
    expect(a.months).toEqual(['2026-01', '2026-02', '2026-03', '2026-04']);
    expect(long.requests.length).toBeLessThanOrEqual(MAX_REQUESTS);
  });

  it('sends signed webhooks that the KPIs show for several channels and months, with cancellations, refunds and stock alerts', async () => {
    // Prepare
    const key = hub.config.apiKeys[0]!.key;
    const lines: string[] = [];
    const auth = { authorization: `Bearer ${key}` };

    // Act: signed with the real clock, which the hub checks Standard Webhooks timestamps against
    const result = await runDemo({
      hub: {
        awsEndpoint: hub.awsEndpoint,
        url: hub.url,
        stage: `local-${prefix}`,
        tableName: hub.resources.tableName,
        ingestQueueUrl: hub.resources.ingestQueueUrl,
        ingestDlqUrl: hub.resources.ingestDlqUrl,
      },
      clock: systemClock,
      seed: 1,
      months: 4,
      until: UNTIL,
      print: (l) => lines.push(l),
    });
    // generous waits: the fold catches up within seconds on an idle machine, far slower on a loaded one
    const deadline = Date.now() + 150_000;
    let kpis: {
      channels: Array<{
        channel: string;
        total: { orders: number; cancelledOrders: number; refunds: { count: number } };
        periods: Array<{ orders: number }>;
      }>;
    };
    for (;;) {
      await hub.foldIdle({ timeoutMs: 120_000 });
      const res = await fetch(`${hub.url}/v1/kpis/channels?from=2026-01-01&to=2026-04-30&granularity=month`, {
        headers: auth,
      });
      kpis = (await res.json()) as typeof kpis;
      const ordered = kpis.channels.filter((c) => c.total.orders > 0).reduce((s, c) => s + c.total.orders, 0);
      if (ordered >= result.sent.order || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const alerts = (await (await fetch(`${hub.url}/v1/kpis/stock-alerts?threshold=5`, { headers: auth })).json()) as {
      items?: unknown[];
    } & Record<string, unknown>;

    // Assess
    expect(result.failed).toBe(0);
    expect(result.sent.order).toBeGreaterThan(100);
    expect(lines.join('\n')).toContain(`${hub.url}/dashboard`);
    const selling = kpis.channels.filter((c) => c.total.orders > 0);
    expect(selling.map((c) => c.channel).sort()).toEqual(['dealer-north', 'marketplace', 'web-shop']);
    for (const c of selling) expect(c.periods.filter((p) => p.orders > 0).length, c.channel).toBe(4);
    expect(selling.reduce((s, c) => s + c.total.orders, 0)).toBe(result.sent.order);
    expect(selling.reduce((s, c) => s + c.total.cancelledOrders, 0)).toBe(result.sent.cancellation);
    expect(selling.reduce((s, c) => s + c.total.refunds.count, 0)).toBe(result.sent.refund);
    expect(JSON.stringify(alerts)).toMatch(/LAMP-BRASS-S|VASE-STONE-M/);
  }, 300_000);
});
