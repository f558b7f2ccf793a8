import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * `npm start` leaves `hub.json` in its state directory (`.hub-local/` beside the project, or
 * `HUB_STATE_DIR`) while it runs, so `npm run hub -- ...` in another terminal finds the running
 * hub's AWS endpoint, table and queues without copying them by hand. Removed on a clean stop. The
 * test suite sets HUB_STATE_DIR to a directory of its own, so the hubs it starts and stops never
 * touch the file of an `npm start` running beside it.
 */
export const HubFileSchema = z.object({
  awsEndpoint: z.string(),
  url: z.string(),
  stage: z.string(),
  tableName: z.string(),
  ingestQueueUrl: z.string(),
  ingestDlqUrl: z.string(),
  hydrateQueueUrl: z.string().optional(),
  hydrateDlqUrl: z.string().optional(),
  spapiQueueUrl: z.string().optional(),
  spapiDlqUrl: z.string().optional(),
  outboundQueueUrl: z.string().optional(),
});
export type HubFile = z.infer<typeof HubFileSchema>;

/** Where hub.json lives: `HUB_STATE_DIR` when set, else `.hub-local` under `cwd`. */
export function hubStateDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.HUB_STATE_DIR ? resolve(cwd, env.HUB_STATE_DIR) : resolve(cwd, '.hub-local');
}

export function writeHubFile(info: HubFile, dir = hubStateDir()): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, 'hub.json'), JSON.stringify(info, null, 2));
}

export function readHubFile(dir = hubStateDir()): HubFile | undefined {
  const file = resolve(dir, 'hub.json');
  if (!existsSync(file)) return undefined;
  const parsed = HubFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}

/**
 * Removes hub.json, and its directory only when nothing else is left in it: HUB_STATE_DIR may
 * name a directory that holds other files.
 */
export function removeHubFile(dir = hubStateDir()): void {
  rmSync(resolve(dir, 'hub.json'), { force: true });
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}

/**
 * What a CLI command talks to: the running local hub's `hub.json` (if any) and the environment,
 * with HUB_AWS_ENDPOINT taken from the hub file when unset (an explicit variable wins).
 */
export function cliHubEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; file: HubFile | undefined } {
  const file = readHubFile(hubStateDir(env));
  const e: NodeJS.ProcessEnv = { ...env };
  if (!e.HUB_AWS_ENDPOINT && file) e.HUB_AWS_ENDPOINT = file.awsEndpoint;
  return { env: e, file };
}

/** The refusal when neither a running hub nor the variables name what a command needs. */
export function noHubMessage(env: NodeJS.ProcessEnv, variables: string): string {
  return `no running local hub found (${hubStateDir(env)}/hub.json): start one with \`npm start\`, or set ${variables}`;
}
