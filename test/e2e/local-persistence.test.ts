import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm start` twice over one data directory, as a person restarting the hub: what was written
 * through the real paths (the README's count and order, a CLI connection and key) is there after
 * the restart, the banner says it was restored and prints the same secrets, and fold counts each
 * order once.
 */

interface Started {
  child: ChildProcess;
  stdout: () => string;
  exited: Promise<number | null>;
}

/** The worker's environment without its HUB_* settings (they point at the suite's own moto). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HUB_')) env[k] = v;
  return { ...env, ...extra };
}

function startHub(env: Record<string, string>, args: string[] = []): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts', ...args], {
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => child.on('close', r));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ctrl-C to stop')) resolve({ child, stdout: () => out, exited });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    exited.then((code) => reject(new Error(`npm start exited (${code}) before it was ready: ${out}${err}`)));
  });
}

async function stop(hub: Started): Promise<number | null> {
  hub.child.kill('SIGINT');
  return hub.exited;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}${err}`))));
  });
}

const exportLine = (banner: string) =>
  banner
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith('export HUB='))!;

/** The banner's "Try it" commands (a signed Shopify order), as a reader pastes them. */
const tryItBlock = (banner: string) => {
  const lines = banner.split('\n');
  const from = lines.findIndex((l) => l.startsWith('Try it'));
  const to = lines.findIndex((l, i) => i > from && l.trim() === '');
  return lines.slice(from + 1, to).join('\n');
};

function readmeBlock(readme: string, heading: string): string {
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`))!;
  return /^```sh\n([\s\S]*?)^```/m.exec(section)![1]!;
}

async function kpiOrders(hubUrl: string, key: string): Promise<number> {
  const res = await fetch(`${hubUrl}/v1/kpis/channels/shopify-demo?from=2026-01-01&to=2026-01-31`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const body = (await res.json()) as { total?: { orders?: number } };
  return body.total?.orders ?? -1;
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('npm start keeps its state across a restart', () => {
  let dir: string;
  let env: Record<string, string>;
  let running: Started | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hub-persist-'));
    // no exported salt: the hub makes its own (infra/local/customer-salt.ts)
    env = { HUB_PORT: '0', HUB_STATE_DIR: dir, HUB_QUIET: '1', HUB_CUSTOMER_SALT: '' };
  });
  /** The customer-hash salt the saved state holds. */
  const savedCustomerSalt = async () => {
    const saved = JSON.parse(await readFile(join(dir, 'data', 'snapshot.json'), 'utf8')) as {
      secrets: { name: string; value: string }[];
    };
    return saved.secrets.find((s) => s.name.endsWith('/customer-salt'))?.value;
  };
  afterAll(async () => {
    if (running && running.child.exitCode === null) await stop(running);
    await rm(dir, { recursive: true, force: true });
  });

  it('restores connections, keys, counts, orders and KPIs, and counts each order once', async () => {
    // Prepare: a first start, the README's count and order, a connection and a key from the CLI
    running = await startHub(env);
    const first = running.stdout();
    const exports = exportLine(first);
    const hubUrl = /export HUB=(\S+)/.exec(exports)![1]!;
    const adminKey = /KEY='([^']+)'/.exec(exports)![1]!;
    expect(first).toContain(`state: kept in ${join(dir, 'data')}`);
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    await run('bash', ['-euc', `${exports}\nsleep() { :; }\n${readmeBlock(readme, 'A first webhook')}`], {});
    const cli = (...argv: string[]) => run('npx', ['tsx', 'infra/local/cli.ts', ...argv], { HUB_STATE_DIR: dir });
    await cli('connections', 'add', '--source', 'woocommerce', '--channel', 'woo-kept', '--id', 'woo-kept');
    const created = await cli('keys', 'create', '--name', 'kept across restarts', '--scopes', 'stock:read,kpi:read');
    const newKey = /hub_[A-Za-z0-9_-]+/.exec(created)![0];
    expect(
      await until(
        () => kpiOrders(hubUrl, adminKey),
        (n) => n === 1,
      ),
    ).toBe(1);
    const stockBefore = await until(
      async () => (await fetch(`${hubUrl}/v1/stock/SKU-1`, { headers: { authorization: `Bearer ${newKey}` } })).json(),
      (s: any) => s.locations?.[0]?.reserved === 2,
    );

    // Act: a clean stop (Ctrl-C), then a start over the same directory
    expect(await stop(running)).toBe(0);
    const saltBefore = await savedCustomerSalt();
    running = await startHub(env);
    const second = running.stdout();
    const hubUrl2 = /export HUB=(\S+)/.exec(exportLine(second))![1]!;

    // Assess: the same secrets and keys, said to be restored, not new
    expect(second).toContain(`state: restored from ${join(dir, 'data')}`);
    expect(exportLine(second).replace(hubUrl2, '')).toBe(exports.replace(hubUrl, ''));
    // the CLI's key still works, and the stock it reads is the stock before the stop
    const stockAfter = (await (
      await fetch(`${hubUrl2}/v1/stock/SKU-1`, { headers: { authorization: `Bearer ${newKey}` } })
    ).json()) as any;
    expect(stockAfter.locations).toEqual((stockBefore as any).locations);
    expect(stockAfter.locations).toEqual([expect.objectContaining({ location: 'WH-MAIN', onHand: 120, reserved: 2 })]);
    // the CLI connection's channel came back with it
    expect(stockAfter.channels.map((c: { channel: string }) => c.channel)).toContain('woo-kept');
    const listed = await cli('connections', 'list');
    expect(listed).toContain('woo-kept');
    const keys = await cli('keys', 'list');
    expect(keys).toContain('"kept across restarts"');
    // the restored order is not folded a second time; a new order is folded once
    expect(await kpiOrders(hubUrl2, adminKey)).toBe(1);
    await run('bash', ['-euc', tryItBlock(second)], {});
    expect(
      await until(
        () => kpiOrders(hubUrl2, adminKey),
        (n) => n === 2,
      ),
    ).toBe(2);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await kpiOrders(hubUrl2, adminKey)).toBe(2);

    // --fresh starts empty, with new secrets
    expect(await stop(running)).toBe(0);
    // the customer-hash salt the hub made at its first start is kept, so customers keep their hashes
    expect(saltBefore).toMatch(/^[A-Za-z0-9_-]{48}$/);
    expect(await savedCustomerSalt()).toBe(saltBefore);
    running = await startHub(env, ['--fresh']);
    const third = running.stdout();
    expect(third).toContain(`state: kept in ${join(dir, 'data')}`);
    const freshKey = /KEY='([^']+)'/.exec(exportLine(third))![1]!;
    expect(freshKey).not.toBe(adminKey);
    // stopped once it serves (a stop during start-up is a different path from the clean stop)
    const hubUrl3 = /export HUB=(\S+)/.exec(exportLine(third))![1]!;
    expect(await kpiOrders(hubUrl3, freshKey)).toBe(0);
    expect(await stop(running)).toBe(0);
    // and a fresh hub has a salt of its own
    expect(await savedCustomerSalt()).not.toBe(saltBefore);
  }, 420_000);

  it('says what npm start takes, without a stack trace', async () => {
    const help = await run(process.execPath, ['--import', 'tsx', 'infra/local/start.ts', '--help'], env);
    expect(help).toContain('--fresh');
    expect(help).toContain('HUB_PERSIST');
    const err = await run(process.execPath, ['--import', 'tsx', 'infra/local/start.ts', '--frsh'], env).catch(
      (e: Error) => e.message,
    );
    expect(err).toMatch(/^exit 1: .*takes only --fresh/s);
    expect(err).not.toMatch(/^\s+at /m);
  }, 60_000);
});
