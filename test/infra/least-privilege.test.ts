import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { connectionKey, secretName } from '#shared/aws/connections.ts';
import { ebayAppSecretName } from '#shared/ingest/deps.ts';
import {
  HYDRATE_TABLE_PARTITIONS,
  KPI_TABLE_PARTITIONS,
  OUTBOUND_TABLE_PARTITIONS,
  STOCK_TABLE_PARTITIONS,
} from '#infra/hub-stack.ts';
import { apiSecretName } from '#shared/aws/api-credentials.ts';
import { synthHubTemplate } from '#infra/local/template.ts';

/**
 * What each deployed function touches, read off its code (functions/<fn>/handler.ts and the
 * runtime it composes), checked against the synthesized template. moto enforces no IAM, so a
 * missing grant shows only in a deployed stack; these tests are where it shows first.
 */
type Fn = 'Ingest' | 'Normalize' | 'Hydrate' | 'Outbound' | 'Stock' | 'Kpi' | 'Fold' | 'Docs';
type Target =
  | 'table'
  | 'index'
  | 'ingestQueue'
  | 'hydrateQueue'
  | 'outboundQueue'
  | 'bodies'
  | 'connectionSecret'
  | 'ebaySecret'
  | 'apiSecret'
  | 'customerSalt';

const TABLE_ACTIONS: Record<Fn, { table: string[]; index: string[] }> = {
  // shared/ingest/deps.ts → shared/aws/connections.ts get(): one GetItem on `CONN#<id>` / META
  Ingest: { table: ['dynamodb:GetItem'], index: [] },
  // shared/aws/normalize-runtime.ts → DynamoTable (get, batchGet, queryBetween, write: Put, Update,
  // TransactWriteItems authorized per item by Put and Update)
  Normalize: {
    table: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    index: [],
  },
  // shared/aws/hydrate-runtime.ts → DynamoTable as normalize; the channel list is a Query on `byUpdated`
  Hydrate: {
    table: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    index: ['dynamodb:Query'],
  },
  // shared/aws/outbound-store.ts: subscriptions (Query, GetItem), version claims (UpdateItem), the
  // delivery log (PutItem); the channel list (owners) is a Query on `byUpdated`; shared/aws/channel-push.ts:
  // a SKU's listings (Query, then BatchGetItem of their listing items), push claims (UpdateItem)
  Outbound: {
    table: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    index: ['dynamodb:Query'],
  },
  // shared/aws/stock-runtime.ts: API keys and channels (GetItem), balances (Query), counts applied
  // through DynamoTable; the feed reads change pages and the balance directory (Query, BatchGetItem);
  // the channel list is a Query on `byUpdated`; subscriptions
  // (shared/aws/outbound-store.ts: put, update, delete, the delivery log by Query)
  Stock: {
    table: [
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ],
    index: ['dynamodb:Query'],
  },
  // shared/aws/kpi-repo.ts: API keys, channels, the zone marker (GetItem), counters (Query);
  // the channel list is a Query on `byUpdated`, stock alerts a Query of the balance directory and a
  // BatchGetItem of the balances; shared/aws/figures-repo.ts: reported
  // figures (Query, GetItem, PutItem in a transaction)
  Kpi: {
    table: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
    index: ['dynamodb:Query'],
  },
  // shared/aws/fold-runtime.ts → DynamoTable, as normalize; the channel list (stock-change events)
  // is a Query on `byUpdated`
  Fold: {
    table: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    index: ['dynamodb:Query'],
  },
  Docs: { table: [], index: [] },
};

/** Every other call a function's code makes, and on what. */
const OTHER_CALLS: Record<Fn, Array<[string, Target]>> = {
  Ingest: [
    ['sqs:SendMessage', 'ingestQueue'],
    ['s3:PutObject', 'bodies'],
    ['secretsmanager:GetSecretValue', 'connectionSecret'],
    ['secretsmanager:GetSecretValue', 'ebaySecret'],
  ],
  Normalize: [
    ['s3:GetObject', 'bodies'],
    // shared/aws/customer-salt.ts
    ['secretsmanager:GetSecretValue', 'customerSalt'],
    ['sqs:ReceiveMessage', 'ingestQueue'],
    ['sqs:DeleteMessage', 'ingestQueue'],
    ['sqs:SendMessage', 'hydrateQueue'],
  ],
  // shared/aws/hydrate-queue.ts, shared/aws/api-credentials.ts
  Hydrate: [
    ['sqs:ReceiveMessage', 'hydrateQueue'],
    ['sqs:DeleteMessage', 'hydrateQueue'],
    ['sqs:ChangeMessageVisibility', 'hydrateQueue'],
    ['sqs:SendMessage', 'hydrateQueue'],
    // the deliveries that waited for a listing the catalog resolved, replayed
    ['sqs:SendMessage', 'ingestQueue'],
    ['secretsmanager:GetSecretValue', 'apiSecret'],
  ],
  // shared/aws/outbound-queue.ts (retries), shared/aws/api-credentials.ts (channel connectors)
  Outbound: [
    ['sqs:ReceiveMessage', 'outboundQueue'],
    ['sqs:DeleteMessage', 'outboundQueue'],
    ['sqs:SendMessage', 'outboundQueue'],
    ['secretsmanager:GetSecretValue', 'apiSecret'],
  ],
  // shared/aws/outbound-queue.ts: subscription replays (admin API)
  Stock: [['sqs:SendMessage', 'outboundQueue']],
  Kpi: [],
  // shared/aws/outbound-queue.ts: the stock-change events it derives
  Fold: [['sqs:SendMessage', 'outboundQueue']],
  Docs: [],
};

const FNS = Object.keys(TABLE_ACTIONS) as Fn[];

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
interface Grant {
  effect: string;
  actions: string[];
  resources: unknown[];
  condition?: Record<string, Record<string, unknown>>;
}

function idOf(t: Template, type: string, prefix: string): string {
  const ids = Object.keys(t.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}`).toHaveLength(1);
  return ids[0]!;
}

function grantsOf(t: Template, fn: Fn): Grant[] {
  const roleId = idOf(t, 'AWS::IAM::Role', `${fn}Role`);
  return Object.values(t.findResources('AWS::IAM::Policy') as Resources)
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, any>>)
    .map((s) => ({
      effect: s.Effect,
      actions: [].concat(s.Action),
      resources: [].concat(s.Resource),
      condition: s.Condition,
    }));
}

function envOf(t: Template, fn: Fn): Record<string, unknown> {
  const fnId = idOf(t, 'AWS::Lambda::Function', `${fn}Fn`);
  return (t.findResources('AWS::Lambda::Function') as Resources)[fnId]!.Properties.Environment.Variables;
}

/** A template ARN as a string, account and region filled in, so it can be compared with a real one. */
function render(v: unknown): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, any>;
  if (o.Ref === 'AWS::Partition') return 'aws';
  if (o.Ref === 'AWS::Region') return 'eu-west-1';
  if (o.Ref === 'AWS::AccountId') return '111122223333';
  if (o.Ref) return `<${o.Ref}>`;
  if (o['Fn::GetAtt']) return `<${o['Fn::GetAtt'].join('.')}>`;
  if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(render).join(o['Fn::Join'][0]);
  throw new Error(`cannot render ${JSON.stringify(v)}`);
}

/** IAM's wildcards: `*` any run of characters, `?` exactly one. */
function arnMatches(pattern: string, arn: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(arn);
}

/** The ARN Secrets Manager gives a secret: its name plus a dash and six random characters. */
const secretArn = (name: string) => `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${name}-AbC123`;

function context(t: Template, stage: 'dev' | 'prod') {
  const tableId = idOf(t, 'AWS::DynamoDB::Table', 'Table');
  const queueId = idOf(t, 'AWS::SQS::Queue', 'IngestQueue');
  const hydrateQueueId = idOf(t, 'AWS::SQS::Queue', 'HydrateQueue');
  const outboundQueueId = idOf(t, 'AWS::SQS::Queue', 'OutboundQueue');
  const bucketId = idOf(t, 'AWS::S3::Bucket', 'Bodies');
  const saltId = idOf(t, 'AWS::SecretsManager::Secret', 'CustomerSalt');
  const exact: Record<Exclude<Target, 'connectionSecret' | 'ebaySecret' | 'apiSecret'>, string> = {
    table: `<${tableId}.Arn>`,
    index: `<${tableId}.Arn>/index/byUpdated`,
    ingestQueue: `<${queueId}.Arn>`,
    hydrateQueue: `<${hydrateQueueId}.Arn>`,
    outboundQueue: `<${outboundQueueId}.Arn>`,
    bodies: `<${bucketId}.Arn>/*`,
    customerSalt: `<${saltId}>`,
  };
  const secrets = {
    connectionSecret: secretArn(secretName(stage, 'shop-1')),
    ebaySecret: secretArn(ebayAppSecretName({ HUB_STAGE: stage })),
    apiSecret: secretArn(apiSecretName(stage, 'shop-1')),
  };
  const covers = (g: Grant, target: Target) =>
    target === 'connectionSecret' || target === 'ebaySecret' || target === 'apiSecret'
      ? g.resources.some((r) => arnMatches(render(r), secrets[target]))
      : g.resources.some((r) => render(r) === exact[target]);
  // what an environment variable names, so a function given it can be checked to be granted it
  const envTargets: Record<string, Target> = {
    [tableId]: 'table',
    [queueId]: 'ingestQueue',
    [hydrateQueueId]: 'hydrateQueue',
    [outboundQueueId]: 'outboundQueue',
    [bucketId]: 'bodies',
    [saltId]: 'customerSalt',
  };
  return { exact, secrets, covers, envTargets };
}

describe('least privilege over the synthesized template', () => {
  for (const stage of ['dev', 'prod'] as const) {
    it(`grants every call each function's code makes (${stage})`, () => {
      // Prepare
      const t = Template.fromJSON(synthHubTemplate({ stage }));
      const { covers } = context(t, stage);
      // Act
      const missing = FNS.flatMap((fn) => {
        const grants = grantsOf(t, fn).filter((g) => g.effect === 'Allow');
        const calls: Array<[string, Target]> = [
          ...TABLE_ACTIONS[fn].table.map((a): [string, Target] => [a, 'table']),
          ...TABLE_ACTIONS[fn].index.map((a): [string, Target] => [a, 'index']),
          ...OTHER_CALLS[fn],
        ];
        return calls
          .filter(([action, target]) => !grants.some((g) => g.actions.includes(action) && covers(g, target)))
          .map((c) => `${fn} ${c.join(' on ')}`);
      });
      // Assess
      expect(missing).toEqual([]);
    });
  }

  it('grants each function a resource its environment names, and names none it does not use', () => {
    // Prepare
    const t = Template.fromJSON(synthHubTemplate({ stage: 'dev' }));
    const { covers, envTargets } = context(t, 'dev');
    // Act
    const ungranted = FNS.flatMap((fn) => {
      const grants = grantsOf(t, fn);
      return Object.entries(envOf(t, fn))
        .filter(([, v]) => typeof v === 'object' && v !== null && 'Ref' in v)
        .map(([k, v]) => [k, envTargets[(v as { Ref: string }).Ref]] as const)
        .filter(([, target]) => target === undefined || !grants.some((g) => covers(g, target)))
        .map(([k]) => `${fn} ${k}`);
    });
    // Assess
    expect(ungranted).toEqual([]);
  });

  it('gives each function exactly the DynamoDB actions its code uses, on the table and on the feed index', () => {
    // Prepare
    const t = Template.fromJSON(synthHubTemplate({ stage: 'dev' }));
    const { exact } = context(t, 'dev');
    for (const fn of FNS) {
      // Act
      const dynamo = grantsOf(t, fn).filter((g) => g.actions.some((a) => a.startsWith('dynamodb:')));
      const on = (arn: string) =>
        [...new Set(dynamo.filter((g) => g.resources.some((r) => render(r) === arn)).flatMap((g) => g.actions))].sort();
      // Assess
      expect(on(exact.table), `${fn} on the table`).toEqual(TABLE_ACTIONS[fn].table);
      expect(on(exact.index), `${fn} on byUpdated`).toEqual(TABLE_ACTIONS[fn].index);
      // nothing else of DynamoDB but the stream fold reads (its own stream, and ListStreams on `*`)
      const elsewhere = dynamo.filter(
        (g) => !g.resources.every((r) => render(r) === exact.table || render(r) === exact.index),
      );
      expect(
        elsewhere
          .flatMap((g) => g.actions)
          .filter((a) => !/^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/.test(a)),
        fn,
      ).toEqual([]);
      if (fn !== 'Fold') expect(elsewhere, fn).toEqual([]);
    }
  });

  it("confines the internet-facing ingest function's table reads to connection items", () => {
    // Prepare
    const t = Template.fromJSON(synthHubTemplate({ stage: 'dev' }));
    // Act
    const dynamo = grantsOf(t, 'Ingest').filter((g) => g.actions.some((a) => a.startsWith('dynamodb:')));
    // Assess: every statement carries the condition, and it names the connection items' prefix
    expect(dynamo.length).toBeGreaterThan(0);
    for (const g of dynamo) {
      expect(g.condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${connectionKey('*').pk}`] },
      });
    }
    expect(connectionKey('x').pk).toBe('CONN#x');
  });

  it.each([
    ['Kpi', KPI_TABLE_PARTITIONS, ['QUAR#2026-01-01', 'ORDER#shop#1', 'HYDRATE#c#order#1']],
    ['Stock', STOCK_TABLE_PARTITIONS, ['QUAR#2026-01-01', 'ORDER#shop#1', 'HYDRATE#c#order#1']],
    // hydrate replays the quarantined deliveries that waited for a listing it looked up
    ['Hydrate', HYDRATE_TABLE_PARTITIONS, ['SKU#A', 'KEY#k', 'KPI#c#2026-01#0']],
    ['Outbound', OUTBOUND_TABLE_PARTITIONS, ['QUAR#2026-01-01', 'SKU#A', 'KEY#k', 'ORDER#shop#1', 'KPI#c#2026-01#0']],
  ] as const)(
    "confines %s's table calls to the partitions it uses, and none of the connection items",
    (fn, partitions, alsoOutside) => {
      // Prepare
      const t = Template.fromJSON(synthHubTemplate({ stage: 'dev' }));
      const { exact } = context(t, 'dev');
      // Act
      const dynamo = grantsOf(t, fn).filter((g) => g.actions.some((a) => a.startsWith('dynamodb:')));
      const all = dynamo.filter((g) => g.resources.some((r) => render(r) === exact.table));
      // the stock function's one delete (the subscriptions admin API) has a statement of its own, on SUBS alone
      const deletes = all.filter((g) => g.actions.length === 1 && g.actions[0] === 'dynamodb:DeleteItem');
      for (const g of deletes)
        expect(g.condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SUBS'] } });
      expect(deletes.length).toBe(fn === 'Stock' ? 1 : 0);
      const onTable = all.filter((g) => !deletes.includes(g));
      // Assess
      expect(onTable).toHaveLength(1);
      expect(onTable[0]!.condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...partitions] } });
      const patterns = partitions.map((p) => new RegExp(`^${p.replace(/\*/g, '.*')}$`));
      for (const pk of ['CONN#x', ...alsoOutside]) {
        expect(
          patterns.some((p) => p.test(pk)),
          pk,
        ).toBe(false);
      }
    },
  );

  it("grants ingest only its own stage's secrets: connections and the eBay app, nothing else", () => {
    // Prepare
    const t = Template.fromJSON(synthHubTemplate({ stage: 'dev' }));
    const secretGrants = grantsOf(t, 'Ingest').filter((g) => g.actions.includes('secretsmanager:GetSecretValue'));
    const matches = (effect: string, name: string) =>
      secretGrants.some((g) => g.effect === effect && g.resources.some((r) => arnMatches(render(r), secretArn(name))));
    // IAM: an explicit Deny wins over any Allow
    const granted = (name: string) => matches('Allow', name) && !matches('Deny', name);
    // Act + Assess
    expect(granted(ebayAppSecretName({ HUB_STAGE: 'dev' }))).toBe(true);
    expect(granted(secretName('dev', 'shop-1'))).toBe(true);
    expect(granted(ebayAppSecretName({ HUB_STAGE: 'prod' }))).toBe(false);
    expect(granted(secretName('prod', 'shop-1'))).toBe(false);
    // the API credentials share the webhook secrets' prefix: an explicit Deny keeps ingest off them
    expect(granted(apiSecretName('dev', 'shop-1'))).toBe(false);
    expect(granted('hub/dev/ebay-app-extra')).toBe(false);
    expect(granted('hub/dev/other')).toBe(false);
    expect(secretGrants.flatMap((g) => g.actions)).toEqual(secretGrants.map(() => 'secretsmanager:GetSecretValue'));
  });

  it("grants hydrate only its own stage's connection API secrets, not the webhook secrets", () => {
    // Prepare
    const t = Template.fromJSON(synthHubTemplate({ stage: 'dev' }));
    const secretGrants = grantsOf(t, 'Hydrate').filter((g) => g.actions.includes('secretsmanager:GetSecretValue'));
    expect(secretGrants.every((g) => g.effect === 'Allow')).toBe(true);
    const granted = (name: string) =>
      secretGrants.some((g) => g.resources.some((r) => arnMatches(render(r), secretArn(name))));
    // Act + Assess
    expect(granted(apiSecretName('dev', 'square-main'))).toBe(true);
    expect(granted(secretName('dev', 'square-main'))).toBe(false);
    expect(granted(apiSecretName('prod', 'square-main'))).toBe(false);
    expect(granted(ebayAppSecretName({ HUB_STAGE: 'dev' }))).toBe(false);
    expect(apiSecretName('dev', 'x').startsWith(`${secretName('dev', 'x')}/`)).toBe(true);
  });
});

/**
 * The AWS actions a source file can call, by the calls written in it: document-client and SQS
 * commands, the lite client's JSON targets and S3 helpers. TransactWriteItems is authorized per
 * item, and the hub's transactions hold puts and updates only.
 */
function actionsCalledIn(source: string): string[] {
  const out = new Set<string>();
  const doc: Record<string, string[]> = {
    Get: ['dynamodb:GetItem'],
    Put: ['dynamodb:PutItem'],
    Update: ['dynamodb:UpdateItem'],
    Delete: ['dynamodb:DeleteItem'],
    Query: ['dynamodb:Query'],
    Scan: ['dynamodb:Scan'],
    BatchGet: ['dynamodb:BatchGetItem'],
    BatchWrite: ['dynamodb:BatchWriteItem'],
    TransactWrite: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    SendMessage: ['sqs:SendMessage'],
    ReceiveMessage: ['sqs:ReceiveMessage'],
    DeleteMessageBatch: ['sqs:DeleteMessage'],
  };
  for (const m of source.matchAll(/new (\w+)Command\(/g)) {
    const actions = doc[m[1]!];
    if (!actions) throw new Error(`no IAM mapping for ${m[1]}Command: add it to actionsCalledIn`);
    actions.forEach((a) => out.add(a));
  }
  for (const m of source.matchAll(/'DynamoDB_20120810\.(\w+)'/g)) out.add(`dynamodb:${m[1]}`);
  for (const m of source.matchAll(/'secretsmanager\.(\w+)'/g)) out.add(`secretsmanager:${m[1]}`);
  for (const m of source.matchAll(/'AmazonSQS\.(\w+)'/g)) out.add(`sqs:${m[1]}`);
  if (/\.s3Put\(/.test(source)) out.add('s3:PutObject');
  if (/\.s3Get\(/.test(source)) out.add('s3:GetObject');
  return [...out];
}

/** The repository's own files a function's bundle is made of (its dependencies aside). */
async function sourcesOf(fn: Fn): Promise<string[]> {
  const result = await build({
    entryPoints: [`functions/${fn.toLowerCase()}/handler.ts`],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    // the dashboard page is generated before synth (cdk.json build) and holds no AWS call
    external: ['./generated/page.js'],
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules'));
}

/**
 * Calls that are written in a module a function bundles but that the function never makes; each
 * must stay ungranted, so this list cannot hide a permission.
 */
const BUNDLED_NOT_CALLED: Record<Fn, string[]> = {
  // connections.ts also serves the admin CLI (put, list); body-store.ts also reads bodies (normalize)
  Ingest: [
    'dynamodb:PutItem',
    'dynamodb:Scan',
    'secretsmanager:PutSecretValue',
    'secretsmanager:CreateSecret',
    's3:GetObject',
  ],
  // body-store.ts also writes bodies (ingest)
  Normalize: ['s3:PutObject'],
  Hydrate: [],
  // outbound-store.ts also removes subscriptions (admin CLI)
  Outbound: ['dynamodb:DeleteItem'],
  Stock: [],
  // table.ts is bundled for documentClient() and the stock alerts' batch reads of balances;
  // DynamoTable's updates are not used. api-keys.ts and channels.ts also write keys and channels
  // (admin CLI); its one write is a reported figure (figures-repo.ts: puts in a transaction, on
  // FIG#… only by its partitions)
  Kpi: ['dynamodb:UpdateItem'],
  Fold: [],
  Docs: [],
};

describe('the code each function bundles', () => {
  it('calls nothing its role is not granted, apart from listed calls it never makes (which stay ungranted)', async () => {
    // Prepare
    const t = Template.fromJSON(synthHubTemplate({ stage: 'dev' }));
    for (const fn of FNS) {
      const granted = new Set(grantsOf(t, fn).flatMap((g) => g.actions));
      // Act
      const written = new Set((await sourcesOf(fn)).flatMap((f) => actionsCalledIn(readFileSync(f, 'utf8'))));
      // Assess
      const ungranted = [...written].filter((a) => !granted.has(a) && !BUNDLED_NOT_CALLED[fn].includes(a)).sort();
      expect(ungranted, `${fn} calls without a grant`).toEqual([]);
      expect(
        BUNDLED_NOT_CALLED[fn].filter((a) => granted.has(a)),
        `${fn} grants a call it never makes`,
      ).toEqual([]);
      expect(
        BUNDLED_NOT_CALLED[fn].filter((a) => !written.has(a)),
        `${fn} lists a call its code no longer has`,
      ).toEqual([]);
    }
  });

  it('reads the calls out of a source file (the scan can fail)', () => {
    // Act
    const found = actionsCalledIn(
      "await doc.send(new TransactWriteCommand({})); await aws.json({ target: 'secretsmanager.GetSecretValue' }); aws().s3Put(b, k, x);",
    );
    // Assess
    expect(found.sort()).toEqual([
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      's3:PutObject',
      'secretsmanager:GetSecretValue',
    ]);
    expect(() => actionsCalledIn('new FrobnicateCommand(')).toThrow(/FrobnicateCommand/);
  });
});
