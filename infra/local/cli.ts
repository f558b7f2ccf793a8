import './sdk-warnings.ts';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoConnectionStore } from '#shared/aws/connections.ts';
import { AwsError, liteAwsClient } from '#shared/aws/lite/client.ts';
import { ConnectionSchema, SourceSchema, type Connection } from '#shared/domain/connection.ts';
import { newSecret } from '#shared/ingest/secrets.ts';
import { AdminCliError, runAdminCli } from './cli-admin.ts';
import { runListingsCli } from './cli-listings.ts';
import { HYDRATION_HELP, runHydrationCli } from './cli-hydration.ts';
import { runSubscriptionsCli, SUBSCRIPTIONS_HELP, SubscriptionsCliError } from './cli-subscriptions.ts';
import { setApiCredentials } from './cli-credentials.ts';
import { cliHubEnv, hubStateDir, noHubMessage, readHubFile } from './hub-file.ts';
import { reindexBalances } from '#shared/aws/balance-reindex.ts';
import { documentClient } from '#shared/aws/table.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { systemMsClock } from '#shared/domain/clock.ts';

/**
 * `npm run hub -- <command>`: manage the hub's connections (the senders allowed to post webhooks).
 *
 *   connections add --source <source> --channel <channel> [--id <id>] [--partner <p>]
 *                   [--notification-url <url>]   (square: the subscribed URL, signed with the body)
 *                   [--auth-header-name <name>]  (walmart, bigcommerce: the header carrying the credential)
 *                   [--walmart-auth basic|hmac]  [--endpoint-url <url>] (ebay: the URL registered for the challenge)
 *   connections list
 *   connections rotate <id>                      adds a second secret; the old one stays active
 *   connections remove-secret <id> <index>       ends a rotation (index 0 = the older secret)
 *   connections credentials <id> --token <t> [--base-url <url>] [--store-hash <h>]
 *                                                API credentials for fetching thin orders (Square, BigCommerce, eBay)
 *                                                and pushing quantities (Shopify, WooCommerce: --consumer-key/--consumer-secret, Square, BigCommerce)
 *   hydration list [--all] | retry <channel> <orderId> | retry --failed | retry --dlq
 *                                                thin orders waiting for a fetch (cli-hydration.ts)
 *   listings map|import|list|waiting ...         listing ids to SKUs (cli-listings.ts; --help on each)
 *   subscriptions add|list|remove|rotate-secret|end-rotation|enable|deliveries|replay
 *                                                outbound webhooks (cli-subscriptions.ts)
 *   stock reindex                                balances created before the balance directory: enter them
 *
 * Environment (defaults match `npm start`):
 *   HUB_AWS_ENDPOINT  the local hub's AWS endpoint; else the running `npm start`'s (.hub-local/hub.json, or HUB_STATE_DIR)
 *   HUB_TABLE_NAME    default hub-local-table
 *   HUB_STAGE         default local (secrets are hub/<stage>/connections/<id>)
 *   HUB_PUBLIC_URL    base of printed webhook URLs, default http://127.0.0.1:3000
 */
export class CliError extends Error {
  override name = 'CliError';
}

/**
 * The CLI's environment: the running `npm start`'s endpoint, table and stage, or, for a deployed
 * stage, AWS credentials from the SDK's default chain (environment, shared config and credentials
 * files with `AWS_PROFILE`, SSO, process credentials, instance roles). The connection commands sign
 * their requests with the hub's small SigV4 client, which reads keys from the environment only; the
 * SDK's own provider chain resolves them rather than a hand-written profile parser.
 */
export async function cliEnvironment(env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const out = { ...env };
  const running = readHubFile(hubStateDir(env));
  out.HUB_AWS_ENDPOINT ||= running?.awsEndpoint;
  // a running `npm start` names its table and stage (a HUB_PREFIX run changes both)
  if (running && out.HUB_AWS_ENDPOINT === running.awsEndpoint) {
    out.HUB_TABLE_NAME ??= running.tableName;
    out.HUB_STAGE ??= running.stage;
    out.HUB_PUBLIC_URL ??= running.url;
  }
  if (out.HUB_AWS_ENDPOINT || (out.AWS_ACCESS_KEY_ID && out.AWS_SECRET_ACCESS_KEY)) return out;
  const client = new DynamoDBClient({});
  try {
    // the SDK reads AWS_PROFILE, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE from process.env
    const saved = swapEnv(env);
    try {
      const creds = await client.config.credentials();
      out.AWS_ACCESS_KEY_ID = creds.accessKeyId;
      out.AWS_SECRET_ACCESS_KEY = creds.secretAccessKey;
      if (creds.sessionToken) out.AWS_SESSION_TOKEN = creds.sessionToken;
      else delete out.AWS_SESSION_TOKEN;
      out.AWS_REGION ||= await client.config.region().catch(() => undefined);
    } finally {
      swapEnv(saved);
    }
  } catch (err) {
    throw new CliError(
      `no AWS credentials: ${err instanceof Error ? err.message : String(err)}\n` +
        'start the local hub (npm start) or, for a deployed stage, sign in the way the AWS CLI does (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)',
    );
  } finally {
    client.destroy();
  }
  return out;
}

/** Makes process.env hold exactly `env` and returns what it held before. */
function swapEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const before = { ...process.env };
  if (env === process.env) return before;
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
  return before;
}

const mask = (s: string) => (s.length <= 10 ? '…' : `${s.slice(0, 8)}…`);

/** `--help` of every command outside `listings` (which has its own, longer texts). */
export const HELP: Record<string, string> = {
  'connections add':
    'connections add --source <source> --channel <channel> [--id <id>] [--secret <secret>] [--partner <p>] [--locations A,B]\n' +
    '                [--notification-url <url>] (square) [--auth-header-name <name>] (walmart, bigcommerce)\n' +
    '                [--walmart-auth basic|hmac] [--endpoint-url <url>] (ebay)\n' +
    `  sources: ${SourceSchema.options.join(', ')}\n` +
    '  --id      the connection id, the last part of the webhook URL (1-64 of A-Z a-z 0-9 _ -);\n' +
    '            default: the channel and a random suffix\n' +
    "  --secret  the secret the platform issued (Shopify's app client secret, Square's signature key,\n" +
    "            Walmart's client secret); default: a fresh one the hub makes, for platforms that take\n" +
    '            the secret you give them (WooCommerce, BigCommerce, eBay, Standard Webhooks partners)\n' +
    "  --locations A,B  the only locations this connection may count, adjust or reserve at (a partner's);\n" +
    '            anything else it sends is quarantined as forbidden-location\n' +
    '  prints the webhook URL, and the secret once when the hub made it (docs/connecting-a-store.md)',
  'connections list': 'connections list\n  every connection with its channel, partner and masked secrets',
  'connections rotate':
    'connections rotate <id> [--secret <secret>]\n  adds a second secret (the one given, else a fresh one); the old one stays active until removed',
  'connections remove-secret': 'connections remove-secret <id> <index>\n  ends a rotation (index 0 = the older secret)',
  'connections credentials':
    'connections credentials <id> --token <token> [--base-url <url>] [--store-hash <hash>]\n' +
    'connections credentials <id> --client-id <id> --client-secret <secret> [--refresh-token <token>] [--scopes <s>] [--base-url <url>]\n' +
    'connections credentials <id> --consumer-key <ck_…> --consumer-secret <cs_…> --base-url <store>   (WooCommerce)\n' +
    '  the API credentials thin Square, BigCommerce and eBay orders are fetched with (docs/hydration.md);\n' +
    "  eBay: the keyset's client id and secret mint OAuth tokens (the seller's refresh token for getOrder);\n" +
    '  --base-url points the hub at another API (a sandbox, or a fake one locally); --store-hash is required for BigCommerce',
  'quarantine list':
    'quarantine list [--days 14] [--all]\n  quarantined deliveries with their reasons (--all: replayed ones too)',
  'quarantine replay':
    'quarantine replay [--id <deliveryId>]... [--reason <reason>] [--days 14]\n  sends them back through the ingest queue (quarantined fetches: the hydrate queue); safe to repeat',
  'dlq redrive': 'dlq redrive [--max N]\n  moves DLQ messages back to the ingest queue',
  'keys create':
    'keys create --name <who holds it> --scopes stock:read,kpi:read [--partner P] [--channels a,b] [--locations X,Y]\n  prints the key once; only its hash is stored. --name is required (shown by keys list)',
  'keys list': 'keys list\n  every key: name, creation date, hash, scopes, partner, active or revoked',
  'keys revoke': 'keys revoke <hash>\n  refused everywhere within a minute',
  'channels set':
    'channels set <channel> [--partner P] [--share 0.5] [--buffer 5] [--max-listed 100] [--locations A,B]\n' +
    '             [--fulfilment-location WH-MAIN] [--location-map theirs=ours,...]\n' +
    '  --fulfilment-location  where order lines that name no location are reserved and shipped from\n' +
    "  --location-map         the channel's own location ids (e.g. Shopify's numeric location_id) → the hub's",
  'channels list': 'channels list\n  configured and connected channels',
  'channels sync':
    'channels sync\n  lists the channel of every stored connection (for connections made before channels were listed from them); safe to repeat',
  ...HYDRATION_HELP,
  'stock reindex':
    'stock reindex\n' +
    '  enters every stock balance in the balance directory (the delta feed snapshot and the stock alerts list\n' +
    '  balances through it): run once after upgrading a hub whose balances predate it (docs/deploying.md);\n' +
    '  reads the whole table (a Scan); safe to repeat and to run while the hub works',
};

const GROUPS = [
  'connections',
  'hydration',
  'quarantine',
  'dlq',
  'keys',
  'channels',
  'listings',
  'subscriptions',
  'stock',
];

function usage(): string {
  return [
    'usage: npm run hub -- <command> (add --help to a command for its help)',
    ...Object.keys(HELP).map((c) => `  ${c}`),
    '  listings map|import|list|waiting',
    '  subscriptions add|list|remove|rotate-secret|end-rotation|enable|deliveries|replay',
  ].join('\n');
}

export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  print: (line: string) => void = console.log,
): Promise<void> {
  const [group, command, ...rest] = argv;
  if (group === 'subscriptions' && (argv.includes('--help') || !command)) {
    print(SUBSCRIPTIONS_HELP);
    return;
  }
  if (group !== 'listings' && (argv.includes('--help') || argv.includes('-h') || group === 'help' || !group)) {
    const text = HELP[`${group} ${command}`];
    print(text ?? usage());
    return;
  }
  if (!group || !GROUPS.includes(group)) throw new CliError(`unknown command: ${group}\n\n${usage()}`);
  if (group === 'channels' && command === 'sync') return syncChannels(env, print);
  if (group === 'stock' && command === 'reindex') return stockReindex(env, print);
  if (group === 'quarantine' || group === 'dlq' || group === 'keys' || group === 'channels')
    return runAdminCli(argv, env, print);
  if (group === 'listings') return runListingsCli(argv, env, print);
  if (group === 'hydration') return runHydrationCli(argv, env, print);
  if (group === 'subscriptions') return runSubscriptionsCli(argv, env, print);
  if (group !== 'connections' || !command) {
    throw new CliError(
      `${command ? `unknown command: ${group} ${command}` : `${group} needs a command`}\n\n${usage()}`,
    );
  }
  const e = await cliEnvironment(env);
  const publicUrl = (e.HUB_PUBLIC_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  const store = cliConnectionStore(e);
  const url = (id: string) => `${publicUrl}/webhooks/${id}`;
  const load = async (id: string | undefined): Promise<Connection> => {
    if (!id) throw new CliError('a connection id is required');
    const conn = await store.get(id, { fresh: true });
    if (!conn) throw new CliError(`no connection ${id}`);
    return conn;
  };

  switch (command) {
    case 'add': {
      const { values } = parseArgs({
        args: rest,
        options: {
          source: { type: 'string' },
          channel: { type: 'string' },
          id: { type: 'string' },
          secret: { type: 'string' },
          partner: { type: 'string' },
          locations: { type: 'string' },
          'notification-url': { type: 'string' },
          'auth-header-name': { type: 'string' },
          'walmart-auth': { type: 'string' },
          'endpoint-url': { type: 'string' },
        },
      });
      const source = SourceSchema.safeParse(values.source);
      if (!source.success) throw new CliError(`--source must be one of ${SourceSchema.options.join(', ')}`);
      if (!values.channel) throw new CliError('--channel is required');
      const id =
        values.id ??
        `${values.channel.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 48)}-${Math.random().toString(36).slice(2, 8)}`;
      if (await store.get(id, { fresh: true })) throw new CliError(`connection ${id} exists already`);
      const walmartAuth =
        values['walmart-auth'] === 'basic' ? 'basic' : values['walmart-auth'] === 'hmac' ? 'hmac' : undefined;
      if (values['walmart-auth'] && !walmartAuth) throw new CliError('--walmart-auth must be basic or hmac');
      if (values.secret !== undefined && source.data === 'amazon') {
        throw new CliError(
          '--secret: Amazon SP-API notifications arrive through the SQS queue, with no secret to check',
        );
      }
      if (values.secret !== undefined && values.secret.trim() !== values.secret) {
        // a pasted secret with a stray space or newline would never verify a signature
        throw new CliError('--secret has leading or trailing whitespace: paste the secret alone');
      }
      const parsed = ConnectionSchema.safeParse({
        id,
        source: source.data,
        channel: values.channel,
        partner: values.partner ?? null,
        ...(values.locations
          ? {
              locations: values.locations
                .split(',')
                .map((l) => l.trim())
                .filter(Boolean),
            }
          : {}),
        secrets: source.data === 'amazon' ? undefined : [values.secret ?? newSecret(source.data, { walmartAuth })],
        notificationUrl: values['notification-url'] ?? (source.data === 'square' ? url(id) : undefined),
        authHeaderName: values['auth-header-name'] ?? (source.data === 'bigcommerce' ? 'X-Hub-Secret' : undefined),
        walmartAuth: walmartAuth ?? (source.data === 'walmart' ? 'hmac' : undefined),
        endpointUrl: values['endpoint-url'] ?? (source.data === 'ebay' ? url(id) : undefined),
      });
      if (!parsed.success)
        throw new CliError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
      await store.put(parsed.data);
      // a secret the platform issued is already on the user's screen: not printed again
      describe(parsed.data, print, url(id), values.secret === undefined);
      if (values.secret !== undefined) print('  secret:      the one given with --secret');
      return;
    }
    case 'list': {
      const all = await store.list();
      if (all.length === 0) print('no connections');
      for (const c of all) {
        print(
          `${c.id}\t${c.source}\t${c.channel}\t${c.partner ?? '-'}\t${c.secrets.length} secret(s): ${c.secrets.map(mask).join(', ')}\t${url(c.id)}`,
        );
      }
      return;
    }
    case 'rotate': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { secret: { type: 'string' } },
        allowPositionals: true,
      });
      const conn = await load(positionals[0]);
      if (conn.secrets.length >= 2) {
        throw new CliError(
          `${conn.id} already has two active secrets: remove one first (connections remove-secret ${conn.id} 0)`,
        );
      }
      const secret = values.secret ?? newSecret(conn.source, { walmartAuth: conn.walmartAuth });
      const next = ConnectionSchema.safeParse({ ...conn, secrets: [...conn.secrets, secret] });
      if (!next.success)
        throw new CliError(next.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
      await store.put(next.data);
      print(`added secret 1 to ${conn.id}; both are accepted until you remove the old one:`);
      print(`  new secret: ${values.secret === undefined ? secret : 'the one given with --secret'}`);
      print(`  then: npm run hub -- connections remove-secret ${conn.id} 0`);
      return;
    }
    case 'credentials': {
      const conn = await load(rest[0]);
      await setApiCredentials(conn, rest.slice(1), {
        aws: liteAwsClient({ env: e }),
        stage: e.HUB_STAGE ?? 'local',
        tableName: e.HUB_TABLE_NAME ?? 'hub-local-table',
        print,
        fail: (m) => new CliError(m),
      });
      return;
    }
    case 'remove-secret': {
      const conn = await load(rest[0]);
      const index = Number(rest[1]);
      if (!Number.isInteger(index) || index < 0 || index >= conn.secrets.length) {
        throw new CliError(`index must be 0..${conn.secrets.length - 1}`);
      }
      if (conn.secrets.length === 1) throw new CliError(`${conn.id} has one secret only: a connection must keep one`);
      await store.put({ ...conn, secrets: conn.secrets.filter((_, i) => i !== index) });
      print(`removed secret ${index} from ${conn.id}`);
      return;
    }
    default:
      throw new CliError(`unknown command: connections ${command}`);
  }
}

/** Writes each stored connection's channel entry again: put() writes it for new and changed connections. */
async function syncChannels(env: NodeJS.ProcessEnv, print: (line: string) => void): Promise<void> {
  const e = await cliEnvironment(env);
  const store = cliConnectionStore(e);
  const all = await store.list();
  for (const c of all) await store.put(c);
  const channels = [...new Set(all.map((c) => c.channel))].sort();
  print(
    `listed ${channels.length} channel${channels.length === 1 ? '' : 's'} of ${all.length} connection${all.length === 1 ? '' : 's'}${channels.length ? `: ${channels.join(', ')}` : ''}`,
  );
}

function describe(c: Connection, print: (line: string) => void, webhookUrl: string, showSecret: boolean): void {
  print(`connection ${c.id} (${c.source}, channel ${c.channel}${c.partner ? `, partner ${c.partner}` : ''})`);
  print(`  webhook URL: ${webhookUrl}`);
  if (showSecret) for (const s of c.secrets) print(`  secret:      ${s}`);
  if (c.source === 'square') print(`  notification URL signed by Square: ${c.notificationUrl}`);
  if (c.source === 'bigcommerce') print(`  BigCommerce hook header: ${c.authHeaderName}: <secret>`);
  if (c.source === 'walmart')
    print(
      `  Walmart authMethod ${c.walmartAuth === 'basic' ? 'BASIC_AUTH (secret = user:pass)' : 'HMAC (secret = clientSecret)'}, header ${c.authHeaderName ?? 'Authorization'}`,
    );
  if (c.source === 'ebay') print(`  eBay verification token = the secret; endpoint registered: ${c.endpointUrl}`);
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  runCli(process.argv.slice(2)).catch((err: unknown) => {
    // a person fixes these by changing a flag or starting the hub: the message, not a stack
    if (err instanceof AwsError)
      console.error(
        `${err.message}\n(is the local hub running? HUB_AWS_ENDPOINT=${process.env.HUB_AWS_ENDPOINT ?? '(unset)'})`,
      );
    else if (err instanceof CliError || err instanceof AdminCliError || err instanceof SubscriptionsCliError)
      console.error(err.message);
    // anything else (an SDK error, a bad flag parseArgs refused) is still told as one line; the
    // stack only on request
    else console.error(process.env.HUB_DEBUG ? err : `error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

/** The connection store as the CLI uses it: the table and stage its environment names, no cache. */
function cliConnectionStore(e: NodeJS.ProcessEnv) {
  return dynamoConnectionStore({
    tableName: e.HUB_TABLE_NAME ?? 'hub-local-table',
    stage: e.HUB_STAGE ?? 'local',
    clients: { aws: liteAwsClient({ env: e }) },
    now: systemMsClock,
    // a one-shot tool reads what is stored now
    maxAgeSeconds: 0,
  });
}

/** `stock reindex`: every balance entered in the balance directory (shared/aws/balance-reindex.ts). */
async function stockReindex(env: NodeJS.ProcessEnv, print: (line: string) => void): Promise<void> {
  const { env: e, file } = cliHubEnv(env);
  const tableName = e.HUB_TABLE_NAME ?? file?.tableName;
  if (!tableName) throw new CliError(noHubMessage(env, 'HUB_TABLE_NAME'));
  const doc = documentClient(awsClientConfig(await cliEnvironment(e)));
  try {
    const r = await reindexBalances(doc, tableName);
    print(`${r.balances} balances; ${r.written} directory entries written (the others had theirs)`);
  } finally {
    doc.destroy();
  }
}
