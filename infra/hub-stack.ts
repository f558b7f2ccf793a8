import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { COUNTED_BY } from '#shared/inventory/balance.ts';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  HttpApi,
  type HttpMethod,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { AccountPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  FilterCriteria,
  FilterRule,
  FunctionUrlAuthType,
  StartingPosition,
  type FunctionUrl,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { z } from 'zod';
import { HubFunction } from './hub-function.ts';
import { DEFAULT_QUARANTINE_THRESHOLD, HubMonitoring } from './monitoring.ts';
import { connectionKey, secretName } from '#shared/aws/connections.ts';
import { apiSecretName } from '#shared/aws/api-credentials.ts';
import { customerSaltSecretName } from '#shared/aws/customer-salt.ts';
import { ebayAppSecretName } from '#shared/ingest/deps.ts';
import { isTimeZone } from '#shared/kpi/periods.ts';
import { FEED_INDEX } from '#shared/table/keys.ts';
import { HTTP_API_ROUTES, type RouteFunction, type RouteSpec } from '#shared/http/routes.ts';

export type HubStage = 'dev' | 'prod';

export interface HubStackProps extends StackProps {
  stage: HubStage;
}

/**
 * Amazon's Selling Partner API account, which sends SP-API notifications to a seller's queue
 * (SP-API "Set up notifications using the Amazon SQS workflow": principal 437568002678,
 * actions SendMessage and GetQueueAttributes).
 */
export const SPAPI_ACCOUNT_ID = '437568002678';

/** How long `normalize` may run; the ingest queue's visibility timeout is derived from it. */
export const NORMALIZE_TIMEOUT_SECONDS = 30;
/**
 * Up to 100 messages per invocation, gathered for at most 1 s: a delivery costs 1/100 of a Lambda
 * request instead of a whole one, and the extra latency is bounded by the window. The Lambda
 * payload limit (6 MB) still caps a batch, which is why large bodies are claim-checked into S3.
 */
export const NORMALIZE_BATCH_SIZE = 100;
export const NORMALIZE_BATCH_WINDOW_SECONDS = 1;
/** Five tries rides out throttling and brief outages; the sixth receive moves a message to the DLQ. */
export const MAX_RECEIVE_COUNT = 5;

/**
 * Fetches of thin orders from the senders' APIs (docs/hydration.md). A sender's rate limit makes a
 * message come back after the sender's delay, and each such receive counts: 10 receives ride out a
 * few rate-limit windows and a short outage before a message goes to the DLQ.
 */
export const HYDRATE_TIMEOUT_SECONDS = 30;
export const HYDRATE_BATCH_SIZE = 10;
export const HYDRATE_MAX_RECEIVE_COUNT = 10;
/**
 * A fetch message becomes visible this long after it is sent: the webhooks a sender sends for one
 * change (BigCommerce's created + updated + statusUpdated, eBay's one per line item, Square's
 * created + updated) arrive within seconds, and the one fetch made after the delay answers them all.
 */
export const HYDRATE_DELIVERY_DELAY_SECONDS = 10;
/** few pollers: every fetch spends the merchant's API quota, which other apps share */
export const HYDRATE_MAX_CONCURRENCY = 2;
/**
 * Outbound deliveries (docs/outbound.md). A failed endpoint is not a failed message (its next
 * attempt is queued with its delay), so receives count only table and queue failures: five, as
 * for ingest. Batches of 10 keep one slow endpoint from holding many messages.
 */
export const OUTBOUND_TIMEOUT_SECONDS = 60;
export const OUTBOUND_BATCH_SIZE = 10;
export const OUTBOUND_MAX_CONCURRENCY = 5;
/** subscriptions, per-subject versions, the delivery log, channels (owners), listings and push records (connectors) */
export const OUTBOUND_TABLE_PARTITIONS = [
  'SUBS',
  'SUBV#*',
  'DLV#*',
  'CHANNEL#*',
  'LISTING#*',
  'SKULIST#*',
  'PUSH#*',
] as const;
/**
 * the partitions hydrate reads and writes: pending items, orders, listings (line SKUs, and the
 * mappings catalog lookups write with their SKULIST reverse items), channels, and the quarantine
 * (the deliveries that waited for a listing, replayed once it is mapped)
 */
export const HYDRATE_TABLE_PARTITIONS = [
  'HYDRATE#*',
  'ORDER#*',
  'LISTING#*',
  'SKULIST#*',
  'CHANNEL#*',
  'QUAR#*',
] as const;

/**
 * `fold` reads the table's stream: up to 10,000 records (the DynamoDB Streams maximum; Lambda also
 * stops a batch at its 6 MB invocation payload, about 3,000 order changes) gathered for at most
 * 5 s. Each batch writes every balance and counter it touches once, so fuller batches are
 * cheaper; the window is short because orders' reservations and shipments reach the balances
 * through the fold (stock trails an order by the window plus the batch's writes, about 5–6 s on a
 * quiet hub and less on a busy one, whose batches fill before the window ends).
 */
export const FOLD_BATCH_SIZE = 10000;
export const FOLD_BATCH_WINDOW_SECONDS = 5;
export const FOLD_TIMEOUT_SECONDS = 60;

/**
 * Every function's timeout, in one place: the stack sets them and the local hub gives handlers
 * the same deadline (getRemainingTimeInMillis). ingest: a sender waits on the call and Shopify
 * gives up after 5 s, so failing at 4 s answers with an error the sender retries instead of work
 * finishing after nobody is listening. stock and kpi: the function default (infra/hub-function.ts).
 */
export const FUNCTION_TIMEOUT_SECONDS = {
  ingest: 4,
  normalize: NORMALIZE_TIMEOUT_SECONDS,
  hydrate: HYDRATE_TIMEOUT_SECONDS,
  stock: 10,
  kpi: 10,
  fold: FOLD_TIMEOUT_SECONDS,
  outbound: OUTBOUND_TIMEOUT_SECONDS,
  docs: 3,
} as const;
/**
 * ingest: verifying a signature and enqueueing one message is a fraction of a millisecond of CPU
 * (the ingest bench: handler and SendMessage client on one core), so the smallest size Lambda has
 * serves it: at 128 MB (a 13.8th of a vCPU) that CPU takes a few milliseconds next to the ~10 ms
 * SendMessage round trip, its cold import about 0.4 s, and each delivery bills half the GB-seconds
 * of the 256 MB default (`npm run bench`: ingest, cost; docs/benchmarks.md, memory per function).
 */
export const INGEST_MEMORY_MB = 128;
/**
 * normalize: the function default. A batch's CPU (adapters, merges and the DynamoDB client's per
 * request) costs the same GB-seconds at any size, while only its DynamoDB waits bill by memory: 128 MB
 * would save about $0.001 per million deliveries on a busy hub and $0.02 on a quiet one, and double
 * the concurrency a 1,700 deliveries/s peak needs (`npm run bench`: memory, peak).
 */
export const NORMALIZE_MEMORY_MB = 256;
/**
 * The fold is CPU-bound (it reads a few thousand order images a batch and plans every balance and
 * counter they touch, and makes a DynamoDB request for each, whose client CPU counts too): 1,769 MB
 * is one vCPU, so a batch of ~3,300 order changes takes about 2.5 s on an idle core, inside the
 * ~3.5 s such a batch spans at 1,700 deliveries/s even when one stream shard carries them all
 * (`npm run bench`: peak, memory); at 1,024 MB it would not be, and Node folds on one thread, so
 * more memory adds no speed. It runs once per batch, so the memory costs about two cents per
 * million deliveries.
 */
export const FOLD_MEMORY_MB = 1769;
/**
 * The mapping's tumbling window. Nothing is aggregated across invocations in window state: a
 * window is there only because Lambda then puts the stream shard's id (`shardId`) in the event,
 * which the fold keys its per-shard watermarks by (shared/stream/fold-event.ts).
 */
export const FOLD_TUMBLING_WINDOW_SECONDS = 60;
/**
 * The partition keys the kpi function reads on the table (not the index): API keys (`KEY#<hash>`),
 * channels (`CHANNEL#<name>`), hour counters (`KPI#…`), day and month rollups (`KPID#…`, `KPIM#…`)
 * the rollup zone marker, and a SKU's balances (`SKU#<sku>`: stock alerts judge reservations that
 * named no location on the SKU's total), and partner-reported figures (`FIG#<channel>`, the one
 * partition it writes: POST /v1/channels/{channel}/figures), and the balance directory
 * (`BALDIR#<shard>`: stock alerts list every balance through it, then BatchGetItem the balances). test/integration/kpi-api.test.ts checks every read it
 * makes against this list.
 */
export const KPI_TABLE_PARTITIONS = [
  'KEY#*',
  'CHANNEL#*',
  'KPI#*',
  'KPID#*',
  'KPIM#*',
  'KPIZONE',
  'SKU#*',
  'FIG#*',
  'BALDIR#*',
] as const;
/**
 * The partition keys the stock function reads and writes on the table: API keys, channels, a
 * SKU's balances and ledger rows (`SKU#<sku>`), and listings (`LISTING#…`, which map a channel's
 * inventory item ids to SKUs for counts that name no SKU); and for the subscriptions admin API the
 * subscriptions (`SUBS`) and their delivery log (`DLV#…`); the delta feed's change pages
 * (`CHG#<day>`) and the balance directory (`BALDIR#<shard>`: read for a snapshot, written by a
 * count that creates a balance). test/integration/stock-api.test.ts checks every call it makes
 * against this list.
 */
export const STOCK_TABLE_PARTITIONS = [
  'KEY#*',
  'CHANNEL#*',
  'SKU#*',
  'LISTING#*',
  'SUBS',
  'DLV#*',
  'CHG#*',
  'BALDIR#*',
] as const;

/**
 * The read API stage's default limits, and the lower ones each public route (no key) is given as
 * its own route setting: a flood of /health, /openapi.json or /dashboard requests is refused at
 * that route's limit instead of counting against what the keyed /v1 routes may use. A manager's
 * browser loads the page once and the API description is cacheable for minutes, so 10/s is ample.
 */
export const API_THROTTLE = { rateLimit: 50, burstLimit: 100 };
export const PUBLIC_ROUTE_THROTTLE = { rateLimit: 10, burstLimit: 20 };

/** Order items (`ORDER#<channel>#<id>`) are the only stream records the fold reads. */
export const FOLD_PK_PREFIX = 'ORDER#';

/**
 * The DynamoDB actions each function's code calls, and no more (the stack tests check them against
 * the code's calls). TransactWriteItems is authorized through its items' PutItem and UpdateItem;
 * nothing calls Scan, DeleteItem, BatchWriteItem, ConditionCheckItem or DescribeTable.
 */
const ITEM_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const ITEM_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];

/** `-c key=value` arrives as a string from the CLI and as JSON from cdk.json or tests. */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const positiveInt = z.coerce.number().int().positive();
const hubContextSchema = z.object({
  tracing: flag.default(false),
  spapiQueue: flag.default(true),
  // No reservation by default: a new account's concurrency quota is 10 and AWS refuses any
  // reservation that leaves fewer than 100 unreserved executions, so a number here would fail the
  // first deploy. A reservation (e.g. 50, once the quota is raised) is the flood guard that keeps a
  // burst of webhooks from starving the account's other functions.
  ingestConcurrency: z.union([z.literal('none'), positiveInt]).default('none'),
  normalizeMaxConcurrency: positiveInt.min(2).max(1000).default(10),
  // how long the fold gathers a batch when the stream is quiet (a busy hub fills its batches
  // first): stock and KPIs trail orders by about this much; longer is cheaper on a quiet hub
  foldWindowSeconds: z.coerce.number().int().min(0).max(300).default(FOLD_BATCH_WINDOW_SECONDS),
  // how long normalize gathers a batch of queued deliveries when the queue is quiet (a busy hub
  // fills its batches of 100 first): orders, stock and KPIs trail webhooks by about this much more;
  // longer is cheaper on a quiet hub (fewer invocations and DeleteMessageBatch calls)
  normalizeWindowSeconds: z.coerce.number().int().min(0).max(300).default(NORMALIZE_BATCH_WINDOW_SECONDS),
  // an address, not a secret; when absent the alarms still go to the topic (subscribe later)
  alarmEmail: z.email().optional(),
  quarantineAlarmThreshold: positiveInt.default(DEFAULT_QUARANTINE_THRESHOLD),
  // the zone KPI days and months are cut in when a request names none (kpi) and that the fold's
  // day and month rollups use (fold): one setting for both, so they always agree. Unset: UTC.
  // a small merchant's stack (docs/deploying.md): the essential alarms only, no dashboard, logs
  // kept a week in prod and three days in dev. The dashboard and the alarms are most of what an
  // idle stack costs a month (the cost bench prices both stacks line by line)
  lean: flag.default(false),
  // the CloudWatch dashboard ($3 a month idle): off by default so that an idle stack with three
  // connections stays under $6 a month (the cost bench prices it); ignored on a lean stack
  dashboard: flag.default(false),
  merchantTimeZone: z.string().refine(isTimeZone, 'not an IANA time zone (e.g. "Europe/Berlin")').optional(),
});
export type HubContext = z.infer<typeof hubContextSchema>;

export function readHubContext(scope: Construct): HubContext {
  const raw = Object.fromEntries(
    Object.keys(hubContextSchema.shape).map((k) => [k, scope.node.tryGetContext(k) ?? undefined]),
  );
  const parsed = hubContextSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid cdk context: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * The whole hub: webhook entry (function URL → ingest), the ingest queue and its DLQ, normalize
 * (SQS consumer), the single table and its stream (→ fold: stock balances and KPI counters), the claim-check
 * bucket and the read API (HTTP API → stock, kpi).
 */
export class HubStack extends Stack {
  readonly stage: HubStage;
  readonly table: Table;
  readonly bodyBucket: Bucket;
  readonly ingestQueue: Queue;
  readonly ingestDlq: Queue;
  readonly spapiQueue?: Queue;
  readonly spapiDlq?: Queue;
  readonly hydrateQueue: Queue;
  readonly hydrateDlq: Queue;
  readonly hydrate: HubFunction;
  readonly outboundQueue: Queue;
  readonly outboundDlq: Queue;
  readonly outbound: HubFunction;
  readonly ingest: HubFunction;
  readonly normalize: HubFunction;
  /** the customer-hash salt (generated at deploy time) */
  readonly customerSalt: Secret;
  readonly stock: HubFunction;
  readonly kpi: HubFunction;
  readonly fold: HubFunction;
  readonly docs: HubFunction;
  readonly monitoring: HubMonitoring;
  readonly webhookUrl: FunctionUrl;
  readonly api: HttpApi;
  readonly apiStage: HttpStage;

  constructor(scope: Construct, id: string, props: HubStackProps) {
    // prod: CloudFormation refuses to delete the stack until protection is turned off by hand
    super(scope, id, { ...props, terminationProtection: props.terminationProtection ?? props.stage === 'prod' });
    const { stage } = props;
    this.stage = stage;
    const prod = stage === 'prod';
    const ctx = readHubContext(this);
    // what the logs are kept for: a lean stack keeps them shorter (storage is what an idle stack's
    // logs cost); the API's access logs the same
    const logRetention = ctx.lean
      ? prod
        ? RetentionDays.ONE_WEEK
        : RetentionDays.THREE_DAYS
      : prod
        ? RetentionDays.ONE_MONTH
        : RetentionDays.ONE_WEEK;
    // Prod data outlives the stack; a dev stack is disposable.
    const statefulRemoval = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // ---- stateful ---------------------------------------------------------------------------

    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      // on demand: the load is bursty webhooks, and an idle hub costs nothing
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'ttl',
      // read by `fold`, which turns order changes into stock balances and KPI counters; both images so it can take an
      // order's old contribution out and put its new one in
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      deletionProtection: prod,
      removalPolicy: statefulRemoval,
    });
    // The channel list (CHANNELS_INDEX_PK): only items that carry feedPk/feedSk are projected
    // (sparse index). Balances carried them for the stock change feed until it moved to change
    // pages; the index keeps its name, keys and projection (CloudFormation changes one GSI per
    // update, and the channel list still reads it), and balances leave it as they are written.
    this.table.addGlobalSecondaryIndex({
      indexName: FEED_INDEX,
      partitionKey: { name: 'feedPk', type: AttributeType.STRING },
      sortKey: { name: 'feedSk', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    this.bodyBucket = new Bucket(this, 'Bodies', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // A body is needed only while a message pointing at it can still be received; 14 days is the
      // longest SQS keeps any message (and the DLQ's retention), measured from the original enqueue.
      lifecycleRules: [{ expiration: Duration.days(14), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: statefulRemoval,
    });
    Validations.of(this.bodyBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "Objects are written and read only by the hub's own roles; server access logs would cost more than the short-lived bodies they describe, and CloudTrail data events can be enabled when an audit needs them.",
    });

    ({ queue: this.ingestQueue, dlq: this.ingestDlq } = queueWithDlq(this, 'Ingest', {
      // AWS: set the source queue's visibility timeout to at least six times the function timeout
      // (plus the batching window), so a batch being retried by Lambda is not handed out twice.
      visibilityTimeout: Duration.seconds(6 * NORMALIZE_TIMEOUT_SECONDS + ctx.normalizeWindowSeconds),
      maxReceiveCount: MAX_RECEIVE_COUNT,
    }));

    if (ctx.spapiQueue) {
      // Amazon writes SP-API notifications straight into a queue we own, so this queue is a second
      // entry point; SSE-SQS (not a customer KMS key) lets Amazon's account send without a key grant.
      ({ queue: this.spapiQueue, dlq: this.spapiDlq } = queueWithDlq(this, 'Spapi', {
        visibilityTimeout: Duration.seconds(6 * NORMALIZE_TIMEOUT_SECONDS + ctx.normalizeWindowSeconds),
        maxReceiveCount: MAX_RECEIVE_COUNT,
      }));
      this.spapiQueue.addToResourcePolicy(
        new PolicyStatement({
          principals: [new AccountPrincipal(SPAPI_ACCOUNT_ID)],
          actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
          resources: [this.spapiQueue.queueArn],
        }),
      );
    }

    ({ queue: this.hydrateQueue, dlq: this.hydrateDlq } = queueWithDlq(this, 'Hydrate', {
      visibilityTimeout: Duration.seconds(6 * HYDRATE_TIMEOUT_SECONDS),
      maxReceiveCount: HYDRATE_MAX_RECEIVE_COUNT,
      deliveryDelay: Duration.seconds(HYDRATE_DELIVERY_DELAY_SECONDS),
    }));

    // the longest outbound retry wait (10 h) is taken in 15-minute hops, each a new message
    ({ queue: this.outboundQueue, dlq: this.outboundDlq } = queueWithDlq(this, 'Outbound', {
      visibilityTimeout: Duration.seconds(6 * OUTBOUND_TIMEOUT_SECONDS),
      maxReceiveCount: MAX_RECEIVE_COUNT,
    }));

    // ---- functions --------------------------------------------------------------------------

    // only ingest sends to the queue and writes bodies: the others are given the table alone
    const tableEnv = { HUB_TABLE_NAME: this.table.tableName };
    const ingestEnv = {
      ...tableEnv,
      HUB_INGEST_QUEUE_URL: this.ingestQueue.queueUrl,
      HUB_BODY_BUCKET: this.bodyBucket.bucketName,
      // HUB_STAGE is set by HubFunction for every function
    };

    // The webhook entry is a function URL, not an API Gateway route: a URL costs nothing per request
    // beyond the Lambda invocation, whereas an HTTP API route costs $1.00 per million requests, two
    // thirds of the hub's all-in goal of $1.50 per million deliveries. Senders are authenticated by
    // their webhook signatures, verified in code, so the URL itself is public (auth NONE); reserved
    // concurrency is the flood guard that API Gateway throttling would otherwise be.
    this.ingest = new HubFunction(this, 'Ingest', {
      name: 'ingest',
      stage,
      tracing: ctx.tracing,
      logRetention,
      environment: ingestEnv,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.ingest),
      memorySize: INGEST_MEMORY_MB,
      reservedConcurrentExecutions: ctx.ingestConcurrency === 'none' ? undefined : ctx.ingestConcurrency,
    });
    this.webhookUrl = this.ingest.fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    // SendMessage alone (grantSendMessages adds GetQueueAttributes and GetQueueUrl, never called)
    this.ingest.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.ingestQueue.queueArn] }),
    );
    this.allowBodies(this.ingest, 's3:PutObject');
    // The function anyone on the internet can call reads connection items and nothing else: one
    // GetItem per connection id, confined to `CONN#` partitions, never the feed index.
    this.ingest.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [connectionKey('*').pk] } },
      }),
    );
    const secretArn = (name: string) =>
      this.formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    // Secrets Manager appends `-` and six random characters to every secret ARN
    const connectionSecrets = secretArn(`${secretName(stage, '')}*`);
    // `?` matches exactly one character, so only the one secret is granted, not `ebay-app-anything`
    const ebayAppSecret = secretArn(`${ebayAppSecretName({ HUB_STAGE: stage })}-??????`);
    this.ingest.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [connectionSecrets, ebayAppSecret],
      }),
    );
    // The connections' API credentials (`<connection secret>/api`, read by hydrate) share the
    // webhook secrets' prefix, so the wildcard above would match them too: the internet-facing
    // function is denied them explicitly (a Deny wins over any Allow).
    this.ingest.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secretArn(`${apiSecretName(stage, '*')}-??????`)],
      }),
    );
    Validations.of(this.ingest.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(this, connectionSecrets)}]`,
      reason:
        "One secret per connection, created when a partner is onboarded; the wildcard is confined to this stage's connection secrets (and covers the random suffix Secrets Manager adds).",
    });

    // The salt customer ids and emails are hashed with (docs/kpis.md): a random value generated by
    // Secrets Manager at deploy time, so a deployed stack records customers with no manual set-up,
    // and the value never appears in the template or an environment variable. It lives and dies
    // with the table whose hashes it made.
    this.customerSalt = new Secret(this, 'CustomerSalt', {
      secretName: customerSaltSecretName(stage),
      description:
        'Salt of the HMAC-SHA256 customer hashes (repeat-customer and upsell KPIs); changing it starts every customer afresh',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: statefulRemoval,
    });
    Validations.of(this.customerSalt).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Not a credential to any system: rotating the salt would change every customer hash and start every customer afresh, so it is kept for the life of the table.',
    });
    const customerSaltEnv = { HUB_CUSTOMER_SALT_ID: this.customerSalt.secretArn };
    const allowCustomerSalt = (fn: HubFunction) =>
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.customerSalt.secretArn] }),
      );

    this.normalize = new HubFunction(this, 'Normalize', {
      name: 'normalize',
      stage,
      tracing: ctx.tracing,
      logRetention,
      // records from the SP-API queue are taken only if they are Amazon notifications; thin orders'
      // fetches are queued for the hydrate function
      environment: {
        ...tableEnv,
        HUB_HYDRATE_QUEUE_URL: this.hydrateQueue.queueUrl,
        ...(this.spapiQueue ? { HUB_SPAPI_QUEUE_ARN: this.spapiQueue.queueArn } : {}),
        ...customerSaltEnv,
      },
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.normalize),
      memorySize: NORMALIZE_MEMORY_MB,
    });
    // orders, balances, ledger rows, listings: read and written by key, never the feed index
    this.allowTable(this.normalize, { table: [...ITEM_READ, ...ITEM_WRITE] });
    this.allowBodies(this.normalize, 's3:GetObject');
    allowCustomerSalt(this.normalize);
    for (const queue of [this.ingestQueue, this.spapiQueue]) {
      if (!queue) continue;
      this.normalize.fn.addEventSource(
        new SqsEventSource(queue, {
          batchSize: NORMALIZE_BATCH_SIZE,
          maxBatchingWindow: Duration.seconds(ctx.normalizeWindowSeconds),
          // a failed record is retried alone; the rest of the batch is deleted
          reportBatchItemFailures: true,
          // Caps the pollers, so a backlog drains at a rate the table and downstream writes absorb
          // instead of scaling to hundreds of concurrent batches.
          maxConcurrency: ctx.normalizeMaxConcurrency,
        }),
      );
    }

    // a thin order's fetch is queued once its pending item is written
    this.normalize.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.hydrateQueue.queueArn] }),
    );

    this.hydrate = new HubFunction(this, 'Hydrate', {
      name: 'hydrate',
      stage,
      tracing: ctx.tracing,
      logRetention,
      // deliveries that waited for a listing the catalog resolved go back through normalize; the
      // customers of fetched orders are hashed with the same salt
      environment: {
        ...tableEnv,
        HUB_HYDRATE_QUEUE_URL: this.hydrateQueue.queueUrl,
        HUB_INGEST_QUEUE_URL: this.ingestQueue.queueUrl,
        ...customerSaltEnv,
      },
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.hydrate),
    });
    allowCustomerSalt(this.hydrate);
    // pending items, the orders it applies, the listings that name their lines' SKUs, the channels'
    // location settings (and their list, a Query on the index)
    this.allowTable(
      this.hydrate,
      { table: [...ITEM_READ, ...ITEM_WRITE], index: ['dynamodb:Query'] },
      HYDRATE_TABLE_PARTITIONS,
    );
    // SendMessage: a webhook that arrived during a fetch queues one more. The event source grants
    // ReceiveMessage, DeleteMessage and ChangeMessageVisibility (a rate limit's delay).
    this.hydrate.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.hydrateQueue.queueArn, this.ingestQueue.queueArn],
      }),
    );
    const apiSecrets = secretArn(`${apiSecretName(stage, '*')}-??????`);
    this.hydrate.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [apiSecrets] }),
    );
    Validations.of(this.hydrate.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(this, apiSecrets)}]`,
      reason:
        "One API secret per connection, created when credentials are set; the wildcard is confined to this stage's connections' `/api` secrets.",
    });
    this.hydrate.fn.addEventSource(
      new SqsEventSource(this.hydrateQueue, {
        batchSize: HYDRATE_BATCH_SIZE,
        reportBatchItemFailures: true,
        maxConcurrency: HYDRATE_MAX_CONCURRENCY,
      }),
    );

    this.outbound = new HubFunction(this, 'Outbound', {
      name: 'outbound',
      stage,
      tracing: ctx.tracing,
      logRetention,
      environment: { ...tableEnv, HUB_OUTBOUND_QUEUE_URL: this.outboundQueue.queueUrl },
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.outbound),
    });
    this.allowTable(
      this.outbound,
      { table: [...ITEM_READ, ...ITEM_WRITE], index: ['dynamodb:Query'] },
      OUTBOUND_TABLE_PARTITIONS,
    );
    // SendMessage: retries with their delay. The event source grants Receive and Delete.
    this.outbound.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.outboundQueue.queueArn] }),
    );
    // channel connectors push with the connections' API credentials (the ones hydration uses)
    this.outbound.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [apiSecrets] }),
    );
    Validations.of(this.outbound.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(this, apiSecrets)}]`,
      reason:
        "One API secret per connection, created when credentials are set; the wildcard is confined to this stage's connections' `/api` secrets.",
    });
    this.outbound.fn.addEventSource(
      new SqsEventSource(this.outboundQueue, {
        batchSize: OUTBOUND_BATCH_SIZE,
        reportBatchItemFailures: true,
        maxConcurrency: OUTBOUND_MAX_CONCURRENCY,
      }),
    );

    this.stock = new HubFunction(this, 'Stock', {
      name: 'stock',
      stage,
      tracing: ctx.tracing,
      logRetention,
      // the subscriptions admin API queues replays on the outbound queue
      environment: { ...tableEnv, HUB_OUTBOUND_QUEUE_URL: this.outboundQueue.queueUrl },
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.stock),
    });
    this.stock.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.outboundQueue.queueArn] }),
    );
    // read/write: warehouses post bulk counts through POST /v1/stock/counts; the feed and the
    // channel list are Queries on the index
    this.allowTable(
      this.stock,
      { table: [...ITEM_READ, ...ITEM_WRITE], index: ['dynamodb:Query'] },
      STOCK_TABLE_PARTITIONS,
    );
    // the subscriptions admin API removes subscriptions: DeleteItem on their partition only
    this.allowTable(this.stock, { table: ['dynamodb:DeleteItem'] }, ['SUBS']);

    const merchantZone: Record<string, string> = ctx.merchantTimeZone
      ? { HUB_MERCHANT_TIME_ZONE: ctx.merchantTimeZone }
      : {};
    this.kpi = new HubFunction(this, 'Kpi', {
      name: 'kpi',
      stage,
      tracing: ctx.tracing,
      logRetention,
      environment: { ...tableEnv, ...merchantZone },
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.kpi),
    });
    // keys, channels and the zone marker by key, counters and reported figures by Query, on those
    // partitions only (the KPI API has no business with orders or balances on the table); its one
    // write is a partner-reported figure (PutItem in a transaction, FIG#…); stock alerts and the
    // channel list are Queries on the index
    this.allowTable(
      this.kpi,
      {
        table: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        index: ['dynamodb:Query'],
      },
      KPI_TABLE_PARTITIONS,
    );

    // Orders' stock effects and the KPI counters from the table's own stream: order items and counted
    // balances only (the filters are applied by Lambda before invoking, so the other writes cost
    // nothing), one batch per shard at a time.
    this.fold = new HubFunction(this, 'Fold', {
      name: 'fold',
      stage,
      tracing: ctx.tracing,
      logRetention,
      environment: {
        HUB_TABLE_NAME: this.table.tableName,
        HUB_OUTBOUND_QUEUE_URL: this.outboundQueue.queueUrl,
        ...merchantZone,
      },
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.fold),
      memorySize: FOLD_MEMORY_MB,
    });
    // balances, ledger rows, counters and their watermarks, the emitted available-to-sell values,
    // the delta feed's change pages and the balance directory: read, create, add to; never delete. The index: only to list channels for stock-change events
    this.allowTable(this.fold, { table: [...ITEM_READ, ...ITEM_WRITE], index: ['dynamodb:Query'] });
    // the stock-change events it derives go to the outbound queue (shared/aws/outbound-queue.ts)
    this.fold.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.outboundQueue.queueArn] }),
    );
    this.fold.fn.addEventSource(
      // grants the role DescribeStream, GetRecords and GetShardIterator on this stream (and
      // ListStreams, which has no resource-level permissions)
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: FOLD_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(ctx.foldWindowSeconds),
        // one batch per shard at a time: the per-shard watermark assumes a shard's records arrive
        // in order, which more than one concurrent batch per shard would break
        parallelizationFactor: 1,
        // retryAttempts and maxRecordAge unset (-1, unlimited): a failing batch is retried whole,
        // from its first record, until it succeeds or its records leave the stream (24 h; the
        // IteratorAge alarm fires long before). Halving a batch would not help: the fold is all or
        // nothing, idempotent per watermark, and no record may be skipped.
        bisectBatchOnError: false,
        reportBatchItemFailures: false,
        // ONLY so that the event carries `shardId` (Lambda adds it for tumbling windows); the
        // window's state is not used. See shared/stream/fold-event.ts.
        tumblingWindow: Duration.seconds(FOLD_TUMBLING_WINDOW_SECONDS),
        // order items; and balances normalize wrote (counts, adjustments), so that their
        // stock-change events are derived within the fold window like an order's (the fold's own
        // balance writes are stamped by the fold and not handed back to it)
        filters: [
          FilterCriteria.filter({ dynamodb: { Keys: { pk: { S: FilterRule.beginsWith(FOLD_PK_PREFIX) } } } }),
          FilterCriteria.filter({
            dynamodb: { NewImage: { [COUNTED_BY.attribute]: { S: FilterRule.isEqual(COUNTED_BY.value) } } },
          }),
        ],
      }),
    );
    Validations.of(this.fold.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "dynamodb:ListStreams, which the stream event source needs, does not support resource-level permissions; the stream reads themselves (DescribeStream, GetShardIterator, GetRecords) are granted on this table's stream only.",
    });

    // GET /, /api, /openapi.json and /health: no table, queue or secret, so its role writes logs only
    this.docs = new HubFunction(this, 'Docs', {
      name: 'docs',
      stage,
      tracing: ctx.tracing,
      logRetention,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.docs),
    });

    // ---- read API ---------------------------------------------------------------------------

    this.api = new HttpApi(this, 'ReadApi', {
      apiName: `inventory-hub-${stage}`,
      // the default stage is declared below, with throttling and access logs
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'ReadApiAccessLogs', {
      retention: logRetention,
      removalPolicy: statefulRemoval,
    });
    this.apiStage = new HttpStage(this, 'ReadApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      // account-level defaults are 10,000 rps; a read API for warehouses and managers needs far
      // less, and a low ceiling bounds what a leaked key can cost
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // HTTP API variables only: the REST-API presets name $context fields HTTP APIs lack
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            httpMethod: '$context.httpMethod',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    const integrations: Record<RouteFunction, HttpLambdaIntegration> = {
      stock: new HttpLambdaIntegration('StockIntegration', this.stock.fn),
      kpi: new HttpLambdaIntegration('KpiIntegration', this.kpi.fn),
      docs: new HttpLambdaIntegration('DocsIntegration', this.docs.fn),
    };
    const publicRouteSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    const cfnStage = this.apiStage.node.defaultChild as CfnStage;
    for (const spec of HTTP_API_ROUTES as readonly RouteSpec[]) {
      const { method, path } = spec;
      const [route] = this.api.addRoutes({ path, methods: [method as HttpMethod], integration: integrations[spec.fn] });
      const isPublic = spec.public === true;
      if (isPublic) {
        publicRouteSettings[`${method} ${path}`] = {
          ThrottlingRateLimit: PUBLIC_ROUTE_THROTTLE.rateLimit,
          ThrottlingBurstLimit: PUBLIC_ROUTE_THROTTLE.burstLimit,
        };
        // a stage's route settings may name only routes that already exist
        if (route) cfnStage.node.addDependency(route);
      }
      if (route) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: isPublic
            ? 'Public by design: it serves no data (the API description and its reference page, a landing page, a liveness answer, a page that asks for a key); its own route throttle bounds its use.'
            : 'Callers present hub API keys (hashed, scoped per partner and channel) that the function checks against the table; an API Gateway authorizer would add a second Lambda invocation per request.',
        });
      }
    }
    cfnStage.routeSettings = publicRouteSettings;

    // ---- monitoring -------------------------------------------------------------------------

    this.monitoring = new HubMonitoring(this, 'Monitoring', {
      stage,
      functions: {
        ingest: this.ingest,
        normalize: this.normalize,
        hydrate: this.hydrate,
        outbound: this.outbound,
        stock: this.stock,
        kpi: this.kpi,
        fold: this.fold,
        docs: this.docs,
      },
      streamConsumers: { fold: this.fold },
      queues: [
        { label: 'Ingest', queue: this.ingestQueue, dlq: this.ingestDlq },
        ...(this.spapiQueue && this.spapiDlq ? [{ label: 'Spapi', queue: this.spapiQueue, dlq: this.spapiDlq }] : []),
        { label: 'Hydrate', queue: this.hydrateQueue, dlq: this.hydrateDlq },
        { label: 'Outbound', queue: this.outboundQueue, dlq: this.outboundDlq },
      ],
      table: this.table,
      api: this.api,
      alarmEmail: ctx.alarmEmail,
      quarantineThreshold: ctx.quarantineAlarmThreshold,
      lean: ctx.lean,
      dashboard: ctx.dashboard,
    });

    // ---- outputs ----------------------------------------------------------------------------
    // infra/local/provision.ts finds the resources in the template through these outputs.

    new CfnOutput(this, 'WebhookUrl', {
      value: this.webhookUrl.url,
      description:
        'Give senders <WebhookUrl>webhooks/<connectionId> (npm run hub -- connections add prints it with HUB_PUBLIC_URL set to this)',
    });
    new CfnOutput(this, 'ApiUrl', {
      value: this.apiStage.url,
      description:
        'The stock and KPI APIs, the dashboard (<ApiUrl>/dashboard) and the API reference (<ApiUrl>/openapi.json)',
    });
    new CfnOutput(this, 'TableName', {
      value: this.table.tableName,
      description: 'HUB_TABLE_NAME for the admin CLI against this stage',
    });
    new CfnOutput(this, 'IngestQueueUrl', {
      value: this.ingestQueue.queueUrl,
      description: 'HUB_INGEST_QUEUE_URL for the admin CLI (quarantine replay)',
    });
    new CfnOutput(this, 'DlqUrl', {
      value: this.ingestDlq.queueUrl,
      description: 'HUB_INGEST_DLQ_URL for the admin CLI (dlq redrive)',
    });
    new CfnOutput(this, 'HydrateQueueUrl', {
      value: this.hydrateQueue.queueUrl,
      description: 'Fetches of thin Square and BigCommerce orders',
    });
    new CfnOutput(this, 'HydrateDlqUrl', {
      value: this.hydrateDlq.queueUrl,
      description: 'Fetches that kept failing (redrive from the SQS console)',
    });
    new CfnOutput(this, 'OutboundQueueUrl', {
      value: this.outboundQueue.queueUrl,
      description: 'HUB_OUTBOUND_QUEUE_URL: stock-change events and delivery retries (subscriptions replay)',
    });
    new CfnOutput(this, 'OutboundDlqUrl', {
      value: this.outboundDlq.queueUrl,
      description: 'Outbound messages whose table or queue calls kept failing (redrive from the SQS console)',
    });
    new CfnOutput(this, 'BodyBucket', {
      value: this.bodyBucket.bucketName,
      description: "Bodies over the queue's message size (claim check)",
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: "Subscribe an address or a pager to the hub's alarms",
    });
    if (this.monitoring.dashboard)
      new CfnOutput(this, 'DashboardName', {
        value: this.monitoring.dashboard.dashboardName,
        description: 'The CloudWatch dashboard with every alarm',
      });
    if (this.spapiQueue && this.spapiDlq) {
      new CfnOutput(this, 'SpapiQueueUrl', {
        value: this.spapiQueue.queueUrl,
        description: 'Subscribe Amazon SP-API notifications (SQS destination) to this queue',
      });
      new CfnOutput(this, 'SpapiDlqUrl', {
        value: this.spapiDlq.queueUrl,
        description: 'SP-API notifications that kept failing',
      });
    }
  }

  /**
   * Table access by explicit actions and ARNs instead of `grantReadData`: the grant helpers add
   * `<table>/index/*`, and naming the one index keeps every policy free of wildcards.
   */
  private allowTable(
    fn: HubFunction,
    actions: { table: string[]; index?: string[] },
    partitions?: readonly string[],
  ): void {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: actions.table,
        resources: [this.table.tableArn],
        ...(partitions
          ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...partitions] } } }
          : {}),
      }),
    );
    if (actions.index?.length) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: actions.index, resources: [`${this.table.tableArn}/index/byUpdated`] }),
      );
    }
  }

  /** One object action on the body bucket (the grant helpers add `s3:Abort*`, `s3:List*` and more). */
  private allowBodies(fn: HubFunction, action: 's3:PutObject' | 's3:GetObject'): void {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [action], resources: [this.bodyBucket.arnForObjects('*')] }),
    );
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(this, this.bodyBucket.arnForObjects('*'))}]`,
      reason:
        'Object keys are delivery ids minted per request, so no fixed key can be named; the bucket holds nothing but claim-checked bodies.',
    });
  }
}

/**
 * A work queue and its dead-letter queue (`<name>Queue`, `<name>Dlq`): both SSE-SQS and TLS-only;
 * the queue keeps messages 4 days, the DLQ the maximum 14, so an outage noticed after a long
 * weekend can still be redriven.
 */
function queueWithDlq(
  scope: Construct,
  name: string,
  opts: { visibilityTimeout: Duration; maxReceiveCount: number; deliveryDelay?: Duration },
): { queue: Queue; dlq: Queue } {
  const dlq = new Queue(scope, `${name}Dlq`, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledgeIsDlq(dlq);
  const queue = new Queue(scope, `${name}Queue`, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(4),
    visibilityTimeout: opts.visibilityTimeout,
    deadLetterQueue: { queue: dlq, maxReceiveCount: opts.maxReceiveCount },
    ...(opts.deliveryDelay ? { deliveryDelay: opts.deliveryDelay } : {}),
  });
  return { queue, dlq };
}

function acknowledgeIsDlq(queue: Queue): void {
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'This queue is a dead-letter queue; its messages are redriven by an operator, not forwarded again.',
  });
}

/**
 * How cdk-nag prints a resource in an IAM5 finding id (`Ref` → `<Id>`, `GetAtt` → `<Id.Attr>`,
 * joins flattened), so an acknowledgement names exactly the ARN the policy grants whether the stack
 * is environment-agnostic or pinned to an account and region.
 */
function nagResource(stack: Stack, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.Ref === 'string') return `<${o.Ref}>`;
      if (Array.isArray(o['Fn::GetAtt'])) return `<${o['Fn::GetAtt'].join('.')}>`;
      const join = o['Fn::Join'];
      if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map(render).join(String(join[0]));
    }
    throw new Error(`cannot render ${JSON.stringify(v)} as a cdk-nag finding`);
  };
  return render(stack.resolve(value));
}
