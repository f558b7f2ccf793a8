import { ConfigError } from '#shared/domain/config-error.ts';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConnectionSchema, type Connection } from '#shared/domain/connection.ts';
import { ApiKeyNameSchema, ApiKeyScopeSchema, type ApiKeyScope } from '#shared/http/api-key.ts';
import { ChannelConfigSchema } from '#shared/inventory/channel-config.ts';
import { isTimeZone } from '#shared/kpi/periods.ts';

/**
 * The local hub's configuration: which senders may post (connections, with their secrets) and who
 * may read (API keys). Read from the JSON file `HUB_CONFIG` names; without it a demo config with
 * fresh random secrets is made so `npm start` works with no setup.
 */

/** A bad config must fail with a message a person can act on, not a stack trace. */
export { ConfigError };

// `$comment` lets the example file document itself (JSON has no comments); everything else unknown
// is rejected so a misspelt field ("scope", "partners") fails loudly instead of being ignored.
const comment = { $comment: z.string().optional() };

export const ApiKeyConfigSchema = z.strictObject({
  ...comment,
  // long enough that it cannot be guessed; the hub stores only its hash
  key: z.string().min(16, 'an API key must be at least 16 characters'),
  name: ApiKeyNameSchema.optional(),
  scopes: z.array(ApiKeyScopeSchema).min(1),
  // required (may be null) so granting access to every partner's data is always a written choice
  partner: z.string().min(1).nullable(),
  channels: z.array(z.string().min(1)).optional(),
  locations: z.array(z.string().min(1)).optional(),
});
export type ApiKeyConfig = z.output<typeof ApiKeyConfigSchema>;

export const HubConfigSchema = z
  .strictObject({
    ...comment,
    connections: z.array(ConnectionSchema),
    apiKeys: z.array(ApiKeyConfigSchema).default([]),
    /** per sales channel: its partner, allocation rules (stock API) and standards (KPI API) */
    channels: z.array(ChannelConfigSchema).default([]),
    merchant: z
      .strictObject({
        ...comment,
        timeZone: z.string().refine(isTimeZone, 'not an IANA time zone (e.g. "Europe/Berlin")').optional(),
      })
      .optional(),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.connections.forEach((c, i) => {
      if (seen.has(c.id)) {
        ctx.addIssue({ code: 'custom', path: ['connections', i, 'id'], message: `duplicate connection id "${c.id}"` });
      }
      seen.add(c.id);
    });
    const keys = new Set<string>();
    cfg.apiKeys.forEach((k, i) => {
      if (keys.has(k.key)) ctx.addIssue({ code: 'custom', path: ['apiKeys', i, 'key'], message: 'duplicate API key' });
      keys.add(k.key);
    });
  });
export type HubConfig = z.output<typeof HubConfigSchema>;
export type HubConfigInput = z.input<typeof HubConfigSchema>;

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `  - ${path.replace(/^\./, '') || '(top level)'}: ${issue.message}`;
    })
    .join('\n');
}

/** Validates a config object (from a file or a test). */
export function parseHubConfig(raw: unknown, origin = 'config'): HubConfig {
  const parsed = HubConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${origin} is not a valid hub config:\n${formatIssues(parsed.error)}`);
  return parsed.data;
}

export function readHubConfigFile(path: string): HubConfig {
  const full = resolve(path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`HUB_CONFIG=${path}: cannot read ${full} (${code ?? String(err)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`HUB_CONFIG=${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseHubConfig(raw, `HUB_CONFIG=${path}`);
}

export const ALL_SCOPES: ApiKeyScope[] = [...ApiKeyScopeSchema.options];

/** A config that exercises two signature schemes, with secrets fresh for every start. */
export function demoHubConfig(): HubConfig {
  return parseHubConfig(
    {
      connections: [
        // Shopify signs with the app's client secret: 32 hex characters
        { id: 'demo-shop', source: 'shopify', channel: 'shopify-demo', secret: randomBytes(16).toString('hex') },
        {
          id: 'demo-partner',
          source: 'standard-webhooks',
          channel: 'partner-demo',
          partner: 'acme-dealer',
          // Standard Webhooks: whsec_ + base64 of 24-64 random bytes
          secret: `whsec_${randomBytes(32).toString('base64')}`,
        },
      ],
      apiKeys: [
        {
          key: `hub_${randomBytes(24).toString('base64url')}`,
          name: 'npm start admin',
          scopes: ALL_SCOPES,
          partner: null,
        },
      ],
      channels: [
        { channel: 'shopify-demo', allocation: { share: 0.8, buffer: 2 } },
        { channel: 'partner-demo', partner: 'acme-dealer', allocation: { maxListed: 50 } },
      ],
    },
    'demo config',
  );
}

export interface LoadedHubConfig {
  config: HubConfig;
  /** the file it came from, or undefined for the generated demo config */
  path?: string;
}

export function loadHubConfig(env: NodeJS.ProcessEnv = process.env): LoadedHubConfig {
  const path = env.HUB_CONFIG;
  if (!path) return { config: demoHubConfig() };
  return { config: readHubConfigFile(path), path };
}

export type { Connection };
