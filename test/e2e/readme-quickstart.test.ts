import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubBanner, startLocalHub, type LocalHub } from '#infra/local/hub.ts';
import { awsEndpoint, uniqueName } from '#test/support/aws.ts';

/** The README's ```sh block under a heading, exactly as a reader copies it. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  if (!section) throw new Error(`README.md has no "## ${heading}" section`);
  const block = /^```sh\n([\s\S]*?)^```/m.exec(section);
  if (!block) throw new Error(`README.md's "${heading}" section has no sh block`);
  return block[1]!;
}

function bash(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euc', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}${err}`))));
  });
}

describe("the README's quick start, run as written against a local hub", () => {
  let hub: LocalHub;

  beforeAll(async () => {
    hub = await startLocalHub({ port: 0, awsEndpoint: awsEndpoint(), prefix: uniqueName('readme'), quiet: true });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('answers GET / with a landing page whose links all answer 200', async () => {
    // Act
    const res = await fetch(`${hub.url}/`);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const links = [...(await res.text()).matchAll(/href="([^"#]+)"/g)]
      .map((m) => new URL(m[1]!, `${hub.url}/`).href)
      .filter((u) => u.startsWith(hub.url));
    expect(links.map((u) => new URL(u).pathname).sort()).toEqual(['/api', '/dashboard', '/health', '/openapi.json']);
    for (const link of links) expect((await fetch(link)).status, link).toBe(200);
  });

  it('"A first webhook": the count is applied, the order is queued and the stock read shows 2 reserved at WH-MAIN', async () => {
    // Prepare: the banner's export line, then the README's block verbatim
    const exportLine = hubBanner(hub)
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('export HUB='));
    expect(exportLine).toBeDefined();
    const block = readmeBlock('A first webhook');
    // each curl's answer on a line of its own (the answers carry no newline), so the three can be told apart
    const script = `${exportLine}\ncurl() { command curl "$@"; echo; }\n${block}`;

    // Act
    const out = await bash(script);

    // Assess
    const [count, delivery, stock] = out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, any>);
    expect(count).toEqual({ applied: 1, unchanged: 0 });
    expect(delivery).toEqual({ deliveryId: expect.stringMatching(/^dlv_/) });
    expect(stock).toMatchObject({ sku: 'SKU-1' });
    const main = (stock!.locations as Array<Record<string, unknown>>).find((l) => l.location === 'WH-MAIN');
    expect(main).toMatchObject({ onHand: 120, reserved: 2 });
  }, 60_000);
});
