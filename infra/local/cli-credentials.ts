import { parseArgs } from 'node:util';
import { ApiCredentialsSchema, apiSecretName } from '#shared/aws/api-credentials.ts';
import { AwsError, type LiteAwsClient } from '#shared/aws/lite/client.ts';
import type { Connection } from '#shared/domain/connection.ts';
import { HYDRATED_SOURCES } from '#shared/hydrate/clients.ts';
import { PUSHED_SOURCES } from '#shared/outbound/connectors/push.ts';
import { keys } from '#shared/table/keys.ts';

/**
 * `connections credentials <id> --token <t> [--base-url <url>] [--store-hash <h>]` (eBay:
 * `--client-id <id> --client-secret <s> [--refresh-token <t>] [--scopes <s>]`; WooCommerce:
 * `--consumer-key ck_… --consumer-secret cs_… --base-url <store>`): the API
 * credentials the hub fetches thin orders with (docs/hydration.md) and pushes quantities with (docs/outbound.md), stored beside the connection's
 * webhook secret as `hub/<stage>/connections/<id>/api`. Kept out of shared/aws/api-credentials.ts
 * so the hydrate function's bundle holds no call that writes secrets.
 */
export async function setApiCredentials(
  conn: Connection,
  args: string[],
  opts: {
    aws: LiteAwsClient;
    stage: string;
    /** the hub's table: it records that the connection has credentials (no secret goes there) */
    tableName: string;
    print: (line: string) => void;
    fail: (message: string) => Error;
  },
): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      token: { type: 'string' },
      'base-url': { type: 'string' },
      'store-hash': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'refresh-token': { type: 'string' },
      scopes: { type: 'string' },
      'consumer-key': { type: 'string' },
      'consumer-secret': { type: 'string' },
    },
  });
  if (!HYDRATED_SOURCES.has(conn.source) && !PUSHED_SOURCES.has(conn.source))
    throw opts.fail(
      `${conn.id} is a ${conn.source} connection: the hub fetches orders from ${[...HYDRATED_SOURCES].join(' and ')} and pushes quantities to ${[...PUSHED_SOURCES].join(' and ')} only`,
    );
  if (conn.source === 'bigcommerce' && !values['store-hash'])
    throw opts.fail('--store-hash is required for BigCommerce (the store hash of its API path)');
  const oauth = values['client-id'] ?? values['client-secret'] ?? values['refresh-token'] ?? values.scopes;
  if (conn.source !== 'ebay' && oauth !== undefined)
    throw opts.fail('--client-id, --client-secret, --refresh-token and --scopes are for eBay connections');
  const consumer = values['consumer-key'] ?? values['consumer-secret'];
  if (conn.source !== 'woocommerce' && consumer !== undefined)
    throw opts.fail('--consumer-key and --consumer-secret are for WooCommerce connections');
  if (conn.source === 'woocommerce') {
    // the REST API key pair (WooCommerce → Settings → Advanced → REST API), kept as the client id and secret
    if (!values['consumer-key'] || !values['consumer-secret'] || !values['base-url'])
      throw opts.fail('WooCommerce needs --consumer-key ck_…, --consumer-secret cs_… and --base-url https://<store>');
    values['client-id'] = values['consumer-key'];
    values['client-secret'] = values['consumer-secret'];
  } else if (conn.source !== 'ebay' && values.token === undefined) throw opts.fail('--token is required');
  if (conn.source === 'ebay' && values.token === undefined && !(values['client-id'] && values['client-secret']))
    throw opts.fail(
      "eBay needs the application keyset's --client-id and --client-secret (and the seller's --refresh-token for getOrder), or a ready --token",
    );
  const parsed = ApiCredentialsSchema.safeParse({
    accessToken: values.token,
    ...(values['base-url'] ? { baseUrl: values['base-url'] } : {}),
    ...(values['store-hash'] ? { storeHash: values['store-hash'] } : {}),
    ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
    ...(values['client-secret'] ? { clientSecret: values['client-secret'] } : {}),
    ...(values['refresh-token'] ? { refreshToken: values['refresh-token'] } : {}),
    ...(values.scopes ? { scopes: values.scopes } : {}),
  });
  if (!parsed.success)
    throw opts.fail(
      parsed.error.issues
        .map((i) => `--${i.path.join('.') === 'accessToken' ? 'token' : i.path.join('.')}: ${i.message}`)
        .join('\n'),
    );
  const name = apiSecretName(opts.stage, conn.id);
  const secretString = JSON.stringify(parsed.data);
  try {
    await opts.aws.json({
      service: 'secretsmanager',
      target: 'secretsmanager.PutSecretValue',
      input: { SecretId: name, SecretString: secretString },
    });
  } catch (err) {
    if (!(err instanceof AwsError && err.type === 'ResourceNotFoundException')) throw err;
    await opts.aws.json({
      service: 'secretsmanager',
      target: 'secretsmanager.CreateSecret',
      input: {
        Name: name,
        SecretString: secretString,
        Description: `API credentials of hub connection ${conn.id} (${conn.source})`,
      },
    });
  }
  // normalize queues catalog lookups only for connections with credentials (docs/hydration.md);
  // it cannot read the secret itself, so the table says they exist
  const marker = keys.connectionApi(conn.id);
  await opts.aws.json({
    service: 'dynamodb',
    target: 'DynamoDB_20120810.PutItem',
    input: {
      TableName: opts.tableName,
      Item: {
        pk: { S: marker.pk },
        sk: { S: marker.sk },
        type: { S: 'api-credentials' },
        source: { S: conn.source },
        secretName: { S: name },
      },
    },
  });
  opts.print(
    `stored API credentials of ${conn.id} in ${name}${parsed.data.baseUrl ? ` (API at ${parsed.data.baseUrl})` : ''}`,
  );
  opts.print('the hydrate function reads them within 5 minutes (at once after a refused token)');
}
