import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { awsClientConfig } from '#shared/aws/config.ts';
import { synthHubTemplate } from './template.ts';

/** Where the local stand-ins of the stack's stateful resources are, and the settings they share. */
export interface HubResources {
  tableName: string;
  ingestQueueUrl: string;
  ingestDlqUrl: string;
  spapiQueueUrl?: string;
  spapiDlqUrl?: string;
  /** thin orders' fetches (hydrate): the queue, its DLQ, and how the runner batches for hydrate */
  hydrateQueueUrl: string;
  hydrateDlqUrl: string;
  hydrateBatchSize: number;
  /** stock-change events and delivery retries (outbound): the queue, its DLQ, the runner's batch */
  outboundQueueUrl: string;
  outboundDlqUrl: string;
  outboundBatchSize: number;
  bodyBucket: string;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  /** How the local runner should batch for `normalize`, as the stack's event source mapping does. */
  normalizeBatchSize: number;
  normalizeBatchWindowSeconds: number;
  /**
   * How the local runner should feed `fold` from the table's stream, as the stack's mapping does:
   * at most `batchSize` records per invocation, only records whose key `keyAttribute` (a string)
   * begins with `keyPrefix` (the mapping's filter).
   */
  fold: {
    batchSize: number;
    keyAttribute: string;
    keyPrefix: string;
    /** and records whose new image has `attribute` equal to `value` (the mapping's second filter) */
    newImageEquals?: { attribute: string; value: string };
  };
}

export interface ProvisionOptions {
  endpoint: string;
  region?: string;
  /** Prefix of every local resource name (default `hub-local`); tests pass a unique one. */
  prefix?: string;
}

// ---- the parts of the template this file reads ------------------------------------------------

const ref = z.object({ Ref: z.string() });
const getAtt = z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) });
const keySchema = z.array(z.object({ AttributeName: z.string(), KeyType: z.enum(['HASH', 'RANGE']) }));

const tableProps = z.object({
  KeySchema: keySchema,
  AttributeDefinitions: z.array(z.object({ AttributeName: z.string(), AttributeType: z.enum(['S', 'N', 'B']) })),
  BillingMode: z.enum(['PAY_PER_REQUEST', 'PROVISIONED']).optional(),
  GlobalSecondaryIndexes: z
    .array(
      z.object({
        IndexName: z.string(),
        KeySchema: keySchema,
        Projection: z.object({
          ProjectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']),
          NonKeyAttributes: z.array(z.string()).optional(),
        }),
      }),
    )
    .optional(),
  TimeToLiveSpecification: z.object({ AttributeName: z.string(), Enabled: z.boolean() }).optional(),
  PointInTimeRecoverySpecification: z.object({ PointInTimeRecoveryEnabled: z.boolean() }).optional(),
  StreamSpecification: z
    .object({ StreamViewType: z.enum(['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY']) })
    .optional(),
});

const queueProps = z.object({
  VisibilityTimeout: z.number().int().optional(),
  MessageRetentionPeriod: z.number().int().optional(),
  DelaySeconds: z.number().int().optional(),
  MaximumMessageSize: z.number().int().optional(),
  ReceiveMessageWaitTimeSeconds: z.number().int().optional(),
  RedrivePolicy: z.object({ deadLetterTargetArn: getAtt, maxReceiveCount: z.number().int().positive() }).optional(),
});

const bucketProps = z.object({
  LifecycleConfiguration: z
    .object({
      Rules: z.array(
        z.object({
          Id: z.string().optional(),
          Status: z.enum(['Enabled', 'Disabled']),
          Prefix: z.string().optional(),
          ExpirationInDays: z.number().int().optional(),
          AbortIncompleteMultipartUpload: z.object({ DaysAfterInitiation: z.number().int() }).optional(),
        }),
      ),
    })
    .optional(),
});

const eventSourceMappingProps = z.object({
  // a queue's Arn or a table's StreamArn
  EventSourceArn: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) }),
  BatchSize: z.number().int().positive().default(10),
  MaximumBatchingWindowInSeconds: z.number().int().nonnegative().default(0),
  FilterCriteria: z.object({ Filters: z.array(z.object({ Pattern: z.string() })) }).optional(),
});

/**
 * The one filter shape the local stream runner applies: a string key that begins with a prefix,
 * `{"dynamodb":{"Keys":{"<attr>":{"S":[{"prefix":"..."}]}}}}`. Any other pattern fails here, so a
 * changed filter in the stack cannot be silently ignored locally.
 */
const keyPrefixPattern = z.strictObject({
  dynamodb: z.strictObject({
    Keys: z.record(z.string(), z.strictObject({ S: z.tuple([z.strictObject({ prefix: z.string().min(1) })]) })),
  }),
});

const newImageEqualsPattern = z.strictObject({
  dynamodb: z.strictObject({
    NewImage: z.record(z.string(), z.strictObject({ S: z.tuple([z.string().min(1)]) })),
  }),
});

/** The fold mapping's filters: a key prefix, and optionally one new-image attribute's value. */
function foldFilters(filters: Array<{ Pattern: string }> | undefined): {
  keyAttribute: string;
  keyPrefix: string;
  newImageEquals?: { attribute: string; value: string };
} {
  const [first, second, ...more] = filters ?? [];
  if (!first || more.length)
    throw new Error('template: the fold mapping must have a key-prefix filter and at most one new-image filter');
  const prefix = keyPrefixFilter(first);
  if (!second) return prefix;
  const parsed = newImageEqualsPattern.safeParse(JSON.parse(second.Pattern));
  const attrs = parsed.success ? Object.entries(parsed.data.dynamodb.NewImage) : [];
  if (attrs.length !== 1)
    throw new Error(
      `template: the local stream runner understands only a new-image equality filter, not ${second.Pattern}`,
    );
  const [attribute, rule] = attrs[0]!;
  return { ...prefix, newImageEquals: { attribute, value: rule.S[0] } };
}

function keyPrefixFilter(only: { Pattern: string }): { keyAttribute: string; keyPrefix: string } {
  const parsed = keyPrefixPattern.safeParse(JSON.parse(only.Pattern));
  const keys = parsed.success ? Object.entries(parsed.data.dynamodb.Keys) : [];
  if (keys.length !== 1)
    throw new Error(`template: the local stream runner understands only a key-prefix filter, not ${only.Pattern}`);
  const [keyAttribute, rule] = keys[0]!;
  return { keyAttribute, keyPrefix: rule.S[0].prefix };
}

const templateSchema = z.object({
  Resources: z.record(z.string(), z.object({ Type: z.string(), Properties: z.unknown().optional() })),
  Outputs: z.object({
    TableName: z.object({ Value: ref }),
    IngestQueueUrl: z.object({ Value: ref }),
    DlqUrl: z.object({ Value: ref }),
    BodyBucket: z.object({ Value: ref }),
    SpapiQueueUrl: z.object({ Value: ref }).optional(),
    SpapiDlqUrl: z.object({ Value: ref }).optional(),
    HydrateQueueUrl: z.object({ Value: ref }),
    HydrateDlqUrl: z.object({ Value: ref }),
    OutboundQueueUrl: z.object({ Value: ref }),
    OutboundDlqUrl: z.object({ Value: ref }),
  }),
});
type Template = z.infer<typeof templateSchema>;

function resource<T extends z.ZodType>(tpl: Template, logicalId: string, type: string, schema: T): z.infer<T> {
  const res = tpl.Resources[logicalId];
  if (!res || res.Type !== type) throw new Error(`template: ${logicalId} is not a ${type}`);
  return schema.parse(res.Properties ?? {});
}

/**
 * Creates, against a local AWS-compatible endpoint (moto), the table, queues and bucket that the CDK
 * stack declares, read from the synthesized template: keys, indexes, TTL, redrive policy and
 * visibility timeout cannot drift from what is deployed, because there is no second copy of them.
 * Idempotent: what exists is reused and its settings brought in line with the template.
 */
export async function provisionHub(opts: ProvisionOptions): Promise<HubResources> {
  const region = opts.region ?? 'us-east-1';
  const prefix = opts.prefix ?? 'hub-local';
  const tpl = templateSchema.parse(synthHubTemplate());
  const cfg = awsClientConfig({ HUB_AWS_ENDPOINT: opts.endpoint, AWS_REGION: region });
  const dynamo = new DynamoDBClient(cfg);
  const sqs = new SQSClient(cfg);
  // moto serves buckets by path; virtual-hosted names would need wildcard DNS for 127.0.0.1
  const s3 = new S3Client({ ...cfg, forcePathStyle: true });

  try {
    const out = tpl.Outputs;
    const tableName = `${prefix}-table`;
    await ensureTable(dynamo, tableName, resource(tpl, out.TableName.Value.Ref, 'AWS::DynamoDB::Table', tableProps));

    const queues = new Queues(sqs, tpl);
    const ingestDlq = await queues.ensure(out.DlqUrl.Value.Ref, `${prefix}-ingest-dlq`);
    const ingest = await queues.ensure(out.IngestQueueUrl.Value.Ref, `${prefix}-ingest`);
    const spapiDlq = out.SpapiDlqUrl && (await queues.ensure(out.SpapiDlqUrl.Value.Ref, `${prefix}-spapi-dlq`));
    const spapi = out.SpapiQueueUrl && (await queues.ensure(out.SpapiQueueUrl.Value.Ref, `${prefix}-spapi`));
    const hydrateDlq = await queues.ensure(out.HydrateDlqUrl.Value.Ref, `${prefix}-hydrate-dlq`);
    const hydrate = await queues.ensure(out.HydrateQueueUrl.Value.Ref, `${prefix}-hydrate`);
    const outboundDlq = await queues.ensure(out.OutboundDlqUrl.Value.Ref, `${prefix}-outbound-dlq`);
    const outbound = await queues.ensure(out.OutboundQueueUrl.Value.Ref, `${prefix}-outbound`);

    const bodyBucket = `${prefix}-bodies`;
    await ensureBucket(s3, bodyBucket, region, resource(tpl, out.BodyBucket.Value.Ref, 'AWS::S3::Bucket', bucketProps));

    if (!ingest.props.RedrivePolicy) throw new Error('template: the ingest queue has no RedrivePolicy');
    if (ingest.props.VisibilityTimeout === undefined)
      throw new Error('template: the ingest queue has no VisibilityTimeout');
    const mappings = Object.values(tpl.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')
      .map((r) => eventSourceMappingProps.parse(r.Properties));
    const mapping = mappings.find((p) => p.EventSourceArn['Fn::GetAtt'][0] === out.IngestQueueUrl.Value.Ref);
    if (!mapping) throw new Error('template: no event source mapping reads the ingest queue');
    const streamMapping = mappings.find(
      (p) =>
        p.EventSourceArn['Fn::GetAtt'][0] === out.TableName.Value.Ref &&
        p.EventSourceArn['Fn::GetAtt'][1] === 'StreamArn',
    );
    if (!streamMapping) throw new Error("template: no event source mapping reads the table's stream");
    const hydrateMapping = mappings.find((p) => p.EventSourceArn['Fn::GetAtt'][0] === out.HydrateQueueUrl.Value.Ref);
    if (!hydrateMapping) throw new Error('template: no event source mapping reads the hydrate queue');
    const outboundMapping = mappings.find((p) => p.EventSourceArn['Fn::GetAtt'][0] === out.OutboundQueueUrl.Value.Ref);
    if (!outboundMapping) throw new Error('template: no event source mapping reads the outbound queue');

    return {
      tableName,
      ingestQueueUrl: ingest.url,
      ingestDlqUrl: ingestDlq.url,
      spapiQueueUrl: spapi ? spapi.url : undefined,
      spapiDlqUrl: spapiDlq ? spapiDlq.url : undefined,
      hydrateQueueUrl: hydrate.url,
      hydrateDlqUrl: hydrateDlq.url,
      hydrateBatchSize: hydrateMapping.BatchSize,
      outboundQueueUrl: outbound.url,
      outboundDlqUrl: outboundDlq.url,
      outboundBatchSize: outboundMapping.BatchSize,
      bodyBucket,
      maxReceiveCount: ingest.props.RedrivePolicy.maxReceiveCount,
      visibilityTimeoutSeconds: ingest.props.VisibilityTimeout,
      normalizeBatchSize: mapping.BatchSize,
      normalizeBatchWindowSeconds: mapping.MaximumBatchingWindowInSeconds,
      fold: { batchSize: streamMapping.BatchSize, ...foldFilters(streamMapping.FilterCriteria?.Filters) },
    };
  } finally {
    dynamo.destroy();
    sqs.destroy();
    s3.destroy();
  }
}

/**
 * Only the table, under a name of the caller's choosing (tests give each case its own table in one
 * moto): the same definition as the stack's, read from the synthesized template.
 */
export async function provisionHubTable(opts: { endpoint: string; region?: string; tableName: string }): Promise<void> {
  const tpl = templateSchema.parse(synthHubTemplate());
  const dynamo = new DynamoDBClient(
    awsClientConfig({ HUB_AWS_ENDPOINT: opts.endpoint, AWS_REGION: opts.region ?? 'us-east-1' }),
  );
  try {
    await ensureTable(
      dynamo,
      opts.tableName,
      resource(tpl, tpl.Outputs.TableName.Value.Ref, 'AWS::DynamoDB::Table', tableProps),
    );
  } finally {
    dynamo.destroy();
  }
}

// ---- table ---------------------------------------------------------------------------------

async function ensureTable(dynamo: DynamoDBClient, name: string, props: z.infer<typeof tableProps>): Promise<void> {
  let existing = await describeTable(dynamo, name);
  if (!existing) {
    await dynamo.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: props.KeySchema,
        AttributeDefinitions: props.AttributeDefinitions,
        BillingMode: props.BillingMode,
        GlobalSecondaryIndexes: props.GlobalSecondaryIndexes,
        StreamSpecification: props.StreamSpecification && {
          StreamEnabled: true,
          StreamViewType: props.StreamSpecification.StreamViewType,
        },
      }),
    );
    await waitUntilTableExists({ client: dynamo, maxWaitTime: 30, minDelay: 1 }, { TableName: name });
    existing = await describeTable(dynamo, name);
  } else {
    const sameKeys = JSON.stringify(existing.KeySchema) === JSON.stringify(props.KeySchema);
    if (!sameKeys) {
      throw new Error(
        `local table ${name} has keys ${JSON.stringify(existing.KeySchema)} but the stack declares ` +
          `${JSON.stringify(props.KeySchema)}; keys cannot change in place, so delete the table (or reset moto)`,
      );
    }
    // a stream added to the stack since the table was created locally (a stream's view type cannot
    // change in place: DynamoDB wants it disabled first, which ends the old stream)
    const stream = props.StreamSpecification;
    const current = existing.StreamSpecification;
    if (stream && current?.StreamEnabled && current.StreamViewType !== stream.StreamViewType) {
      throw new Error(
        `local table ${name} streams ${current.StreamViewType} but the stack declares ${stream.StreamViewType}; delete the table (or reset moto)`,
      );
    }
    if (stream && !current?.StreamEnabled) {
      await dynamo.send(
        new UpdateTableCommand({
          TableName: name,
          StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType },
        }),
      );
    }
    // an index added to the stack since the table was created locally
    const have = new Set((existing.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    for (const gsi of props.GlobalSecondaryIndexes ?? []) {
      if (have.has(gsi.IndexName)) continue;
      await dynamo.send(
        new UpdateTableCommand({
          TableName: name,
          AttributeDefinitions: props.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [{ Create: gsi }],
        }),
      );
    }
  }

  const ttl = props.TimeToLiveSpecification;
  if (ttl?.Enabled) {
    const current = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: name }));
    const desc = current.TimeToLiveDescription;
    if (desc?.TimeToLiveStatus !== 'ENABLED' || desc.AttributeName !== ttl.AttributeName) {
      await dynamo.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      );
    }
  }
  if (props.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled) {
    await dynamo.send(
      new UpdateContinuousBackupsCommand({
        TableName: name,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
  }
}

async function describeTable(dynamo: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await dynamo.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

// ---- queues --------------------------------------------------------------------------------

interface LocalQueue {
  url: string;
  arn: string;
  props: z.infer<typeof queueProps>;
}

/** Queues by logical id, so a redrive policy's `Fn::GetAtt [Dlq, Arn]` finds the local DLQ. */
class Queues {
  private readonly byLogicalId = new Map<string, LocalQueue>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly tpl: Template,
  ) {}

  async ensure(logicalId: string, name: string): Promise<LocalQueue> {
    const props = resource(this.tpl, logicalId, 'AWS::SQS::Queue', queueProps);
    const attributes = this.attributes(logicalId, props);
    let url = await this.queueUrl(name);
    if (url) {
      // brings a queue made by an older stack in line (CreateQueue refuses changed attributes)
      await this.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
    } else {
      url = (await this.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
      if (!url) throw new Error(`CreateQueue ${name} returned no URL`);
    }
    const got = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    const arn = got.Attributes?.QueueArn;
    if (!arn) throw new Error(`queue ${name} has no QueueArn`);
    const queue = { url, arn, props };
    this.byLogicalId.set(logicalId, queue);
    return queue;
  }

  /**
   * The template's queue properties as SQS attributes. Encryption (SqsManagedSseEnabled) and the
   * queue policy are left out: they guard the cloud queue and mean nothing to a local one. So is
   * DelaySeconds (the hydrate queue's): it gathers a sender's burst of webhooks into one fetch of
   * the real API, while locally a fetch should show at once (and the fake APIs cost nothing).
   */
  private attributes(logicalId: string, props: z.infer<typeof queueProps>): Record<string, string> {
    const attrs: Record<string, string> = {};
    const copy = [
      'VisibilityTimeout',
      'MessageRetentionPeriod',
      'MaximumMessageSize',
      'ReceiveMessageWaitTimeSeconds',
    ] as const;
    for (const key of copy) if (props[key] !== undefined) attrs[key] = String(props[key]);
    if (props.RedrivePolicy) {
      const dlqId = props.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
      const dlq = this.byLogicalId.get(dlqId);
      if (!dlq) throw new Error(`template: ${logicalId} redrives to ${dlqId}, which must be provisioned first`);
      attrs.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: props.RedrivePolicy.maxReceiveCount,
      });
    }
    return attrs;
  }

  private async queueUrl(name: string): Promise<string | undefined> {
    try {
      return (await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    } catch (err) {
      if (err instanceof QueueDoesNotExist) return undefined;
      throw err;
    }
  }
}

// ---- bucket --------------------------------------------------------------------------------

async function ensureBucket(
  s3: S3Client,
  name: string,
  region: string,
  props: z.infer<typeof bucketProps>,
): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw err;
    await s3.send(
      new CreateBucketCommand({
        Bucket: name,
        // us-east-1 is the one region that rejects an explicit location constraint
        CreateBucketConfiguration:
          region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint },
      }),
    );
  }
  const rules = props.LifecycleConfiguration?.Rules;
  if (rules?.length) {
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: name,
        LifecycleConfiguration: {
          Rules: rules.map((r, i) => ({
            ID: r.Id ?? `rule-${i}`,
            Status: r.Status,
            Filter: { Prefix: r.Prefix ?? '' },
            Expiration: r.ExpirationInDays === undefined ? undefined : { Days: r.ExpirationInDays },
            AbortIncompleteMultipartUpload: r.AbortIncompleteMultipartUpload,
          })),
        },
      }),
    );
  }
}
