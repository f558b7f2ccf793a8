import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { toFont } from 'chart.js/helpers';

/**
 * The dashboard's charts, drawn by Chart.js (bundled by esbuild into the page; nothing from a CDN).
 * Only the controllers, elements, scales and plugins the dashboard uses are registered, so esbuild
 * leaves the rest of Chart.js out of the bundle (docs/kpis.md gives the page's size).
 *
 * Every chart drawn is kept in a registry by its id. `window.hubDashboard.charts()` returns a plain
 * summary of each (type, labels, series with values and colour, the y-axis ticks as drawn): what a
 * test, or a script reading the page, can check without reading pixels.
 */
Chart.register(
  LineController,
  LineElement,
  PointElement,
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
);

/** Twenty colours that read as lines on white and differ from one another. */
export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
  '#b8860b',
  '#bcbd22',
  '#393b79',
  '#e6550d',
  '#31a354',
  '#756bb1',
  '#843c39',
  '#3182bd',
  '#637939',
  '#d6616b',
  '#7b4173',
  '#000075',
];

/**
 * A channel's colour, derived from its name alone (FNV-1a hash → one of PALETTE), so a channel keeps
 * its colour when another channel is added, removed or sorts before it. Two channels can share a
 * colour (one chance in twenty per pair); the legend and tooltips name every line.
 */
export function channelColor(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return PALETTE[h % PALETTE.length]!;
}

export interface Series {
  name: string;
  /** one value per x label; null = no value */
  values: (number | null)[];
}

export interface ChartSummary {
  id: string;
  type: 'line' | 'bar';
  title: string;
  labels: string[];
  series: { name: string; color: string; values: (number | null)[] }[];
  /** the y axis (the value axis of a bar chart) as drawn: every tick's value */
  valueTicks: number[];
  /** the category axis labels Chart.js kept after skipping those that would overlap */
  shownLabels: string[];
  /** the narrowest space between two neighbouring category labels as drawn, in px (< 0: they overlap) */
  minLabelGap: number | null;
}

const charts = new Map<string, Chart>();

/** Destroys the chart drawn under `id` before, if any: a refresh draws every chart anew. */
function replace(id: string, canvas: HTMLCanvasElement, config: ChartConfiguration): Chart {
  charts.get(id)?.destroy();
  const chart = new Chart(canvas, config);
  charts.set(id, chart);
  return chart;
}

function frame(id: string, title: string, height: number): { box: HTMLDivElement; canvas: HTMLCanvasElement } {
  const box = document.createElement('div');
  box.className = 'chart-box';
  box.style.height = `${height}px`;
  const canvas = document.createElement('canvas');
  canvas.id = `chart-${id}`;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', title);
  canvas.textContent = title;
  box.append(canvas);
  return { box, canvas };
}

export interface LineChartOptions {
  id: string;
  title: string;
  xLabels: string[];
  series: Series[];
  /** counts: whole-number ticks only (no "0.25 orders") */
  integer?: boolean;
  /** how a value reads on the y axis and in tooltips */
  format?: (v: number) => string;
  height?: number;
}

/** A line chart in a box of fixed height that takes its card's width. */
export function lineChart(o: LineChartOptions): HTMLElement {
  const { box, canvas } = frame(o.id, o.title, o.height ?? 240);
  const format = o.format ?? ((v: number) => v.toLocaleString());
  // the canvas must be in the document before Chart.js measures it: drawn on the next frame
  queueMicrotask(() =>
    replace(o.id, canvas, {
      type: 'line',
      data: {
        labels: o.xLabels,
        datasets: o.series.map((s) => ({
          label: s.name,
          data: s.values,
          borderColor: channelColor(s.name),
          backgroundColor: channelColor(s.name),
          borderWidth: 2,
          pointRadius: o.xLabels.length > 60 ? 0 : 3,
          spanGaps: false,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          title: { display: false },
          legend: { position: 'bottom', labels: { boxWidth: 10, boxHeight: 10 } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${format(Number(c.parsed.y))}` } },
        },
        scales: {
          // labels never overlap: Chart.js skips those that would, and keeps them level
          x: { ticks: { autoSkip: true, autoSkipPadding: 12, maxRotation: 0 } },
          y: {
            beginAtZero: true,
            ticks: { ...(o.integer ? { precision: 0 } : {}), callback: (v) => format(Number(v)) },
          },
        },
      },
    }),
  );
  return box;
}

export interface ShareSegment {
  name: string;
  /** 0..1 */
  share: number;
}

/** One horizontal bar per currency, split by each channel's share of it. */
export function shareChart(
  id: string,
  title: string,
  rows: { label: string; segments: ShareSegment[] }[],
): HTMLElement {
  const { box, canvas } = frame(id, title, 56 + 40 * rows.length);
  const names = [...new Set(rows.flatMap((r) => r.segments.map((s) => s.name)))];
  queueMicrotask(() =>
    replace(id, canvas, {
      type: 'bar',
      data: {
        labels: rows.map((r) => r.label),
        datasets: names.map((name) => ({
          label: name,
          data: rows.map((r) => (r.segments.find((s) => s.name === name)?.share ?? 0) * 100),
          backgroundColor: channelColor(name),
        })),
      },
      options: {
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 10, boxHeight: 10 } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${Number(c.parsed.x).toFixed(1)}%` } },
        },
        scales: {
          x: { stacked: true, min: 0, max: 100, ticks: { callback: (v) => `${v}%` } },
          y: { stacked: true },
        },
      },
    }),
  );
  return box;
}

function summary(id: string, chart: Chart): ChartSummary {
  const type = (chart.config as { type: string }).type === 'bar' ? 'bar' : 'line';
  const horizontal = chart.options.indexAxis === 'y';
  const valueScale = chart.scales[horizontal ? 'x' : 'y'];
  const categoryScale = chart.scales[horizontal ? 'y' : 'x'];
  const labels = (chart.data.labels ?? []).map(String);
  return {
    id,
    type,
    title: chart.canvas.getAttribute('aria-label') ?? id,
    labels,
    series: chart.data.datasets.map((d) => ({
      name: String(d.label),
      color: String(d.backgroundColor),
      values: (d.data as (number | null)[]).slice(),
    })),
    valueTicks: valueScale?.ticks.map((t) => t.value) ?? [],
    shownLabels: categoryScale?.ticks.map((t) => labels[t.value] ?? String(t.label)) ?? [],
    minLabelGap: categoryScale && !horizontal ? labelGap(chart, categoryScale) : null,
  };
}

function labelGap(chart: Chart, scale: Chart['scales'][string]): number | null {
  const ticks = scale.ticks;
  if (ticks.length < 2) return null;
  chart.ctx.save();
  chart.ctx.font = toFont((scale.options as { ticks?: { font?: never } }).ticks?.font ?? {}).string;
  const width = (i: number) => chart.ctx.measureText(String(ticks[i]!.label)).width;
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < ticks.length; i++) {
    const apart = scale.getPixelForTick(i + 1) - scale.getPixelForTick(i);
    min = Math.min(min, apart - (width(i) + width(i + 1)) / 2);
  }
  chart.ctx.restore();
  return Math.round(min);
}

/** Every chart on the page, summarized (see the module comment). */
export function chartSummaries(): ChartSummary[] {
  return [...charts].filter(([, c]) => c.canvas.isConnected).map(([id, c]) => summary(id, c));
}
