import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { adapt } from '#shared/adapters/index.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import { normalizeMessage, type NormalizeDeps, type NormalizeOutcome } from '#shared/normalize/normalize.ts';
import type { CostStats, TablePort } from '#shared/table/port.ts';
import { generateMix, DEFAULT_SEED, type DeliveryKind, type Mix } from './mix.ts';
import { MemoryTable, type WriteRecord } from '#shared/table/memory-table.ts';

/** What every benchmark module gets: the run's options, shared (memoised) measurements, a logger. */
export interface BenchContext {
  quick: boolean;
  seed: number;
  memo<T>(key: string, fn: () => Promise<T>): Promise<T>;
  log(line?: string): void;
}

/** One row of the headline table (bench/RESULTS.md). */
export interface HeadlineRow {
  figure: string;
  value: string;
  target?: string;
  /** true / false when there is a target to meet */
  meets?: boolean;
  measuredOn: string;
}

export interface BenchResult {
  /** stable key in results.json */
  figures: Record<string, unknown>;
  headline: HeadlineRow[];
  /** a failure the run must report (non-zero exit) — e.g. a cross-check mismatch */
  failures?: string[];
}

/** A benchmark module: run.ts keeps a list of these (add stock and KPI reads here). */
export interface BenchModule {
  name: string;
  title: string;
  /** starts a local hub: run in a process of its own (bench/run.ts) */
  ownProcess?: boolean;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const round = (v: number, digits = 3) => Number(v.toFixed(digits));

export function mixLabel(mix: Mix, deliveries = mix.items.length): string {
  return `${mix.orders.length.toLocaleString('en-US')} orders / ${deliveries.toLocaleString('en-US')} deliveries (seed ${mix.seed})`;
}

export function mixFor(ctx: BenchContext, orders: number): Promise<Mix> {
  return ctx.memo(`mix:${orders}`, async () => generateMix({ orders, seed: ctx.seed ?? DEFAULT_SEED }));
}

export function normalizeDeps(table: TablePort, clock: { now: number }): NormalizeDeps {
  return {
    table,
    adapt,
    // no channel has location settings on the mix
    channels: { list: async () => [] },
    loadBody: async (d: Delivery) => {
      if (d.body.kind !== 'inline') throw new Error('the bench mix carries inline bodies only');
      return Buffer.from(d.body.data, d.body.encoding === 'base64' ? 'base64' : 'utf8');
    },
    now: () => new Date(clock.now),
    // a deployed stack hashes customers with its salt secret: so does the bench (a fixed salt)
    customerSalt: BENCH_CUSTOMER_SALT,
  };
}

/** The customer salt the bench's normalize hashes with, as a deployed hub's does with its secret. */
export const BENCH_CUSTOMER_SALT = 'bench-customer-salt-0f3a9c1e5b7d';

export interface DeliveryCost {
  kind: DeliveryKind;
  status: NormalizeOutcome['status'];
  reason?: string;
  readRequests: number;
  writeRequests: number;
  readUnits: number;
  writeUnits: number;
  gsiWriteUnits: number;
  /** in-process time of normalizeMessage on the memory table */
  ms: number;
  writes: WriteRecord[];
}

/**
 * Runs the mix, in arrival order, through normalizeMessage on a fresh table (the clock is each
 * delivery's arrival time, so the table's contents are deterministic) and records what each
 * delivery cost.
 */
export async function normalizeMix(
  mix: Mix,
  table: TablePort & { gsi?: { writeUnits: number }; onWrite?: (r: WriteRecord[]) => void },
): Promise<DeliveryCost[]> {
  const clock = { now: 0 };
  const deps = normalizeDeps(table, clock);
  const out: DeliveryCost[] = [];
  let writes: WriteRecord[] = [];
  if (table instanceof MemoryTable) table.onWrite = (r) => writes.push(...r);
  for (const item of mix.items) {
    clock.now = item.arrivalAt;
    const before: CostStats = { ...table.stats };
    const gsiBefore = table.gsi?.writeUnits ?? 0;
    writes = [];
    const message = JSON.stringify(item.delivery);
    const t = performance.now();
    const outcome = await normalizeMessage(message, deps);
    const ms = performance.now() - t;
    out.push({
      kind: item.kind,
      status: outcome.status,
      ...(outcome.status === 'quarantined' ? { reason: outcome.reason } : {}),
      readRequests: table.stats.readRequests - before.readRequests,
      writeRequests: table.stats.writeRequests - before.writeRequests,
      readUnits: table.stats.readUnits - before.readUnits,
      writeUnits: table.stats.writeUnits - before.writeUnits,
      gsiWriteUnits: (table.gsi?.writeUnits ?? 0) - gsiBefore,
      ms,
      writes,
    });
  }
  return out;
}

export function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
export function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? pad(cell, widths[c]!) : lpad(cell, widths[c]!))).join('  '))
    .join('\n');
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A file of the project, by its path from the root. */
export function readSource(file: string): string {
  return readFileSync(`${ROOT}${file}`, 'utf8');
}

/** A number the stack declares in its source (so a change to the stack shows up in the bench). */
export function readConst(file: string, pattern: RegExp, what: string): number {
  const m = pattern.exec(readSource(file));
  if (!m) throw new Error(`bench: cannot read ${what} from ${file}; update the bench`);
  return Number(m[1]);
}
