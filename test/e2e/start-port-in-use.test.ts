import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEndpoint, uniqueName } from '#test/support/aws.ts';

function runStart(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start with its port taken', () => {
  let holder: Server;
  let port: number;

  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    port = (holder.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => holder?.close(r));
  });

  it('says which port is in use and to set HUB_PORT, without a stack trace, and exits non-zero', async () => {
    // Act
    const { code, stdout, stderr } = await runStart({
      HUB_PORT: String(port),
      HUB_AWS_ENDPOINT: awsEndpoint(),
      HUB_PREFIX: uniqueName('port'),
    });

    // Assess
    expect(code).not.toBe(0);
    expect(stderr).toContain(`port ${port} is in use; set HUB_PORT`);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stdout).not.toContain('Inventory hub running');
  });
});
