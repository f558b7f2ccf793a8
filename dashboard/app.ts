import type { ChannelAnswer, ChannelsKpiAnswer } from '#shared/kpi/answer.ts';
import type { StockAlertRow, StockAlertsAnswer } from '#shared/inventory/stock-alerts.ts';
import { renderEconomics } from './economics.ts';
import { chartSummaries, channelColor, lineChart, shareChart, type Series } from './charts.ts';

/**
 * The managers' dashboard (browser side). Asks for an API key once per tab and keeps it in
 * sessionStorage (gone when the tab closes; never in the URL, where it would reach logs and
 * history), then draws the KPI API's answer. Every text from the API goes in through textContent,
 * never innerHTML: channel and SKU names are data, not markup.
 */

const KEY_STORAGE = 'inventory-hub.kpi-key';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function yearBefore(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() - 1);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function setStatus(text: string, error = false): void {
  const s = $('status');
  s.textContent = text;
  s.className = error ? 'error' : '';
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/** Replaces a card's content below its heading. */
function fill(id: string, ...nodes: Node[]): void {
  const card = $(id);
  while (card.childNodes.length > 1) card.removeChild(card.lastChild!);
  card.append(...nodes);
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function api<T>(path: string, key: string): Promise<T> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${key}` } });
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new ApiError(res.status, body.error?.message ?? `HTTP ${res.status}`);
  return body as T;
}

// revenue is plotted as a number (a chart position); every figure shown as text stays the API's decimal string
const asNumber = (amount: string | undefined) => (amount === undefined ? 0 : Number(amount));

/** A period label of the KPI API (2026-01-15, 2026-W03, 2026-01, 2026-Q1, 2026) as a reader's locale writes it. */
export function periodText(label: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(label)) return dateText(label);
  if (/^\d{4}-\d{2}$/.test(label))
    return new Date(`${label}-01T00:00:00Z`).toLocaleDateString(undefined, {
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    });
  return label.replace('-', ' ');
}

/** A calendar date (YYYY-MM-DD) the way the date pickers beside it show one: the reader's locale. */
function dateText(date: string): string {
  return new Date(`${date}T00:00:00Z`).toLocaleDateString(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
}

/** An instant, in the reader's time zone and locale, to the minute (no ISO, no milliseconds). */
function instantText(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

interface DashboardData {
  kpis: ChannelsKpiAnswer;
  /** undefined: the key lacks stock:read */
  alerts: StockAlertsAnswer | undefined;
}

/**
 * The dashboard's sections, in page order. A section is a card in the page (dashboard/page.ts,
 * by id) and a function that fills it from the API's answers: a new section is one of each.
 */
const SECTIONS: { id: string; render: (d: DashboardData) => Node[] }[] = [
  { id: 'alerts', render: alertsSection },
  { id: 'revenue-charts', render: revenueSection },
  { id: 'orders-chart', render: ordersSection },
  { id: 'share', render: shareSection },
  { id: 'standards', render: standardsSection },
];

function currencies(kpis: ChannelsKpiAnswer): string[] {
  return [...new Set(kpis.channels.flatMap((c) => Object.keys(c.total.grossRevenue)))].sort();
}

function revenueSection({ kpis }: DashboardData): Node[] {
  const labels = kpis.channels[0]?.periods.map((p) => periodText(p.label ?? p.from)) ?? [];
  const out: Node[] = [];
  for (const cur of currencies(kpis)) {
    const series: Series[] = kpis.channels
      .filter((c) => c.total.grossRevenue[cur] !== undefined)
      .map((c) => ({ name: c.channel, values: c.periods.map((p) => asNumber(p.grossRevenue[cur])) }));
    out.push(
      h('h3', `${cur} per ${kpis.granularity}`),
      lineChart({
        id: `revenue-${cur}`,
        title: `Gross revenue (${cur}) per ${kpis.granularity}`,
        xLabels: labels,
        series,
        format: (v) => `${v.toLocaleString()} ${cur}`,
      }),
    );
  }
  if (out.length === 0) out.push(h('p', 'No revenue in this range.'));
  return out;
}

function ordersSection({ kpis }: DashboardData): Node[] {
  const labels = kpis.channels[0]?.periods.map((p) => periodText(p.label ?? p.from)) ?? [];
  const series: Series[] = kpis.channels.map((c) => ({ name: c.channel, values: c.periods.map((p) => p.orders) }));
  return [lineChart({ id: 'orders', title: `Orders per ${kpis.granularity}`, xLabels: labels, series, integer: true })];
}

function shareSection({ kpis }: DashboardData): Node[] {
  const rows = currencies(kpis).map((cur) => ({
    label: cur,
    segments: kpis.channels
      .filter((c) => (c.total.revenueShare?.[cur] ?? 0) > 0)
      .map((c) => ({ name: c.channel, share: c.total.revenueShare![cur]! })),
  }));
  if (rows.length === 0) return [h('p', 'No revenue in this range.')];
  return [shareChart('share', `Channel share of revenue, ${dateText(kpis.from)} – ${dateText(kpis.to)}`, rows)];
}

function pct(x: number | null): string {
  return x === null ? '–' : `${(x * 100).toFixed(1)}%`;
}

function failingText(c: ChannelAnswer): string {
  const s = c.standards;
  if (!s) return 'no standards configured';
  if (s.status === 'invalid_config') return `invalid standards: ${s.message}`;
  if (s.failing.length === 0) return s.notEvaluated.length ? `not evaluated: ${s.notEvaluated.join(', ')}` : '';
  return s.failing
    .map((f) => {
      const v = (x: typeof f.actual) => (typeof x === 'number' ? String(x) : `${x.amount} ${x.currency}`);
      return `${f.measure}${f.period ? ` (${f.period})` : ''}: ${v(f.actual)} vs ${v(f.threshold)}`;
    })
    .join('; ');
}

function standardsSection({ kpis }: DashboardData): Node[] {
  const table = h('table');
  const head = h('tr');
  for (const t of [
    'Channel',
    'Status',
    'Orders',
    'Cancelled',
    'Refund rate',
    'Mean fulfilment (h)',
    'Oversells',
    'Failing measures',
  ])
    head.append(h('th', t));
  table.append(head);
  for (const c of kpis.channels) {
    const status = c.standards ? c.standards.status : '–';
    const tr = h('tr', undefined, c.standards?.status ?? 'none');
    tr.dataset.channel = c.channel;
    const name = h('td', c.channel, 'channel');
    name.style.setProperty('--c', channelColor(c.channel));
    tr.append(
      name,
      h('td', status, 'status'),
      h('td', String(c.total.orders)),
      h('td', pct(c.total.cancellationRate)),
      h('td', pct(c.total.refunds.rate)),
      h('td', c.total.fulfilment.meanHours === null ? '–' : String(c.total.fulfilment.meanHours)),
      h('td', String(c.total.oversells)),
      h('td', failingText(c), 'failing'),
    );
    table.append(tr);
  }
  return [table];
}

function alertTable(title: string, rows: StockAlertRow[], cls: string): Node[] {
  if (rows.length === 0) return [h('h3', title), h('p', 'None.')];
  const table = h('table');
  const head = h('tr');
  for (const t of ['SKU', 'Location', 'Available', 'On hand', 'Reserved', 'Updated']) head.append(h('th', t));
  table.append(head);
  for (const r of rows) {
    const tr = h('tr', undefined, cls);
    tr.append(
      h('td', r.sku),
      h('td', r.location),
      h('td', String(r.available)),
      h('td', String(r.onHand)),
      h('td', String(r.reserved)),
      h('td', instantText(r.updatedAt)),
    );
    table.append(tr);
  }
  return [h('h3', title), table];
}

function alertsSection({ alerts: a }: DashboardData): Node[] {
  if (!a) return [h('p', 'This API key lacks the stock:read scope, which stock alerts need.')];
  const lists = h('div', undefined, 'alert-lists');
  const oversold = h('div');
  oversold.append(...alertTable(`Oversold now (available < 0): ${a.oversold.length}`, a.oversold, 'oversold'));
  const low = h('div');
  low.append(...alertTable(`Low stock (available ≤ ${a.threshold}): ${a.lowStock.length}`, a.lowStock, 'low'));
  lists.append(oversold, low);
  return [
    lists,
    ...(a.truncated ? [h('p', 'Showing a partial list: there are more balances than one request reads.')] : []),
  ];
}

async function load(key: string): Promise<void> {
  const params = new URLSearchParams({
    from: $<HTMLInputElement>('from').value,
    to: $<HTMLInputElement>('to').value,
    granularity: $<HTMLSelectElement>('granularity').value,
  });
  const tz = $<HTMLInputElement>('tz').value.trim();
  if (tz) params.set('tz', tz);
  setStatus('Loading…');
  delete document.body.dataset.loaded;
  try {
    // stock alerts list balances and need stock:read too: a key with kpi:read alone still gets the
    // charts, and the alerts card says why it is empty
    const alertsRequest = api<StockAlertsAnswer>('/v1/kpis/stock-alerts', key).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 403) return undefined;
      throw err;
    });
    const [kpis, alerts] = await Promise.all([
      api<ChannelsKpiAnswer>(`/v1/kpis/channels?${params}`, key),
      alertsRequest,
    ]);
    for (const section of SECTIONS) fill(section.id, ...section.render({ kpis, alerts }));
    renderEconomics(kpis);
    setStatus(
      `${kpis.channels.length} channel(s), ${dateText(kpis.from)} – ${dateText(kpis.to)} by ${kpis.granularity}, time zone ${kpis.timeZone}`,
    );
    // the charts draw once their canvases are in the page (a microtask after this one)
    await Promise.resolve();
    document.body.dataset.loaded = 'true';
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(KEY_STORAGE);
      showKeyForm('That API key was not accepted.');
      return;
    }
    setStatus(err instanceof Error ? err.message : String(err), true);
  }
}

function showKeyForm(message = ''): void {
  $('key-form').hidden = false;
  $('dashboard').hidden = true;
  $('forget-key').hidden = true;
  $('key-status').textContent = message;
}

function showDashboard(key: string): void {
  $('key-form').hidden = true;
  $('dashboard').hidden = false;
  $('forget-key').hidden = false;
  $('key-status').textContent = '';
  void load(key);
}

declare global {
  interface Window {
    /** for tests and scripts reading the page: a summary of every chart drawn (dashboard/charts.ts) */
    hubDashboard: { charts: typeof chartSummaries };
  }
}

function init(): void {
  window.hubDashboard = { charts: chartSummaries };
  // the range can be preset through the URL (bookmarks, links in reports); the key never is
  const q = new URLSearchParams(location.search);
  const to = q.get('to') ?? today();
  $<HTMLInputElement>('to').value = to;
  $<HTMLInputElement>('from').value = q.get('from') ?? yearBefore(to);
  $<HTMLSelectElement>('granularity').value = q.get('granularity') ?? 'month';
  $<HTMLInputElement>('tz').value = q.get('tz') ?? '';

  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $<HTMLInputElement>('api-key').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    $<HTMLInputElement>('api-key').value = '';
    showDashboard(key);
  });
  $('controls').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) void load(key);
    else showKeyForm();
  });
  $('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    showKeyForm();
  });
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) showDashboard(key);
  else showKeyForm();
}

init();
