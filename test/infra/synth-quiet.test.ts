import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * `npx cdk synth -q` as a user runs it (cdk.json's app and build steps, every function bundled):
 * a successful synth prints nothing — no bundler size tables, no "Bundling asset" progress, no
 * feature-flag notice (cdk.json sets every flag the CLI would otherwise count as unconfigured).
 */
describe('npx cdk synth -q', () => {
  it('synthesizes the stack and prints nothing on success', async () => {
    const out = await mkdtemp(join(tmpdir(), 'hub-synth-'));
    try {
      const { stdout, stderr } = await run('npx', ['cdk', 'synth', '-q', '-o', out], {
        cwd: process.cwd(),
        env: { ...process.env, CI: 'true' },
        maxBuffer: 16 * 1024 * 1024,
      });
      const lines = `${stdout}${stderr}`.split('\n').filter((l) => l.trim() !== '');
      expect(lines).toEqual([]);
      expect((await readdir(out)).filter((f) => f.endsWith('.template.json'))).toEqual([
        'InventoryHub-dev.template.json',
      ]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 300_000);
});
