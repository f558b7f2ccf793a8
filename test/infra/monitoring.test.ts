import { describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HubStack } from '#infra/hub-stack.ts';
import { synthHubTemplate } from '#infra/local/template.ts';
import {
  DEFAULT_QUARANTINE_THRESHOLD,
  ITERATOR_AGE_MAX_MS,
  OLDEST_MESSAGE_MAX_AGE_SECONDS,
} from '#infra/monitoring.ts';

const dev = (context: Record<string, unknown> = {}) => Template.fromJSON(synthHubTemplate({ stage: 'dev', context }));
const prod = () => Template.fromJSON(synthHubTemplate({ stage: 'prod' }));

type Res = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

function idOf(t: Template, type: string, prefix: string): string {
  const ids = Object.keys(t.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}`).toHaveLength(1);
  return ids[0]!;
}

/** the resource an alarm's first dimension names (queues by QueueName, functions by Ref) */
const target = (a: Record<string, any>): string => a.Dimensions[0].Value.Ref ?? a.Dimensions[0].Value['Fn::GetAtt'][0];

function alarmsOn(t: Template, metricName: string): Array<Record<string, any>> {
  return Object.values(t.findResources('AWS::CloudWatch::Alarm') as Res)
    .map((r) => r.Properties)
    .filter((p) => p.MetricName === metricName);
}

describe('alarms', () => {
  it('fires when a DLQ holds any message, for each DLQ', () => {
    const t = dev();
    const alarms = alarmsOn(t, 'ApproximateNumberOfMessagesVisible');
    const dims = alarms.map((a) => target(a)).sort();
    expect(dims).toEqual(
      [
        idOf(t, 'AWS::SQS::Queue', 'IngestDlq'),
        idOf(t, 'AWS::SQS::Queue', 'SpapiDlq'),
        idOf(t, 'AWS::SQS::Queue', 'HydrateDlq'),
        idOf(t, 'AWS::SQS::Queue', 'OutboundDlq'),
      ].sort(),
    );
    for (const a of alarms) {
      expect(a).toMatchObject({
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        Statistic: 'Maximum',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('fires when the oldest queued message is older than 5 minutes', () => {
    const t = dev();
    const alarms = alarmsOn(t, 'ApproximateAgeOfOldestMessage');
    expect(alarms.map((a) => target(a)).sort()).toEqual(
      [
        idOf(t, 'AWS::SQS::Queue', 'IngestQueue'),
        idOf(t, 'AWS::SQS::Queue', 'SpapiQueue'),
        idOf(t, 'AWS::SQS::Queue', 'HydrateQueue'),
        idOf(t, 'AWS::SQS::Queue', 'OutboundQueue'),
      ].sort(),
    );
    expect(OLDEST_MESSAGE_MAX_AGE_SECONDS).toBe(300);
    for (const a of alarms) expect(a).toMatchObject({ Threshold: 300, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it("watches errors of every function and ingest's throttles", () => {
    const t = dev();
    const fnIds = Object.keys(t.findResources('AWS::Lambda::Function')).sort();
    expect(fnIds).toHaveLength(8);
    const ingestId = Object.entries(t.findResources('AWS::Lambda::Function') as Res)
      .filter(([, r]) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'inventory-hub-ingest')
      .map(([id]) => id);
    expect(ingestId).toHaveLength(1);
    for (const [metric, ids] of [
      ['Errors', fnIds],
      ['Throttles', ingestId],
    ] as const) {
      const alarms = alarmsOn(t, metric);
      expect(alarms.map((a) => target(a)).sort(), metric).toEqual(ids);
      for (const a of alarms) {
        expect(a).toMatchObject({
          Namespace: 'AWS/Lambda',
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
    }
  });

  it('fires when fold is more than 5 minutes behind the table stream', () => {
    const t = dev();
    const alarms = alarmsOn(t, 'IteratorAge');
    expect(alarms.map((a) => target(a))).toEqual([idOf(t, 'AWS::Lambda::Function', 'FoldFn')]);
    expect(ITERATOR_AGE_MAX_MS).toBe(300_000);
    expect(alarms[0]).toMatchObject({
      Namespace: 'AWS/Lambda',
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    // fold's errors alarm says what a failing stream batch means
    const foldErrors = alarmsOn(t, 'Errors').find((a) => target(a) === idOf(t, 'AWS::Lambda::Function', 'FoldFn'));
    expect(foldErrors?.AlarmDescription).toMatch(/retried from the first record/);
  });

  it("fires on quarantine growth, from normalize's own metric of this stage", () => {
    const [a, ...more] = alarmsOn(prod(), 'Quarantined');
    expect(more).toEqual([]);
    expect(a).toMatchObject({
      Namespace: 'InventoryHub',
      Statistic: 'Sum',
      Period: 900,
      Threshold: DEFAULT_QUARANTINE_THRESHOLD,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(a!.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'service', Value: 'inventory-hub-normalize' },
        { Name: 'stage', Value: 'prod' },
      ]),
    );
    expect(alarmsOn(dev({ quarantineAlarmThreshold: '25' }), 'Quarantined')[0]!.Threshold).toBe(25);
  });

  it('sends every alarm, and its recovery, to the alarm topic', () => {
    const t = dev();
    const topicRef = { Ref: idOf(t, 'AWS::SNS::Topic', 'MonitoringAlarmTopic') };
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm') as Res);
    // 4 DLQs + 4 queue ages + 8 functions × errors + ingest throttles + fold iterator age + fold skips + hydration unauthorized + outbound endpoint disabled + quarantine
    expect(alarms).toHaveLength(22);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([topicRef]);
      expect(a.Properties.OKActions).toEqual([topicRef]);
      expect(a.Properties.AlarmDescription).toMatch(/^\[dev\] .{40,}/);
    }
  });

  it('alarms on the first order change the fold leaves out of the KPIs', () => {
    const [a] = alarmsOn(dev(), 'FoldSkipped');
    expect(a).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Namespace: 'InventoryHub',
    });
    expect(a!.Dimensions).toEqual(expect.arrayContaining([{ Name: 'service', Value: 'inventory-hub-fold' }]));
  });

  it('alarms on the first fetch a sender refuses for its credentials', () => {
    const [a] = alarmsOn(dev(), 'HydrationUnauthorized');
    expect(a).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Namespace: 'InventoryHub',
    });
    expect(a!.Dimensions).toEqual(expect.arrayContaining([{ Name: 'service', Value: 'inventory-hub-hydrate' }]));
  });

  it('alarms on the first subscription endpoint disabled for failing', () => {
    const [a] = alarmsOn(dev(), 'OutboundEndpointDisabled');
    expect(a).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Namespace: 'InventoryHub',
    });
    expect(a!.Dimensions).toEqual(expect.arrayContaining([{ Name: 'service', Value: 'inventory-hub-outbound' }]));
  });

  it('drops the SP-API alarms with the SP-API queue', () => {
    const t = dev({ spapiQueue: 'false' });
    expect(alarmsOn(t, 'ApproximateNumberOfMessagesVisible')).toHaveLength(3);
    expect(alarmsOn(t, 'ApproximateAgeOfOldestMessage')).toHaveLength(3);
  });
});

describe('alarm topic', () => {
  it('has no subscription unless -c alarmEmail is given', () => {
    dev().resourceCountIs('AWS::SNS::Subscription', 0);
    const t = dev({ alarmEmail: 'ops@example.com' });
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: idOf(t, 'AWS::SNS::Topic', 'MonitoringAlarmTopic') },
    });
  });

  it('rejects an alarmEmail that is not an address', () => {
    expect(() => synthHubTemplate({ context: { alarmEmail: 'not-an-address' } })).toThrow(/alarmEmail/);
  });

  it('denies publishing over plain HTTP', () => {
    dev().hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('outputs the topic, and the dashboard when it is asked for', () => {
    expect(Object.keys(dev({ dashboard: true }).findOutputs('*'))).toEqual(
      expect.arrayContaining(['AlarmTopicArn', 'DashboardName']),
    );
    expect(Object.keys(dev().findOutputs('*'))).toContain('AlarmTopicArn');
    expect(Object.keys(dev().findOutputs('*'))).not.toContain('DashboardName');
    dev().resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});

describe('dashboard', () => {
  it('shows the alarms, the hub metrics, the queues, the functions, the API and the table', () => {
    const t = dev({ dashboard: true });
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(
      Object.values(t.findResources('AWS::CloudWatch::Dashboard') as Res)[0]!.Properties.DashboardBody,
    );
    for (const needle of [
      'DeliveriesAccepted',
      'DeliveriesRejected',
      'EventsApplied',
      'Quarantined',
      'Ignored',
      'Oversells',
      'UnmappedOrderLines',
      'NormalizeBatchFailures',
      'ApproximateAgeOfOldestMessage',
      'Throttles',
      'ConsumedWriteCapacityUnits',
      'IteratorAge',
      '5xx',
      'alarm',
    ]) {
      expect(body, needle).toContain(needle);
    }
    // hub metrics are read for this stage only
    expect(body).toContain('stage=\\\\\\"dev\\\\\\"');
  });
});

describe('stage protections', () => {
  it('protects prod from deletion: termination protection, Retain and deletion protection on the table, PITR', () => {
    const stackOf = (stage: 'dev' | 'prod') =>
      new HubStack(new App({ context: { 'aws:cdk:bundling-stacks': [], stage } }), `InventoryHub-${stage}`, { stage });
    expect(stackOf('prod').terminationProtection).toBe(true);
    expect(stackOf('dev').terminationProtection).toBe(false);
    const t = prod();
    t.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    });
    // function logs and API access logs outlive a prod stack too
    for (const lg of Object.values(t.findResources('AWS::Logs::LogGroup') as Res))
      expect(lg.DeletionPolicy).toBe('Retain');
  });

  it('encrypts every queue and the table at rest', () => {
    for (const t of [dev(), prod()]) {
      for (const q of Object.values(t.findResources('AWS::SQS::Queue') as Res))
        expect(q.Properties.SqsManagedSseEnabled).toBe(true);
      t.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true } });
    }
  });

  it('guards against floods: ingest has reserved concurrency when asked, normalize a poller cap, fold one batch per shard, the API a throttle', () => {
    const t = prod();
    // off by default (a new account refuses any reservation); -c ingestConcurrency=50 turns it on
    dev({ ingestConcurrency: 50 }).hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 50 });
    const mappings = Object.values(t.findResources('AWS::Lambda::EventSourceMapping') as Res);
    // SQS mappings are capped by MaximumConcurrency, the stream mapping by shards × ParallelizationFactor
    const fromQueues = mappings.filter((esm) => esm.Properties.StartingPosition === undefined);
    expect(fromQueues).toHaveLength(4);
    for (const esm of fromQueues) expect(esm.Properties.ScalingConfig.MaximumConcurrency).toBeLessThanOrEqual(10);
    const fromStream = mappings.filter((esm) => esm.Properties.StartingPosition !== undefined);
    expect(fromStream.map((esm) => esm.Properties.ParallelizationFactor)).toEqual([1]);
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('keeps secrets out of the template: functions get secret ARNs by policy, not values', () => {
    const text = JSON.stringify(prod());
    expect(text).not.toMatch(/whsec_|shpss_|"SecretString"/);
    // the one secret the stack makes is the customer-hash salt, its value generated at deploy time
    const secrets = Object.values(prod().findResources('AWS::SecretsManager::Secret') as Res);
    expect(secrets.map((s) => Object.keys(s.Properties.GenerateSecretString ?? {}).sort())).toEqual([
      ['ExcludePunctuation', 'PasswordLength'],
    ]);
    for (const fn of Object.values(prod().findResources('AWS::Lambda::Function') as Res)) {
      expect(Object.keys(fn.Properties.Environment.Variables).filter((k) => /SECRET|TOKEN|PASSWORD/i.test(k))).toEqual(
        [],
      );
    }
  });
});
