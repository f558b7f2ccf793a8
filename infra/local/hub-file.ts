import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * `npm start` leaves `.hub-local/hub.json` beside the
 * project while it runs, so `npm run hub -- ...` in another terminal finds the running hub's AWS
 * endpoint, table and queues without copying them by hand. Removed on a clean stop.
 */
export const HubFileSchema = z.object({
  awsEndpoint: z.string(),
  url: z.string(),
  stage: z.string(),
  tableName: z.string(),
  ingestQueueUrl: z.string(),
  ingestDlqUrl: z.string(),
  spapiQueueUrl: z.string().optional(),
  spapiDlqUrl: z.string().optional(),
});
export type HubFile = z.infer<typeof HubFileSchema>;

const dir = (cwd: string) => resolve(cwd, '.hub-local');

export function writeHubFile(info: HubFile, cwd = process.cwd()): void {
  mkdirSync(dir(cwd), { recursive: true });
  writeFileSync(resolve(dir(cwd), 'hub.json'), JSON.stringify(info, null, 2));
}

export function readHubFile(cwd = process.cwd()): HubFile | undefined {
  const file = resolve(dir(cwd), 'hub.json');
  if (!existsSync(file)) return undefined;
  const parsed = HubFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}

export function removeHubFile(cwd = process.cwd()): void {
  rmSync(dir(cwd), { recursive: true, force: true });
}
