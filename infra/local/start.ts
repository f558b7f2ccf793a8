import './sdk-warnings.ts';
import { z } from 'zod';
import { MotoMissingError } from './moto.ts';
import { ConfigError, loadHubConfig } from './config.ts';
import { hubBanner, startLocalHub, type LocalHub } from './hub.ts';
import { PortInUseError } from './http.ts';
import { hubStateDir, removeHubFile, writeHubFile } from './hub-file.ts';
import { LocalPersistence } from './persist.ts';
import { resolve } from 'node:path';

/**
 * `npm start`: the whole hub on this machine. Environment:
 *   HUB_CONFIG        JSON file with connections and API keys (see hub.config.example.json); default: a demo config
 *   HUB_PORT          HTTP port (default 3000; 0 = any free port)
 *   HUB_AWS_ENDPOINT  an AWS-compatible endpoint to use instead of starting moto_server
 *   HUB_PREFIX        resource name prefix
 *   HUB_QUIET         1 = no per-request log lines
 *   HUB_STATE_DIR     where hub.json (the running hub, for the CLI) is kept; default .hub-local
 *   HUB_PERSIST       0 = keep nothing across restarts; default 1: the state is kept in HUB_DATA_DIR
 *   HUB_DATA_DIR      where the state is kept; default <HUB_STATE_DIR>/data
 * Flags: --fresh      start empty, discarding the kept state (it is kept again from then on)
 */
const EnvSchema = z.object({
  HUB_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HUB_AWS_ENDPOINT: z.string().url().optional(),
  HUB_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'lower-case letters, digits and dashes')
    .optional(),
  HUB_QUIET: z.enum(['0', '1', 'true', 'false']).optional(),
  HUB_PERSIST: z.enum(['0', '1', 'true', 'false']).optional(),
  HUB_DATA_DIR: z.string().optional(),
});

const START_HELP = `npm start [-- --fresh]: the whole hub on this machine (moto, the functions, HTTP on 127.0.0.1)

  --fresh          start empty: discard the state kept from earlier runs (it is kept again from then on)

Environment:
  HUB_PORT         HTTP port (default 3000; 0 = any free port)
  HUB_CONFIG       connections, API keys and channels to seed (see hub.config.example.json); default: a demo config
  HUB_STATE_DIR    where hub.json (for npm run hub) is kept; default .hub-local
  HUB_DATA_DIR     where the state is kept across restarts; default <HUB_STATE_DIR>/data
  HUB_PERSIST      0 = keep nothing across restarts
  HUB_AWS_ENDPOINT an AWS-compatible endpoint to use instead of starting moto (it keeps the state)
  HUB_QUIET        1 = no per-request log lines

Docs: docs/development.md (local persistence), docs/configuration.md`;

/** Problems a person fixes by changing their setup: a message, not a stack trace. */
function isSetupError(err: unknown): err is Error {
  return err instanceof MotoMissingError || err instanceof ConfigError || err instanceof PortInUseError;
}

async function main(): Promise<void> {
  const envParsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== '')));
  if (!envParsed.success) {
    throw new ConfigError(
      `invalid environment:\n${envParsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  const env = envParsed.data;
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(START_HELP);
    return;
  }
  const unknown = args.filter((a) => a !== '--fresh');
  if (unknown.length)
    throw new ConfigError(`npm start takes only --fresh (start empty) and --help, not ${unknown.join(' ')}`);
  // kept only in the moto the hub starts itself: an endpoint of one's own keeps its own state
  const persist = env.HUB_PERSIST !== '0' && env.HUB_PERSIST !== 'false' && !env.HUB_AWS_ENDPOINT;
  const dataDir = env.HUB_DATA_DIR ? resolve(env.HUB_DATA_DIR) : resolve(hubStateDir(), 'data');
  if (persist && args.includes('--fresh')) LocalPersistence.clear(dataDir);
  const loaded = loadHubConfig(process.env);
  if (persist && !loaded.path) {
    // the demo config's secrets and keys are random: the first start's are kept, so a restart
    // prints (and accepts) the same ones
    const kept = LocalPersistence.read(dataDir) ? LocalPersistence.readConfig(dataDir) : undefined;
    if (kept) loaded.config = kept;
    else LocalPersistence.writeConfig(dataDir, loaded.config);
  }
  const started = performance.now();
  const hub: LocalHub = await startLocalHub({
    ...(persist ? { persist: { dir: dataDir } } : {}),
    config: loaded.config,
    ...(env.HUB_PORT !== undefined ? { port: env.HUB_PORT } : {}),
    ...(env.HUB_AWS_ENDPOINT ? { awsEndpoint: env.HUB_AWS_ENDPOINT } : {}),
    ...(env.HUB_PREFIX ? { prefix: env.HUB_PREFIX } : {}),
    quiet: env.HUB_QUIET === '1' || env.HUB_QUIET === 'true',
  });
  writeHubFile({
    awsEndpoint: hub.awsEndpoint,
    url: hub.url,
    stage: process.env.HUB_STAGE ?? 'local',
    tableName: hub.resources.tableName,
    ingestQueueUrl: hub.resources.ingestQueueUrl,
    ingestDlqUrl: hub.resources.ingestDlqUrl,
    hydrateQueueUrl: hub.resources.hydrateQueueUrl,
    hydrateDlqUrl: hub.resources.hydrateDlqUrl,
    ...(hub.resources.spapiQueueUrl ? { spapiQueueUrl: hub.resources.spapiQueueUrl } : {}),
    ...(hub.resources.spapiDlqUrl ? { spapiDlqUrl: hub.resources.spapiDlqUrl } : {}),
    outboundQueueUrl: hub.resources.outboundQueueUrl,
  });
  console.log(hubBanner(hub, loaded.path));
  console.log(`\nready in ${Math.round(performance.now() - started)} ms — Ctrl-C to stop\n`);

  let firstSignalAt: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      // Ctrl-C reaches every process of the group and npm and tsx relay it too, so one keypress
      // can arrive more than once: only a signal a moment later is a person asking for "now"
      if (Date.now() - firstSignalAt < 1000) return;
      console.error(`${signal} again: exiting without waiting for in-flight work`);
      process.exit(1);
    }
    firstSignalAt = Date.now();
    console.log(`${signal}: stopping (finishing in-flight requests and batches)...`);
    hub.stop().then(
      () => {
        removeHubFile();
        console.log('stopped');
        process.exit(0);
      },
      (err) => {
        console.error('shutdown failed:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  if (isSetupError(err)) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
