import { beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { GetBucketLifecycleConfigurationCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { provisionHub, provisionHubTable, type HubResources } from '#infra/local/provision.ts';
import { synthHubTemplate } from '#infra/local/template.ts';
import { awsEndpoint, testClients, uniqueName } from '#test/support/aws.ts';

const { dynamo, sqs, s3 } = testClients();

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
const template = synthHubTemplate();
const resources = template.Resources as Resources;
/** The template resource an output points at (`{ Ref: id }`). */
const fromOutput = (name: string) => resources[template.Outputs[name].Value.Ref]!.Properties;
const sortByName = <T extends { AttributeName?: string }>(xs: T[] = []) =>
  [...xs].sort((a, b) => (a.AttributeName ?? '').localeCompare(b.AttributeName ?? ''));

async function queueAttributes(url: string): Promise<Record<string, string>> {
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
}

describe('provisionHub', () => {
  let prefix: string;
  let hub: HubResources;

  beforeAll(async () => {
    prefix = uniqueName('prov');
    hub = await provisionHub({ endpoint: awsEndpoint(), prefix });
  });

  it('creates the table the stack declares: keys, attributes, GSI, billing mode, TTL, PITR', async () => {
    // Prepare
    const declared = fromOutput('TableName');
    // Act
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: hub.tableName }));
    const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: hub.tableName }));
    const backups = await dynamo.send(new DescribeContinuousBackupsCommand({ TableName: hub.tableName }));
    // Assess
    expect(hub.tableName).toBe(`${prefix}-table`);
    expect(Table?.KeySchema).toEqual(declared.KeySchema);
    expect(sortByName(Table?.AttributeDefinitions)).toEqual(sortByName(declared.AttributeDefinitions));
    expect(Table?.BillingModeSummary?.BillingMode).toBe(declared.BillingMode);
    expect(
      (Table?.GlobalSecondaryIndexes ?? []).map((i) => ({
        IndexName: i.IndexName,
        KeySchema: i.KeySchema,
        Projection: i.Projection,
      })),
    ).toEqual(declared.GlobalSecondaryIndexes);
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: declared.TimeToLiveSpecification.AttributeName,
    });
    expect(backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe(
      'ENABLED',
    );
    expect(Table?.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: declared.StreamSpecification.StreamViewType,
    });
    expect(Table?.LatestStreamArn).toEqual(expect.any(String));
  });

  it('gives a table made before the stack declared its stream one', async () => {
    // Prepare: the table as an older stack made it (no stream)
    const declared = fromOutput('TableName');
    const tableName = uniqueName('prov-nostream');
    await dynamo.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: declared.KeySchema,
        AttributeDefinitions: declared.AttributeDefinitions.filter((a: { AttributeName: string }) =>
          ['pk', 'sk'].includes(a.AttributeName),
        ),
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // Act
    await provisionHubTable({ endpoint: awsEndpoint(), tableName });
    // Assess
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('creates the queues with the redrive policy and visibility timeout of the template', async () => {
    const declared = fromOutput('IngestQueueUrl');
    const ingest = await queueAttributes(hub.ingestQueueUrl);
    const dlq = await queueAttributes(hub.ingestDlqUrl);

    expect(JSON.parse(ingest.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: dlq.QueueArn,
      maxReceiveCount: declared.RedrivePolicy.maxReceiveCount,
    });
    expect(Number(ingest.VisibilityTimeout)).toBe(declared.VisibilityTimeout);
    expect(Number(ingest.MessageRetentionPeriod)).toBe(declared.MessageRetentionPeriod);
    expect(Number(dlq.MessageRetentionPeriod)).toBe(fromOutput('DlqUrl').MessageRetentionPeriod);
    expect(hub).toMatchObject({
      maxReceiveCount: declared.RedrivePolicy.maxReceiveCount,
      visibilityTimeoutSeconds: declared.VisibilityTimeout,
    });
    expect(hub.ingestQueueUrl).toMatch(new RegExp(`/${prefix}-ingest$`));
    expect(hub.ingestDlqUrl).toMatch(new RegExp(`/${prefix}-ingest-dlq$`));
  });

  it('creates the SP-API queue with its own DLQ', async () => {
    expect(hub.spapiQueueUrl).toBeDefined();
    expect(hub.spapiDlqUrl).toBeDefined();
    const spapi = await queueAttributes(hub.spapiQueueUrl!);
    const spapiDlq = await queueAttributes(hub.spapiDlqUrl!);
    expect(JSON.parse(spapi.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: spapiDlq.QueueArn,
      maxReceiveCount: fromOutput('SpapiQueueUrl').RedrivePolicy.maxReceiveCount,
    });
  });

  it('creates the hydrate queue with its own DLQ, redrive and visibility timeout of the template, and its batch size', async () => {
    // Prepare
    const declared = fromOutput('HydrateQueueUrl');
    const mapping = Object.values(resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::EventSourceMapping' &&
        r.Properties.EventSourceArn['Fn::GetAtt'][0] === template.Outputs.HydrateQueueUrl.Value.Ref,
    )!.Properties;

    // Act
    const hydrate = await queueAttributes(hub.hydrateQueueUrl);
    const dlq = await queueAttributes(hub.hydrateDlqUrl);

    // Assess
    expect(JSON.parse(hydrate.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: dlq.QueueArn,
      maxReceiveCount: declared.RedrivePolicy.maxReceiveCount,
    });
    expect(Number(hydrate.VisibilityTimeout)).toBe(declared.VisibilityTimeout);
    expect(hub.hydrateQueueUrl).toMatch(new RegExp(`/${prefix}-hydrate$`));
    expect(hub.hydrateBatchSize).toBe(mapping.BatchSize);
  });

  it('takes the normalize batching from the event source mapping on the ingest queue', () => {
    const ingestId = template.Outputs.IngestQueueUrl.Value.Ref;
    const mapping = Object.values(resources).find(
      (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.EventSourceArn['Fn::GetAtt'][0] === ingestId,
    )!.Properties;
    expect(hub.normalizeBatchSize).toBe(mapping.BatchSize);
    expect(hub.normalizeBatchWindowSeconds).toBe(mapping.MaximumBatchingWindowInSeconds);
  });

  it("takes fold's batch size and filters from the event source mapping on the table's stream", () => {
    const tableId = template.Outputs.TableName.Value.Ref;
    const mapping = Object.values(resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::EventSourceMapping' &&
        JSON.stringify(r.Properties.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [tableId, 'StreamArn'] }),
    )!.Properties;
    expect(hub.fold).toEqual({
      batchSize: mapping.BatchSize,
      keyAttribute: 'pk',
      keyPrefix: 'ORDER#',
      newImageEquals: { attribute: 'by', value: 'count' },
    });
  });

  it('creates the body bucket with the 14-day expiry', async () => {
    await s3.send(new HeadBucketCommand({ Bucket: hub.bodyBucket }));
    const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: hub.bodyBucket }));
    expect(lifecycle.Rules?.map((r) => r.Expiration?.Days)).toEqual(
      fromOutput('BodyBucket').LifecycleConfiguration.Rules.map(
        (r: { ExpirationInDays: number }) => r.ExpirationInDays,
      ),
    );
  });

  it('is idempotent: a second run reuses everything', async () => {
    const again = await provisionHub({ endpoint: awsEndpoint(), prefix });
    expect(again).toEqual(hub);
  });

  it('moves a message received more than maxReceiveCount times to the DLQ', async () => {
    // Prepare
    const body = uniqueName('poison');
    await sqs.send(new SendMessageCommand({ QueueUrl: hub.ingestQueueUrl, MessageBody: body }));
    // Act: receive and never delete; a zero visibility timeout hands it straight back
    const receiveCounts: string[] = [];
    for (let i = 0; i <= hub.maxReceiveCount; i++) {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: hub.ingestQueueUrl,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      for (const m of got.Messages ?? []) receiveCounts.push(m.Attributes?.ApproximateReceiveCount ?? '?');
    }
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: hub.ingestDlqUrl, WaitTimeSeconds: 1 }));
    // Assess: delivered exactly maxReceiveCount times, then redriven on the next receive
    expect(receiveCounts).toEqual(Array.from({ length: hub.maxReceiveCount }, (_, i) => String(i + 1)));
    expect(dead.Messages?.map((m) => m.Body)).toEqual([body]);
  });
});
