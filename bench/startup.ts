import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '#infra/local/moto.ts';
import { percentile, round, type BenchModule } from './lib.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * `npm start` from process start to the first 200 on GET /health (the goal: ready in under 10 s),
 * its own moto included. tsx is run directly: npx does not forward SIGTERM to the hub.
 */
async function startOnce(): Promise<number> {
  const port = await freePort();
  const cwd = mkdtempSync(join(tmpdir(), 'hub-startup-'));
  // its own moto, as `npm start` on a fresh machine
  const env: NodeJS.ProcessEnv = { ...process.env, HUB_PORT: String(port), HUB_QUIET: '1' };
  delete env.HUB_AWS_ENDPOINT;
  const t0 = performance.now();
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'infra/local/start.ts')], {
    cwd,
    env,
    stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('npm start did not answer /health within 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  }
}

export const startupBench: BenchModule = {
  name: 'startup',
  title: 'npm start: process start to GET /health 200',
  async run(ctx) {
    const runs = ctx.quick ? 1 : 3;
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await startOnce());
    const sorted = [...times].sort((a, b) => a - b);
    const median = percentile(sorted, 50);
    ctx.log(
      `ready in ${sorted.map((t) => `${Math.round(t)} ms`).join(', ')} (median ${Math.round(median)} ms; target < 10 s)`,
    );
    return {
      figures: { runs, msEach: times.map((t) => round(t, 0)), medianMs: round(median, 0) },
      headline: [
        {
          figure: 'npm start ready (moto included)',
          value: `${round(median / 1000, 1)} s`,
          target: '< 10 s',
          meets: median < 10_000,
          measuredOn: `median of ${runs} starts`,
        },
      ],
    };
  },
};
