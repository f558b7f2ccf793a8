import type { ChannelsKpiAnswer } from '#shared/kpi/answer.ts';

/**
 * The channel-economics card (browser side): per channel over the whole range, the partner-reported
 * spend joined with orders — return on spend, cost per order, repeat customers, sales cycle, upsell rate,
 * satisfaction, pipeline — and partner
 * retention. Its own section, made here and placed after the standards card, so the page template
 * and the charts stay untouched. Text goes in through textContent only.
 */

const SECTION_ID = 'economics';

function cell(tag: 'td' | 'th', text: string): HTMLElement {
  const e = document.createElement(tag);
  e.textContent = text;
  return e;
}

const perCurrency = (m: Record<string, string | number | null>): string =>
  Object.entries(m)
    .map(([c, v]) => `${v ?? '–'} ${c}`)
    .join(', ') || '–';

function section(): HTMLElement {
  const existing = document.getElementById(SECTION_ID);
  if (existing) return existing;
  const s = document.createElement('section');
  // the whole row: nine columns do not fit half the page at 1280 px
  s.className = 'card wide';
  s.id = SECTION_ID;
  s.append(Object.assign(document.createElement('h2'), { textContent: 'Channel economics (whole range)' }));
  const anchor = document.getElementById('standards');
  if (anchor) anchor.after(s);
  else document.getElementById('dashboard')?.append(s);
  return s;
}

export function renderEconomics(kpis: ChannelsKpiAnswer): void {
  const s = section();
  while (s.childNodes.length > 1) s.removeChild(s.lastChild!);
  const table = document.createElement('table');
  const head = document.createElement('tr');
  for (const t of [
    'Channel',
    'Spend',
    'Return on spend',
    'Cost per order',
    'Repeat customers',
    'Sales cycle',
    'Upsell rate',
    'Satisfaction',
    'Pipeline',
  ])
    head.append(cell('th', t));
  table.append(head);
  for (const c of kpis.channels) {
    const e = c.total.economics;
    const tr = document.createElement('tr');
    tr.dataset.channel = c.channel;
    tr.append(
      cell('td', c.channel),
      cell('td', perCurrency(e.spend.total)),
      cell('td', perCurrency(e.returnOnSpend)),
      cell('td', perCurrency(e.costPerOrder)),
      cell(
        'td',
        c.total.customers.repeatRate === null
          ? '–'
          : `${(c.total.customers.repeatRate * 100).toFixed(1)}% of ${c.total.customers.identifiedOrders}`,
      ),
      cell(
        'td',
        c.total.salesCycle.meanDays === null
          ? '–'
          : `${c.total.salesCycle.meanDays} d (${c.total.salesCycle.quotedOrders})`,
      ),
      cell(
        'td',
        c.total.upsell.rate === null
          ? '–'
          : `${(c.total.upsell.rate * 100).toFixed(1)}% of ${c.total.upsell.repeatPurchases}`,
      ),
      cell('td', e.satisfaction.score === null ? '–' : `${e.satisfaction.score} (${e.satisfaction.responses})`),
      cell(
        'td',
        e.pipeline.map((p) => `${p.quarter}: ${perCurrency(p.value)} / ${p.opportunities} opp.`).join('; ') || '–',
      ),
    );
    table.append(tr);
  }
  const r = kpis.partnerRetention.total;
  const retention = document.createElement('p');
  retention.textContent =
    r.rate === null
      ? 'Partner retention: no partner had orders in the previous span.'
      : `Partner retention: ${r.retained} of ${r.previous} partners with orders in the previous span also have orders in this one (${(r.rate * 100).toFixed(1)}%).`;
  s.append(table, retention);
}
