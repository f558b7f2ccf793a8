/**
 * Hand-drawn SVG charts for the dashboard: a line chart and a stacked share bar. SVG rather than a
 * chart library: a few hundred lines of DOM code, no dependency to audit or bundle, crisp at any
 * zoom, and every data point is an element a test (or a screen reader, through <title>) can find.
 */

const SVG = 'http://www.w3.org/2000/svg';

export const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#ca8a04',
  '#db2777',
  '#4b5563',
  '#65a30d',
];

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** 1, 2, 2.5 or 5 × 10^n: a tick step that gives about `count` ticks up to max. */
export function niceStep(max: number, count = 4): number {
  if (max <= 0) return 1;
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

export interface Series {
  name: string;
  color: string;
  /** one value per x label; null = no value */
  values: (number | null)[];
}

export interface LineChartOptions {
  title: string;
  xLabels: string[];
  series: Series[];
  /** how a value reads in tooltips and on the y axis */
  format?: (v: number) => string;
  width?: number;
  height?: number;
}

export function lineChart(o: LineChartOptions): SVGSVGElement {
  const width = o.width ?? 560;
  const height = o.height ?? 240;
  const m = { top: 28, right: 30, bottom: 40, left: 64 };
  const format = o.format ?? ((v: number) => v.toLocaleString('en-US'));
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', class: 'chart line-chart' });
  svg.append(el('title', {}, o.title));
  svg.append(el('text', { x: m.left, y: 18, class: 'chart-title' }, o.title));

  const values = o.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const step = niceStep(Math.max(0, ...values));
  const top = Math.max(step, Math.ceil(Math.max(0, ...values) / step) * step);
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const n = o.xLabels.length;
  const x = (i: number) => m.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => m.top + plotH - (v / top) * plotH;

  for (let v = 0; v <= top + step / 2; v += step) {
    svg.append(el('line', { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(el('text', { x: m.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, format(v)));
  }
  // at most ~8 x labels, evenly spaced, so week or day series stay readable
  const every = Math.max(1, Math.ceil(n / 8));
  o.xLabels.forEach((label, i) => {
    if (i % every === 0 || i === n - 1)
      svg.append(el('text', { x: x(i), y: height - m.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, label));
  });

  for (const s of o.series) {
    const g = el('g', { 'data-series': s.name, class: 'series' });
    let d = '';
    s.values.forEach((v, i) => {
      if (v === null) return;
      d += `${d === '' ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    });
    g.append(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2 }));
    s.values.forEach((v, i) => {
      if (v === null) return;
      const c = el('circle', {
        cx: x(i).toFixed(1),
        cy: y(v).toFixed(1),
        r: 3,
        fill: s.color,
        class: 'point',
        'data-value': v,
      });
      c.append(el('title', {}, `${s.name} · ${o.xLabels[i]}: ${format(v)}`));
      g.append(c);
    });
    svg.append(g);
  }
  return svg;
}

export interface ShareSegment {
  name: string;
  color: string;
  /** 0..1 */
  share: number;
}

/** One horizontal bar split by share, labelled with percentages. */
export function shareBar(title: string, segments: ShareSegment[], width = 560): SVGSVGElement {
  const height = 64;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', class: 'chart share-chart' });
  svg.append(el('title', {}, title));
  svg.append(el('text', { x: 0, y: 16, class: 'chart-title' }, title));
  let at = 0;
  for (const s of segments) {
    const w = s.share * width;
    const r = el('rect', {
      x: at.toFixed(1),
      y: 26,
      width: Math.max(0, w).toFixed(1),
      height: 28,
      fill: s.color,
      class: 'share',
      'data-share': s.share,
    });
    r.append(el('title', {}, `${s.name}: ${(s.share * 100).toFixed(1)}%`));
    svg.append(r);
    if (w > 60)
      svg.append(el('text', { x: at + 6, y: 45, class: 'share-label' }, `${s.name} ${(s.share * 100).toFixed(0)}%`));
    at += w;
  }
  return svg;
}
