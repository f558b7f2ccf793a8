import { z } from 'zod';
import { AwsError, liteAwsClient, type LiteAwsClient } from '#shared/aws/lite/client.ts';
import type { MsClock } from '#shared/domain/clock.ts';
import { MissingCredentialsError } from '#shared/hydrate/errors.ts';
import type { ApiCredentials } from '#shared/hydrate/types.ts';

/**
 * A connection's API credentials, beside its webhook secret: `hub/<stage>/connections/<id>/api`,
 * JSON `{accessToken?, baseUrl?, storeHash?, clientId?, clientSecret?, refreshToken?, scopes?}`
 * (set with `npm run hub -- connections credentials`).
 */
// spelled out rather than built from connections.ts's secretName: importing that module would put
// its admin calls (PutItem, CreateSecret) into the hydrate bundle
export const apiSecretName = (stage: string, id: string) => `hub/${stage}/connections/${id}/api`;

export const ApiCredentialsSchema = z
  .object({
    accessToken: z.string().min(1).optional(),
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    storeHash: z
      .string()
      .regex(/^[A-Za-z0-9]+$/)
      .optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    refreshToken: z.string().min(1).optional(),
    scopes: z.string().min(1).optional(),
  })
  .refine((c) => c.accessToken !== undefined || (c.clientId !== undefined && c.clientSecret !== undefined), {
    message: 'either an access token or an OAuth client id and secret',
    path: ['accessToken'],
  })
  .refine((c) => (c.clientId === undefined) === (c.clientSecret === undefined), {
    message: 'an OAuth client id and its secret go together',
    path: ['clientSecret'],
  });

export interface ApiCredentialsStore {
  get(connectionId: string): Promise<ApiCredentials>;
  /** drops a cached copy: called after the sender refused it, so a replaced token is read at once */
  forget(connectionId: string): void;
}

/** Read once per connection per `maxAgeSeconds` (default 300): a burst of fetches is one read. */
export function secretsManagerApiCredentials(opts: {
  stage: string;
  now: MsClock;
  maxAgeSeconds?: number;
  clients?: { aws?: LiteAwsClient };
}): ApiCredentialsStore {
  let client = opts.clients?.aws;
  const aws = () => (client ??= liteAwsClient());
  const maxAgeMs = (opts.maxAgeSeconds ?? 300) * 1000;
  const cache = new Map<string, { creds: ApiCredentials; at: number }>();
  return {
    async get(connectionId) {
      const hit = cache.get(connectionId);
      if (hit && opts.now() - hit.at < maxAgeMs) return hit.creds;
      let out: { SecretString?: string };
      try {
        out = await aws().json<{ SecretString?: string }>({
          service: 'secretsmanager',
          target: 'secretsmanager.GetSecretValue',
          input: { SecretId: apiSecretName(opts.stage, connectionId) },
        });
      } catch (err) {
        if (err instanceof AwsError && err.type === 'ResourceNotFoundException') {
          throw new MissingCredentialsError(
            `connection ${connectionId} has no API credentials: set them with ` +
              `\`npm run hub -- connections credentials ${connectionId} --token …\``,
          );
        }
        throw err;
      }
      const creds = ApiCredentialsSchema.parse(JSON.parse(out.SecretString ?? 'null'));
      cache.set(connectionId, { creds, at: opts.now() });
      return creds;
    },
    forget: (id) => void cache.delete(id),
  };
}
