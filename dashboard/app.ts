import type { ChannelAnswer, ChannelsKpiAnswer } from '#shared/kpi/answer.ts';
import type { StockAlertRow, StockAlertsAnswer } from '#shared/inventory/stock-alerts.ts';
import { renderEconomics } from './economics.ts';
import { PALETTE, lineChart, shareBar, type Series } from './charts.ts';

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

function legend(names: string[], colors: Map<string, string>): HTMLElement {
  const div = h('div', undefined, 'legend');
  for (const n of names) {
    const s = h('span', n);
    s.style.setProperty('--c', colors.get(n) ?? '#999');
    div.append(s);
  }
  return div;
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

function renderCharts(kpis: ChannelsKpiAnswer, colors: Map<string, string>): void {
  const channels = kpis.channels;
  const labels = channels[0]?.periods.map((p) => p.label ?? p.from) ?? [];
  const currencies = [...new Set(channels.flatMap((c) => Object.keys(c.total.grossRevenue)))].sort();
  const names = channels.map((c) => c.channel);

  const revenue: Node[] = [];
  for (const cur of currencies) {
    const series: Series[] = channels
      .filter((c) => c.total.grossRevenue[cur] !== undefined)
      .map((c) => ({
        name: c.channel,
        color: colors.get(c.channel)!,
        values: c.periods.map((p) => asNumber(p.grossRevenue[cur])),
      }));
    revenue.push(
      lineChart({
        title: `Gross revenue (${cur}) per ${kpis.granularity}`,
        xLabels: labels,
        series,
        format: (v) => `${v.toLocaleString('en-US')} ${cur}`,
      }),
    );
  }
  if (currencies.length === 0) revenue.push(h('p', 'No revenue in this range.'));
  fill('revenue-charts', ...revenue, legend(names, colors));

  const orders: Series[] = channels.map((c) => ({
    name: c.channel,
    color: colors.get(c.channel)!,
    values: c.periods.map((p) => p.orders),
  }));
  fill(
    'orders-chart',
    lineChart({ title: `Orders per ${kpis.granularity}`, xLabels: labels, series: orders }),
    legend(names, colors),
  );

  const shares: Node[] = [];
  for (const cur of currencies) {
    const segments = channels
      .filter((c) => (c.total.revenueShare?.[cur] ?? 0) > 0)
      .map((c) => ({ name: c.channel, color: colors.get(c.channel)!, share: c.total.revenueShare![cur]! }));
    shares.push(shareBar(`${cur}: ${kpis.from} – ${kpis.to}`, segments));
  }
  if (currencies.length === 0) shares.push(h('p', 'No revenue in this range.'));
  fill('share', ...shares, legend(names, colors));
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

function renderStandards(kpis: ChannelsKpiAnswer): void {
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
    tr.append(
      h('td', c.channel),
      h('td', status, 'status'),
      h('td', String(c.total.orders)),
      h('td', pct(c.total.cancellationRate)),
      h('td', pct(c.total.refunds.rate)),
      h('td', c.total.fulfilment.meanHours === null ? '–' : String(c.total.fulfilment.meanHours)),
      h('td', String(c.total.oversells)),
      h('td', failingText(c)),
    );
    table.append(tr);
  }
  fill('standards', table);
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
      h('td', r.updatedAt),
    );
    table.append(tr);
  }
  return [h('h3', title), table];
}

function renderAlerts(a: StockAlertsAnswer): void {
  fill(
    'alerts',
    ...alertTable(`Oversold now (available < 0): ${a.oversold.length}`, a.oversold, 'oversold'),
    ...alertTable(`Low stock (available ≤ ${a.threshold}): ${a.lowStock.length}`, a.lowStock, 'low'),
    ...(a.truncated ? [h('p', 'Showing a partial list: there are more balances than one request reads.')] : []),
  );
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
    const colors = new Map(kpis.channels.map((c, i) => [c.channel, PALETTE[i % PALETTE.length]!]));
    renderCharts(kpis, colors);
    renderStandards(kpis);
    renderEconomics(kpis);
    if (alerts) renderAlerts(alerts);
    else fill('alerts', h('p', 'This API key lacks the stock:read scope, which stock alerts need.'));
    setStatus(
      `${kpis.channels.length} channel(s), ${kpis.from} – ${kpis.to} by ${kpis.granularity}, time zone ${kpis.timeZone}`,
    );
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

function init(): void {
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
