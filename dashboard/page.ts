import { createHash } from 'node:crypto';

/**
 * The dashboard's HTML shell with the bundled script inlined: one response, no second route and
 * no cache to keep in step with it. The Content-Security-Policy allows exactly that script (by its
 * hash), styles inline, and fetches to the same origin only — a page that holds an API key in
 * sessionStorage must not run or send anything else.
 */

const STYLE = `
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #111827; background: #f9fafb; }
* { box-sizing: border-box; }
body { margin: 0; }
header { background: #111827; color: #f9fafb; padding: 10px 24px; display: flex; gap: 16px; align-items: center; }
header h1 { font-size: 18px; margin: 0; flex: 1; }
header a { color: #bfdbfe; font-size: 13px; }
main { padding: 12px 24px; max-width: 1400px; }
form { display: flex; gap: 8px; align-items: end; flex-wrap: wrap; margin-bottom: 8px; }
label { display: flex; flex-direction: column; font-size: 12px; color: #374151; gap: 2px; }
input, select, button { font: inherit; font-size: 14px; padding: 4px 8px; }
button { background: #2563eb; color: white; border: 0; border-radius: 4px; padding: 6px 12px; cursor: pointer; }
button.secondary { background: #4b5563; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 480px), 1fr)); gap: 12px; }
.wide { grid-column: 1 / -1; }
.card { background: white; border: 1px solid #e5e7eb; border-radius: 6px; padding: 10px 12px; min-width: 0; }
.card h3 { font-size: 13px; margin: 6px 0 4px; }
.card h2 { font-size: 15px; margin: 0 0 6px; }
.chart-box { position: relative; width: 100%; }
#alerts { max-height: 250px; overflow-y: auto; }
#alerts .alert-lists { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 480px), 1fr)); gap: 12px; }
.help { font-size: 13px; color: #374151; max-width: 720px; }
.help code { background: #f3f4f6; padding: 1px 4px; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
td { overflow-wrap: anywhere; }
td.channel::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; background: var(--c); }
tr.below td { background: #fee2e2; }
tr.below td.status { color: #b91c1c; font-weight: 600; }
tr.meets td.status { color: #15803d; }
tr.oversold td { background: #fee2e2; }
#status { font-size: 13px; color: #6b7280; min-height: 18px; margin-bottom: 8px; }
#status.error { color: #b91c1c; }
[hidden] { display: none !important; }
`;

const BODY = `
<header><h1>Inventory hub — channel KPIs</h1><a href="/">Home</a><a href="/api">API reference</a><button id="forget-key" class="secondary" hidden>Forget key</button></header>
<main>
  <form id="key-form" class="card">
    <label>API key (kpi:read; stock:read too for stock alerts)<input id="api-key" type="password" autocomplete="off" size="48" required></label>
    <button type="submit">Open dashboard</button>
    <p class="help" id="key-help">Where a key comes from: <code>npm start</code> prints one (the <code>KEY=…</code> in its
    <code>export</code> line). Make another with <code>npm run hub -- keys create --name dashboard --scopes kpi:read,stock:read</code>
    (it is shown once). The key stays in this tab only and is sent to this hub alone.</p>
  </form>
  <div id="dashboard" hidden>
    <form id="controls">
      <label>From<input id="from" type="date" required></label>
      <label>To<input id="to" type="date" required></label>
      <label>Granularity<select id="granularity">
        <option value="day">Day</option><option value="week">Week (ISO)</option><option value="month" selected>Month</option>
        <option value="quarter">Quarter</option><option value="year">Year</option></select></label>
      <label>Time zone<input id="tz" placeholder="merchant default" size="18"></label>
      <button type="submit">Refresh</button>
    </form>
    <div id="status" role="status"></div>
    <div class="grid2">
      <section class="card wide" id="alerts"><h2>Stock alerts</h2></section>
      <section class="card" id="revenue-charts"><h2>Gross revenue per channel</h2></section>
      <section class="card" id="orders-chart"><h2>Orders per channel</h2></section>
      <section class="card wide" id="share"><h2>Channel share of revenue (whole range)</h2></section>
      <section class="card wide" id="standards"><h2>Channel standards</h2></section>
    </div>
  </div>
  <div id="key-status" role="status"></div>
</main>`;

/** `</script` inside the bundle would end the inline script early. */
function inlineSafe(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

export interface DashboardPage {
  html: string;
  /** the Content-Security-Policy header that goes with this exact html */
  csp: string;
}

export function renderPage(bundle: string): DashboardPage {
  const js = inlineSafe(bundle);
  const hash = createHash('sha256').update(js, 'utf8').digest('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${hash}'`,
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,"><title>Inventory hub — KPIs</title><style>${STYLE}</style></head>
<body>${BODY}<script>${js}</script></body></html>`;
  return { html, csp };
}
