import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUBSCRIPTION_ROUTES } from '#shared/http/subscription-routes.ts';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HubStack } from '#infra/hub-stack.ts';
import { synthHubTemplate } from '#infra/local/template.ts';

const dev = () => Template.fromJSON(synthHubTemplate({ stage: 'dev' }));
const prod = () => Template.fromJSON(synthHubTemplate({ stage: 'prod' }));

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string }
>;

/** The logical id of a resource whose construct path ends with `.../<id>/...`. */
function logicalIdOf(t: Template, type: string, idPrefix: string): string {
  const ids = Object.keys(t.findResources(type)).filter((id) => id.startsWith(idPrefix));
  expect(ids, `${type} starting with ${idPrefix}`).toHaveLength(1);
  return ids[0]!;
}

/** Every IAM action a function's role may perform, with the resources granted. */
function grantsOf(t: Template, fnPrefix: string): Array<{ actions: string[]; resources: unknown[] }> {
  const roleId = logicalIdOf(t, 'AWS::IAM::Role', `${fnPrefix}Role`);
  const policies = Object.values(t.findResources('AWS::IAM::Policy') as Resources).filter((p) =>
    (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId),
  );
  return policies.flatMap((p) =>
    (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).map((s) => ({
      actions: ([] as string[]).concat(s.Action),
      resources: ([] as unknown[]).concat(s.Resource),
    })),
  );
}

describe('HubStack functions', () => {
  it('deploys eight Node.js 22 functions on arm64: ingest with the queue and bucket, three more with the table alone', () => {
    const t = dev();
    t.resourceCountIs('AWS::Lambda::Function', 8);
    t.resourcePropertiesCountIs('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Architectures: ['arm64'] }, 8);
    t.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON', LogGroup: Match.anyValue() }),
        Environment: {
          Variables: Match.objectLike({
            HUB_TABLE_NAME: Match.anyValue(),
            HUB_STAGE: 'dev',
            POWERTOOLS_SERVICE_NAME: Match.stringLikeRegexp('^inventory-hub-(normalize|stock|kpi|hydrate)$'),
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      },
      4,
    );
    // ingest runs at Lambda's smallest size: its work is a signature check and one SendMessage
    t.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 128,
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'inventory-hub-ingest' }) },
    });
    // only ingest sends to the queue and claim-checks bodies
    const hubVars = (name: string) =>
      Object.keys(
        Object.values(t.findResources('AWS::Lambda::Function') as Resources).find(
          (f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === `inventory-hub-${name}`,
        )!.Properties.Environment.Variables,
      )
        .filter((k) => k.startsWith('HUB_'))
        .sort();
    expect(hubVars('ingest')).toEqual(['HUB_BODY_BUCKET', 'HUB_INGEST_QUEUE_URL', 'HUB_STAGE', 'HUB_TABLE_NAME']);
    expect(hubVars('kpi')).toEqual(['HUB_STAGE', 'HUB_TABLE_NAME']);
    // stock also serves the subscriptions admin API, whose replays go onto the outbound queue
    expect(hubVars('stock')).toEqual(['HUB_OUTBOUND_QUEUE_URL', 'HUB_STAGE', 'HUB_TABLE_NAME']);
    // normalize queues fetches of thin orders (hydrate requeues them) and knows the SP-API queue,
    // whose records it takes only if they are Amazon's; it and hydrate hash customers with the salt
    // the stack generates (its secret's ARN, not its value)
    expect(hubVars('normalize')).toEqual([
      'HUB_CUSTOMER_SALT_ID',
      'HUB_HYDRATE_QUEUE_URL',
      'HUB_SPAPI_QUEUE_ARN',
      'HUB_STAGE',
      'HUB_TABLE_NAME',
    ]);
    // hydrate replays onto the ingest queue the deliveries that waited for a listing it looked up
    expect(hubVars('hydrate')).toEqual([
      'HUB_CUSTOMER_SALT_ID',
      'HUB_HYDRATE_QUEUE_URL',
      'HUB_INGEST_QUEUE_URL',
      'HUB_STAGE',
      'HUB_TABLE_NAME',
    ]);
    // tracing is opt-in
    t.resourcePropertiesCountIs('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } }, 0);
    // fold needs the table, and the outbound queue for the stock-change events it derives
    const fold = Object.values(t.findResources('AWS::Lambda::Function') as Resources).find(
      (f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'inventory-hub-fold',
    )!.Properties;
    expect(
      Object.keys(fold.Environment.Variables)
        .filter((k) => k.startsWith('HUB_'))
        .sort(),
    ).toEqual(['HUB_OUTBOUND_QUEUE_URL', 'HUB_STAGE', 'HUB_TABLE_NAME']);
    expect(fold).toMatchObject({ MemorySize: 1769, Timeout: 60, Architectures: ['arm64'] });
  });

  it('describes every stack output, so a reader of the deploy knows what each is for', () => {
    // Prepare / Act
    const outputs = Object.entries(dev().toJSON().Outputs as Record<string, { Description?: string }>);
    // Assess
    expect(outputs.length).toBeGreaterThan(5);
    expect(outputs.filter(([, o]) => !o.Description).map(([name]) => name)).toEqual([]);
  });

  it('gives kpi and fold the same merchant time zone with -c merchantTimeZone, and neither one without', () => {
    const zoneOf = (t: Template) =>
      Object.fromEntries(
        Object.values(t.findResources('AWS::Lambda::Function') as Resources)
          .map((f) => f.Properties.Environment.Variables as Record<string, unknown>)
          .filter((v) => v.HUB_MERCHANT_TIME_ZONE !== undefined)
          .map((v) => [v.POWERTOOLS_SERVICE_NAME, v.HUB_MERCHANT_TIME_ZONE]),
      );
    expect(zoneOf(dev())).toEqual({});
    expect(zoneOf(Template.fromJSON(synthHubTemplate({ context: { merchantTimeZone: 'Europe/Berlin' } })))).toEqual({
      'inventory-hub-kpi': 'Europe/Berlin',
      'inventory-hub-fold': 'Europe/Berlin',
    });
    expect(() => synthHubTemplate({ context: { merchantTimeZone: 'Mars/Olympus' } })).toThrow(/merchantTimeZone/);
  });

  it('turns on active tracing everywhere with -c tracing=true', () => {
    const t = Template.fromJSON(synthHubTemplate({ context: { tracing: 'true' } }));
    t.resourcePropertiesCountIs('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } }, 8);
  });

  it('exposes ingest through a public function URL and caps its concurrency', () => {
    const t = dev();
    const ingestId = logicalIdOf(t, 'AWS::Lambda::Function', 'IngestFn');
    t.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [ingestId, 'Arn'] },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'inventory-hub-ingest' }) },
    });
    // no reservation by default: a new account (quota 10) refuses any, so the first deploy must not ask
    t.resourcePropertiesCountIs('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.anyValue() }, 0);
    // an unauthenticated URL needs a public invoke permission, or every webhook gets a 403
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunctionUrl',
      FunctionName: { 'Fn::GetAtt': [ingestId, 'Arn'] },
      Principal: '*',
      FunctionUrlAuthType: 'NONE',
    });
  });

  it('rejects a malformed context value instead of deploying a surprise', () => {
    expect(() => synthHubTemplate({ context: { ingestConcurrency: 'lots' } })).toThrow(/ingestConcurrency/);
    expect(() => synthHubTemplate({ context: { foldWindowSeconds: 301 } })).toThrow(/foldWindowSeconds/);
    Template.fromJSON(synthHubTemplate({ context: { foldWindowSeconds: '30' } })).hasResourceProperties(
      'AWS::Lambda::EventSourceMapping',
      {
        MaximumBatchingWindowInSeconds: 30,
        TumblingWindowInSeconds: 60,
      },
    );
    expect(() => synthHubTemplate({ context: { normalizeWindowSeconds: -1 } })).toThrow(/normalizeWindowSeconds/);
    const quiet = Template.fromJSON(synthHubTemplate({ context: { normalizeWindowSeconds: '20' } }));
    // both queues normalize reads gather for 20 s, and their visibility timeouts cover the window
    quiet.resourcePropertiesCountIs(
      'AWS::Lambda::EventSourceMapping',
      { MaximumBatchingWindowInSeconds: 20, BatchSize: 100 },
      2,
    );
    quiet.resourcePropertiesCountIs('AWS::SQS::Queue', { VisibilityTimeout: 200 }, 2);
    const t = Template.fromJSON(synthHubTemplate({ context: { ingestConcurrency: '50' } }));
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'inventory-hub-ingest' }) },
      ReservedConcurrentExecutions: 50,
    });
    t.resourcePropertiesCountIs('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.anyValue() }, 1);
  });

  it('grants each function only what it needs', () => {
    const t = dev();
    const actions = (fn: string) => grantsOf(t, fn).flatMap((g) => g.actions);

    expect(actions('Ingest')).toEqual(
      expect.arrayContaining(['sqs:SendMessage', 's3:PutObject', 'dynamodb:GetItem', 'secretsmanager:GetSecretValue']),
    );
    expect(actions('Ingest').filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
    expect(actions('Ingest')).not.toContain('s3:GetObject');
    const secretGrant = grantsOf(t, 'Ingest').find((g) => g.actions.includes('secretsmanager:GetSecretValue'));
    expect(JSON.stringify(secretGrant?.resources)).toContain(':secret:hub/dev/connections/*');

    expect(actions('Normalize')).toEqual(
      expect.arrayContaining([
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        's3:GetObject',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
      ]),
    );
    expect(actions('Normalize')).not.toContain('s3:PutObject');
    // its one secret: the customer-hash salt, no connection's
    const normalizeSecrets = grantsOf(t, 'Normalize').filter((g) =>
      g.actions.includes('secretsmanager:GetSecretValue'),
    );
    expect(normalizeSecrets.flatMap((g) => g.resources)).toEqual([
      { Ref: Object.keys(t.findResources('AWS::SecretsManager::Secret'))[0] },
    ]);

    expect(actions('Stock')).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem']));
    expect(actions('Kpi')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    // its one write: partner-reported figures (PutItem in a transaction; FIG#… by its partitions)
    expect(actions('Kpi').filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([
      'dynamodb:PutItem',
    ]);
    expect(actions('Kpi').filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('logs:'))).toEqual([]);
    // the subscriptions admin API's replays onto the outbound queue
    expect(actions('Stock').filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('logs:'))).toEqual([
      'sqs:SendMessage',
    ]);
    // the fold's one call outside the table: stock-change events to the outbound queue
    expect(actions('Fold').filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('logs:'))).toEqual([
      'sqs:SendMessage',
    ]);

    // fold: the counters on the table, the channel list on the index, and its own stream
    const tableId = logicalIdOf(t, 'AWS::DynamoDB::Table', 'Table');
    const foldGrants = grantsOf(t, 'Fold').filter((g) => g.actions.some((a) => a.startsWith('dynamodb:')));
    const onTable = foldGrants.filter(
      (g) => JSON.stringify(g.resources) === JSON.stringify([{ 'Fn::GetAtt': [tableId, 'Arn'] }]),
    );
    expect(onTable.flatMap((g) => g.actions).sort()).toEqual(
      ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'].sort(),
    );
    const onIndex = foldGrants.filter((g) => JSON.stringify(g.resources).includes('/index/byUpdated'));
    expect(onIndex.flatMap((g) => g.actions)).toEqual(['dynamodb:Query']);
    const onStream = foldGrants.filter(
      (g) => JSON.stringify(g.resources) === JSON.stringify([{ 'Fn::GetAtt': [tableId, 'StreamArn'] }]),
    );
    expect(onStream.flatMap((g) => g.actions).sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
    ]);
    // the one action with no resource-level permissions (acknowledged for cdk-nag in hub-stack.ts)
    const anywhere = foldGrants.filter((g) => g.resources.includes('*'));
    expect(anywhere.flatMap((g) => g.actions)).toEqual(['dynamodb:ListStreams']);
    expect(foldGrants.length).toBe(onTable.length + onIndex.length + onStream.length + anywhere.length);
    expect(actions('Fold').filter((a) => /^dynamodb:(Delete|BatchWrite|Scan)/.test(a))).toEqual([]);

    // no policy anywhere grants a bare `*` action
    expect(['Ingest', 'Normalize', 'Stock', 'Kpi', 'Fold'].flatMap(actions).filter((a) => a.includes('*'))).toEqual([]);
  });
});

describe('HubStack queues', () => {
  it('redrives the ingest queue to its DLQ after five receives, with a visibility timeout of six normalize timeouts', () => {
    const t = dev();
    const dlqId = logicalIdOf(t, 'AWS::SQS::Queue', 'IngestDlq');
    const queueId = logicalIdOf(t, 'AWS::SQS::Queue', 'IngestQueue');
    const queues = t.findResources('AWS::SQS::Queue') as Resources;
    const queue = queues[queueId]!.Properties;
    const normalize = Object.values(t.findResources('AWS::Lambda::Function') as Resources).find(
      (f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'inventory-hub-normalize',
    )!.Properties;

    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 });
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * normalize.Timeout);
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queues[dlqId]!.Properties).toMatchObject({
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
  });

  it('denies non-TLS access to every queue', () => {
    const t = dev();
    t.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      8,
    );
  });

  it('feeds normalize from the ingest and SP-API queues in batches with partial failures', () => {
    const t = dev();
    const normalizeId = logicalIdOf(t, 'AWS::Lambda::Function', 'NormalizeFn');
    for (const queuePrefix of ['IngestQueue', 'SpapiQueue']) {
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(t, 'AWS::SQS::Queue', queuePrefix), 'Arn'] },
        FunctionName: { Ref: normalizeId },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        ScalingConfig: { MaximumConcurrency: 10 },
      });
    }
    // the two queues, the hydrate and outbound queues, plus the table's stream for fold
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 5);
  });

  it('feeds hydrate from its own queue, a few records at a time, redriven to its DLQ after ten receives', () => {
    const t = dev();
    const queueId = logicalIdOf(t, 'AWS::SQS::Queue', 'HydrateQueue');
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: logicalIdOf(t, 'AWS::Lambda::Function', 'HydrateFn') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const queues = t.findResources('AWS::SQS::Queue');
    expect(queues[queueId]!.Properties).toMatchObject({
      VisibilityTimeout: 180,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(t, 'AWS::SQS::Queue', 'HydrateDlq'), 'Arn'] },
        maxReceiveCount: 10,
      },
    });
    expect(Object.keys(t.findOutputs('*'))).toEqual(expect.arrayContaining(['HydrateQueueUrl', 'HydrateDlqUrl']));
  });

  it('feeds outbound from its own queue, ten records at a time, redriven to its DLQ after five receives', () => {
    const t = dev();
    const queueId = logicalIdOf(t, 'AWS::SQS::Queue', 'OutboundQueue');
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: logicalIdOf(t, 'AWS::Lambda::Function', 'OutboundFn') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    const queues = t.findResources('AWS::SQS::Queue');
    expect(queues[queueId]!.Properties).toMatchObject({
      VisibilityTimeout: 360,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(t, 'AWS::SQS::Queue', 'OutboundDlq'), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    expect(Object.keys(t.findOutputs('*'))).toEqual(expect.arrayContaining(['OutboundQueueUrl', 'OutboundDlqUrl']));
  });

  it("lets Amazon's SP-API account send to the SP-API queue, which has its own DLQ", () => {
    const t = dev();
    const spapiId = logicalIdOf(t, 'AWS::SQS::Queue', 'SpapiQueue');
    const spapiDlqId = logicalIdOf(t, 'AWS::SQS::Queue', 'SpapiDlq');
    t.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [spapiDlqId, 'Arn'] }, maxReceiveCount: 5 },
    });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: spapiId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::437568002678:root']] } },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Resource: { 'Fn::GetAtt': [spapiId, 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('leaves the SP-API queue out with -c spapiQueue=false', () => {
    const t = Template.fromJSON(synthHubTemplate({ context: { spapiQueue: 'false' } }));
    t.resourceCountIs('AWS::SQS::Queue', 6);
    // the ingest queue, the hydrate and outbound queues and the stream
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 4);
    expect(Object.keys(t.findOutputs('*'))).not.toContain('SpapiQueueUrl');
  });
});

describe('HubStack table stream', () => {
  it('feeds fold from the table stream: order items and counted balances only, one batch per shard, retried whole until it succeeds', () => {
    const t = dev();
    const tableId = logicalIdOf(t, 'AWS::DynamoDB::Table', 'Table');
    const foldId = logicalIdOf(t, 'AWS::Lambda::Function', 'FoldFn');
    const mappings = Object.values(t.findResources('AWS::Lambda::EventSourceMapping') as Resources).filter(
      (m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: foldId }),
    );
    expect(mappings).toHaveLength(1);
    const m = mappings[0]!.Properties;
    expect(m).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10000,
      MaximumBatchingWindowInSeconds: 5,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: false,
      // only so the event carries shardId
      TumblingWindowInSeconds: 60,
    });
    // unlimited retries and no age limit (the defaults, -1): no record is ever skipped
    expect(m.MaximumRetryAttempts ?? -1).toBe(-1);
    expect(m.MaximumRecordAgeInSeconds ?? -1).toBe(-1);
    expect(m.FunctionResponseTypes).toBeUndefined();
    expect(m.DestinationConfig).toBeUndefined();
    expect(m.FilterCriteria.Filters).toHaveLength(2);
    // balances normalize wrote (counts, adjustments), not the fold's own
    expect(JSON.parse(m.FilterCriteria.Filters[1].Pattern)).toEqual({
      dynamodb: { NewImage: { by: { S: ['count'] } } },
    });
    expect(JSON.parse(m.FilterCriteria.Filters[0].Pattern)).toEqual({
      dynamodb: { Keys: { pk: { S: [{ prefix: 'ORDER#' }] } } },
    });
  });
});

describe('HubStack table and bucket', () => {
  it('declares the single table: keys, change-feed GSI, TTL, PITR, on-demand, encrypted', () => {
    dev().hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'feedPk', AttributeType: 'S' },
        { AttributeName: 'feedSk', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byUpdated',
          KeySchema: [
            { AttributeName: 'feedPk', KeyType: 'HASH' },
            { AttributeName: 'feedSk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('keeps a dev stack disposable', () => {
    const t = dev();
    t.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    t.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  });

  it('protects prod data: deletion protection and Retain on the table, Retain on the bucket', () => {
    const t = prod();
    t.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    t.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    t.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ HUB_STAGE: 'prod' }) } },
      8,
    );
  });

  it('keeps claim-checked bodies private, encrypted, TLS-only and for 14 days', () => {
    const t = dev();
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 14, Status: 'Enabled' })]),
      },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('HubStack read API', () => {
  it('routes the stock and KPI paths to their functions', () => {
    const t = dev();
    const integrationFor = (fnPrefix: string) => {
      const fnId = logicalIdOf(t, 'AWS::Lambda::Function', fnPrefix);
      const [id] = Object.entries(t.findResources('AWS::ApiGatewayV2::Integration') as Resources).find(
        ([, r]) => JSON.stringify(r.Properties.IntegrationUri) === JSON.stringify({ 'Fn::GetAtt': [fnId, 'Arn'] }),
      )!;
      return { 'Fn::Join': ['', ['integrations/', { Ref: id }]] };
    };
    const routes: Array<[string, string]> = [
      ['GET /v1/stock', 'StockFn'],
      ['GET /v1/stock/{sku}', 'StockFn'],
      ['POST /v1/stock/counts', 'StockFn'],
      ...SUBSCRIPTION_ROUTES.map((r): [string, string] => [r, 'StockFn']),
      ['GET /v1/kpis/channels', 'KpiFn'],
      ['GET /v1/kpis/channels/{channel}', 'KpiFn'],
      ['GET /v1/kpis/stock-alerts', 'KpiFn'],
      ['POST /v1/channels/{channel}/figures', 'KpiFn'],
      ['GET /dashboard', 'KpiFn'],
      ['GET /', 'DocsFn'],
      ['GET /api', 'DocsFn'],
      ['GET /openapi.json', 'DocsFn'],
      ['GET /health', 'DocsFn'],
    ];
    for (const [routeKey, fn] of routes) {
      t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, Target: integrationFor(fn) });
    }
    t.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length);
  });

  it('throttles and logs the default stage', () => {
    dev().hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
  });

  it("gives each public route its own, lower throttle, so they cannot spend the /v1 routes' allowance", () => {
    // Prepare
    const t = dev();
    // Act
    const [stageId, stage] = Object.entries(t.findResources('AWS::ApiGatewayV2::Stage') as Record<string, any>)[0]!;
    const settings = stage.Properties.RouteSettings as Record<
      string,
      { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }
    >;
    const defaults = stage.Properties.DefaultRouteSettings as {
      ThrottlingRateLimit: number;
      ThrottlingBurstLimit: number;
    };
    // Assess
    expect(Object.keys(settings ?? {}).sort()).toEqual([
      'GET /',
      'GET /api',
      'GET /dashboard',
      'GET /health',
      'GET /openapi.json',
    ]);
    for (const [route, s] of Object.entries(settings)) {
      expect(s.ThrottlingRateLimit, route).toBeLessThan(defaults.ThrottlingRateLimit);
      expect(s.ThrottlingBurstLimit, route).toBeLessThan(defaults.ThrottlingBurstLimit);
      expect(s.ThrottlingRateLimit, route).toBeGreaterThan(0);
    }
    // the stage names the routes, so CloudFormation must create them first
    const routeIds = Object.entries(t.findResources('AWS::ApiGatewayV2::Route') as Record<string, any>)
      .filter(([, r]) => Object.keys(settings).includes(r.Properties.RouteKey))
      .map(([id]) => id);
    expect(routeIds).toHaveLength(5);
    expect(t.toJSON().Resources[stageId].DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('outputs what a deployer and the local tools need', () => {
    const outputs = Object.keys(dev().findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining(['WebhookUrl', 'ApiUrl', 'TableName', 'IngestQueueUrl', 'DlqUrl', 'BodyBucket']),
    );
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('finds nothing unacknowledged in either stage, through the same Validations plugin `cdk synth` runs', () => {
    for (const stage of ['dev', 'prod'] as const) {
      // Prepare: the app as infra/app.ts builds it (CDK's own schema check is left to `cdk synth`:
      // it takes seconds per stage and says nothing about cdk-nag)
      const app = new App({
        context: { 'aws:cdk:bundling-stacks': [], stage },
        builtinCloudFormationValidation: false,
      });
      new HubStack(app, `InventoryHub-${stage}`, { stage });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      // Act: synth throws on an unacknowledged error; warnings only reach the report
      const assembly = app.synth();
      // Assess
      const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
        pluginReports: Array<{ pluginName: string; violations?: Array<{ ruleName: string; severity: string }> }>;
      };
      const violations = report.pluginReports.flatMap((r) =>
        (r.violations ?? []).map((v) => `${r.pluginName} ${v.severity} ${v.ruleName}`),
      );
      expect(violations, stage).toEqual([]);
    }
  });

  it('reports every finding, errors and warnings, with tracing on too', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], tracing: true } });
    const stack = new HubStack(app, 'InventoryHub-dev', { stage: 'dev' });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
  });

  it('would catch an unacknowledged finding (the check can fail)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new HubStack(app, 'InventoryHub-dev', { stage: 'dev' });
    new Queue(stack, 'Stray');
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
  });
});
