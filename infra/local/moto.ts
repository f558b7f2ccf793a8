import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { realClockEnv } from './real-clock.ts';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** A running moto_server on loopback. `stop()` ends it (and is safe to call twice). */
export interface MotoServer {
  endpoint: string;
  port: number;
  /** which launcher runs it (see motoCommand) */
  kind?: 'moto (DynamoDB serialized)' | 'moto_server';
  stop(): Promise<void>;
}

export class MotoMissingError extends Error {
  override name = 'MotoMissingError';
  constructor() {
    super(
      'moto_server was not found on PATH. The local hub stands in for AWS with moto 5:\n' +
        "  pip install 'moto[server]>=5'   (or: python3 -m pip install 'moto[server]>=5')\n" +
        'or point the hub at an AWS-compatible endpoint you run yourself: HUB_AWS_ENDPOINT=http://127.0.0.1:5000',
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const SAFE_LAUNCHER = fileURLToPath(new URL('./moto-server.py', import.meta.url));
const SAFE_LAUNCHER_NEEDS =
  'import moto.server, moto.dynamodb.models.table, moto.dynamodbstreams.models, moto.moto_server.werkzeug_app, werkzeug.serving';

/**
 * Which command runs moto. Preferably infra/local/moto-server.py: moto with DynamoDB requests
 * served one at a time and a cancelled transaction rolling back only its own items. Stock
 * moto_server (5.2) rolls a cancelled transaction back by restoring a copy of the whole table taken
 * when it began, which silently undoes writes other requests made meanwhile — and the hub cancels
 * transactions on purpose (conditions detect redeliveries and races), processing a batch's records
 * concurrently. Falls back to `moto_server`, then `python3 -m moto.server` (the same program).
 */
function motoCommand(opts: { stock?: boolean }): { cmd: string; args: string[]; kind: MotoServer['kind'] } | undefined {
  if (!opts.stock && spawnSync('python3', ['-c', SAFE_LAUNCHER_NEEDS], { stdio: 'ignore' }).status === 0) {
    return { cmd: 'python3', args: [SAFE_LAUNCHER], kind: 'moto (DynamoDB serialized)' };
  }
  if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0)
    return { cmd: 'moto_server', args: [], kind: 'moto_server' };
  if (spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0) {
    return { cmd: 'python3', args: ['-m', 'moto.server'], kind: 'moto_server' };
  }
  return undefined;
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited early with code ${child.exitCode}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

export async function startMoto(
  opts: {
    port?: number;
    quiet?: boolean /** stock moto_server even where the safe launcher works */;
    stock?: boolean;
  } = {},
): Promise<MotoServer> {
  const cmd = motoCommand(opts);
  if (!cmd) throw new MotoMissingError();
  return launchMoto(cmd.cmd, cmd.args, { ...opts, kind: cmd.kind });
}

/**
 * Runs a moto server command (`<cmd> <args> -H 127.0.0.1 -p <port>`) on loopback, waits until it
 * answers and hands back a stop that ends it (SIGTERM, then SIGKILL after 3 s).
 */
export async function launchMoto(
  cmd: string,
  args: string[],
  opts: { port?: number; quiet?: boolean; kind?: MotoServer['kind'] } = {},
): Promise<MotoServer> {
  const port = opts.port ?? (await freePort());
  const child = spawn(cmd, [...args, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: opts.quiet === false ? 'inherit' : 'ignore',
    env: { ...realClockEnv(process.env), MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilUp(endpoint, child, 20_000);
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    ...(opts.kind ? { kind: opts.kind } : {}),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
      return stopped;
    },
  };
}

/** Clears every resource moto holds (between tests). */
export async function resetMoto(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
}
