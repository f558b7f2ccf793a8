import { ConfigError } from '#shared/domain/config-error.ts';
import { MIN_CUSTOMER_SALT_LENGTH } from '#shared/domain/customer-hash.ts';
import { liteAwsClient, type LiteAwsClient } from '#shared/aws/lite/client.ts';

/**
 * The secret customer references are hashed with (shared/domain/customer-hash.ts), from the
 * environment of the functions that hash (normalize; hydrate once its fetched orders carry
 * customers):
 *  - `HUB_CUSTOMER_SALT`: the salt itself (local development, tests);
 *  - else `HUB_CUSTOMER_SALT_ID`: the Secrets Manager secret holding it — the ARN the stack passes
 *    (it creates the secret with a generated random value), or a name (the local hub's). Read on
 *    first use and kept for the container's life: one GetSecretValue per cold start. A failed
 *    read is not kept, so the next message tries again (the record is retried meanwhile, never
 *    stored without its customer).
 *  - neither: undefined, and orders are kept without a customer.
 *
 * Read with the lite client the connection secrets use (shared/aws/lite/client.ts says why not
 * the SDK): Powertools Parameters would bring the SDK's Secrets Manager client into the bundle
 * for a single read per container.
 */
/** The secret the stack (and the local hub, when no HUB_CUSTOMER_SALT is set) keeps the salt in. */
export const customerSaltSecretName = (stage: string) => `hub/${stage}/customer-salt`;

export type CustomerSaltSource = string | (() => Promise<string>);

function checked(salt: string, from: string): string {
  if (salt.length < MIN_CUSTOMER_SALT_LENGTH)
    throw new ConfigError(`${from} must be at least ${MIN_CUSTOMER_SALT_LENGTH} characters`);
  return salt;
}

export function customerSaltSource(
  env: NodeJS.ProcessEnv,
  clients: { aws?: LiteAwsClient } = {},
): CustomerSaltSource | undefined {
  if (env.HUB_CUSTOMER_SALT) return checked(env.HUB_CUSTOMER_SALT, 'HUB_CUSTOMER_SALT');
  const secretId = env.HUB_CUSTOMER_SALT_ID;
  if (!secretId) return undefined;
  let client = clients.aws;
  let pending: Promise<string> | undefined;
  const read = async () => {
    client ??= liteAwsClient({ env });
    const out = await client.json<{ SecretString?: string }>({
      service: 'secretsmanager',
      target: 'secretsmanager.GetSecretValue',
      input: { SecretId: secretId },
    });
    return checked(out.SecretString ?? '', `the secret ${secretId} (HUB_CUSTOMER_SALT_ID)`);
  };
  return () => {
    pending ??= read().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
