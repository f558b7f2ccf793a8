import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adapterBench } from './adapters.ts';
import { costBench } from './cost.ts';
import { crossCheckBench } from './crosscheck.ts';
import { e2eBench } from './e2e.ts';
import { hydrateBench } from './hydrate.ts';
import { hydrateLocalBench } from './hydrate-local.ts';
import { ingestBench } from './ingest.ts';
import { memoryBench } from './memory-size.ts';
import { kpiReadBench } from './kpi-read.ts';
import { DEFAULT_SEED } from './mix.ts';
import { normalizeCostBench } from './normalize-cost.ts';
import { outboundBench } from './outbound.ts';
import { peakBench } from './peak.ts';
import { startupBench } from './startup.ts';
import { stockReadBench } from './stock-read.ts';
import type { BenchContext, BenchModule, BenchResult, HeadlineRow } from './lib.ts';

/**
 * `npm run bench`: every benchmark module in BENCHMARKS, in order (BENCH_ONLY=cost,ingest picks
 * some; BENCH_QUICK=1 shrinks the timed loops and the end-to-end run; BENCH_SEED changes the mix).
 * Writes bench/results.json (one object, a stable key per module) and bench/RESULTS.md (the
 * headline table for the README). Exits non-zero when a module fails or reports a failure.
 *
 * Extension point: stock and KPI read benchmarks add a BenchModule (bench/lib.ts) to this list.
 */
export const BENCHMARKS: BenchModule[] = [
  startupBench,
  crossCheckBench,
  normalizeCostBench,
  adapterBench,
  ingestBench,
  costBench,
  peakBench,
  memoryBench,
  e2eBench,
  stockReadBench,
  kpiReadBench,
  hydrateBench,
  hydrateLocalBench,
  outboundBench,
];

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Set in a child run of one module (`ownProcess`): where it writes its BenchResult. */
const CHILD_RESULT = process.env.BENCH_CHILD_RESULT;

/**
 * A module that starts a local hub runs in a process of its own: the hub's handlers read their
 * environment once, at import, so a second hub in one process would reach the first one's
 * (stopped) moto. The child is this script with BENCH_ONLY naming the module.
 */
async function runIsolated(bench: BenchModule, ctx: BenchContext): Promise<BenchResult> {
  if (!bench.ownProcess || CHILD_RESULT) return bench.run(ctx);
  const file = join(tmpdir(), `bench-${bench.name}-${process.pid}.json`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_ONLY: bench.name, BENCH_SEED: String(ctx.seed), BENCH_CHILD_RESULT: file },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  try {
    const out = JSON.parse(readFileSync(file, 'utf8')) as { result?: BenchResult; error?: string };
    if (out.result) return out.result;
    throw new Error(out.error ?? `the child run exited ${code}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`the child run exited ${code}`);
    throw err;
  } finally {
    rmSync(file, { force: true });
  }
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only?.filter((n) => !BENCHMARKS.some((b) => b.name === n)) ?? [];
  if (unknown.length)
    throw new Error(
      `BENCH_ONLY names unknown benchmarks: ${unknown.join(', ')} (known: ${BENCHMARKS.map((b) => b.name).join(', ')})`,
    );
  const selected = only ? BENCHMARKS.filter((b) => only.includes(b.name)) : BENCHMARKS;
  // a partial run (BENCH_ONLY) must not replace the full results the README quotes
  const DIR = only ? `${BENCH_DIR}out/` : BENCH_DIR;
  mkdirSync(DIR, { recursive: true });
  const memo = new Map<string, Promise<unknown>>();
  const ctx: BenchContext = {
    quick: process.env.BENCH_QUICK === '1',
    seed: process.env.BENCH_SEED ? Number(process.env.BENCH_SEED) : DEFAULT_SEED,
    memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
      if (!memo.has(key)) memo.set(key, fn());
      return memo.get(key) as Promise<T>;
    },
    log: (line = '') => console.log(`  ${line.replace(/\n/g, '\n  ')}`),
  };
  const started = Date.now();
  const results: Record<string, unknown> = {};
  const headline: (HeadlineRow & { bench: string })[] = [];
  const failures: string[] = [];
  for (const bench of selected) {
    console.log(`\n== ${bench.title} [${bench.name}]`);
    const t = Date.now();
    let r: BenchResult;
    try {
      r = await runIsolated(bench, ctx);
    } catch (err) {
      if (CHILD_RESULT) writeFileSync(CHILD_RESULT, JSON.stringify({ error: (err as Error).message }));
      failures.push(`${bench.name}: ${(err as Error).stack ?? String(err)}`);
      console.log(`  FAILED: ${(err as Error).message}`);
      results[bench.name] = { error: (err as Error).message };
      continue;
    }
    if (CHILD_RESULT) {
      writeFileSync(CHILD_RESULT, JSON.stringify({ result: r }));
      return;
    }
    results[bench.name] = { ...r.figures, seconds: Math.round((Date.now() - t) / 100) / 10 };
    headline.push(...r.headline.map((h) => ({ ...h, bench: bench.name })));
    failures.push(...(r.failures ?? []));
    console.log(`  (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }

  const meta = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    quick: ctx.quick,
    seed: ctx.seed,
    benchmarks: selected.map((b) => b.name),
    seconds: Math.round((Date.now() - started) / 1000),
    failures,
  };
  mkdirSync(DIR, { recursive: true });
  writeFileSync(`${DIR}results.json`, `${JSON.stringify({ meta, ...results }, null, 2)}\n`);
  const md = [
    '<!-- generated by `npm run bench` (bench/run.ts); do not edit by hand -->',
    '',
    `Measured ${meta.generatedAt.slice(0, 10)} on ${meta.cpus} × ${meta.cpuModel}, Node ${meta.node}${ctx.quick ? ' (BENCH_QUICK=1)' : ''}; mix seed ${ctx.seed} (bench/mix.ts, docs/benchmark-mix.md).`,
    '',
    '| Figure | Measured | Target | Measured on |',
    '|---|---|---|---|',
    ...headline.map(
      (h) =>
        `| ${h.figure} | ${h.value} | ${h.target ? `${h.target} ${h.meets === undefined ? '' : h.meets ? '✅' : '❌'}`.trim() : '—'} | ${h.measuredOn} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(`${DIR}RESULTS.md`, md);

  console.log('\n== Headline');
  for (const h of headline)
    console.log(
      `  ${h.figure}: ${h.value}${h.target ? ` (target ${h.target}: ${h.meets ? 'met' : 'NOT met'})` : ''} — ${h.measuredOn}`,
    );
  console.log(`\nwrote ${only ? 'bench/out/' : 'bench/'}results.json and RESULTS.md in ${meta.seconds} s`);
  if (failures.length) {
    console.error(`\nbench FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    process.exitCode = 1;
  }
}

await main();
