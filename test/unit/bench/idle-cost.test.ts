import { describe, expect, it } from 'vitest';
import { IDLE_ASSUMPTIONS, idleCost } from '../../../bench/idle-cost.ts';
import { PRICES } from '../../../bench/prices.ts';

const template = {
  Resources: {
    A1: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors', Period: 300 } },
    A2: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Fast', Period: 10 } },
    A3: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Metrics: [{ Expression: 'm1+m2' }, { MetricStat: { Period: 60 } }, { MetricStat: { Period: 60 } }],
      },
    },
    C: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: {} },
    D: { Type: 'AWS::CloudWatch::Dashboard', Properties: {} },
    K: { Type: 'AWS::KMS::Key', Properties: {} },
    S: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    T: {
      Type: 'AWS::DynamoDB::Table',
      Properties: { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } },
    },
    L1: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 7 } },
    L2: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 7 } },
    Q: { Type: 'AWS::SQS::Queue', Properties: {} },
    Dlq: { Type: 'AWS::SQS::Queue', Properties: {} },
    QMap: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: { 'Fn::GetAtt': ['Q', 'Arn'] } } },
    StreamMap: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: { 'Fn::GetAtt': ['T', 'StreamArn'] } },
    },
  },
};

describe('idle stack cost from a template', () => {
  const { lines, total } = idleCost(template);
  const usd = (item: string) => lines.find((l) => l.item === item)?.usd;

  it('prices each alarm metric, a math alarm per metric in it and a high-resolution one at its own price', () => {
    const m = PRICES.monthly;
    expect(usd('CloudWatch alarms')).toBeCloseTo(3 * m.alarmStandardPerMetric + m.alarmHighResolutionPerMetric, 4);
    expect(usd('CloudWatch composite alarms')).toBe(m.compositeAlarm);
    expect(usd('CloudWatch dashboards')).toBe(m.dashboard);
    expect(usd('KMS customer-managed keys')).toBe(m.kmsCustomerKey);
  });

  it('counts a secret per connection, the eBay app secret and any the template makes', () => {
    expect(lines.find((l) => l.item === 'Secrets Manager secrets')?.count).toBe(IDLE_ASSUMPTIONS.connections + 1 + 1);
  });

  it('bills idle polling only for queues Lambda consumes, and nothing for the stream trigger', () => {
    const polls = lines.find((l) => l.item === 'SQS idle polling by Lambda')!;
    expect(polls.count).toBe(1);
    const perMonth =
      IDLE_ASSUMPTIONS.sqsPollersPerQueue *
      (3600 / IDLE_ASSUMPTIONS.sqsLongPollSeconds) *
      IDLE_ASSUMPTIONS.hoursPerMonth;
    expect(polls.usd).toBeCloseTo((perMonth * PRICES.sqs.standardPerMillionRequests) / 1e6, 4);
    expect(lines.find((l) => l.item === 'DynamoDB stream → Lambda')).toMatchObject({ count: 1, usd: 0 });
  });

  it('prices table storage and PITR on the assumed size, and names the log retention', () => {
    expect(usd('DynamoDB point-in-time recovery')).toBeCloseTo(
      IDLE_ASSUMPTIONS.tableGb * PRICES.dynamodb.pitrPerGbMonth,
      4,
    );
    expect(lines.find((l) => l.item === 'CloudWatch log groups')).toMatchObject({ count: 2 });
    expect(lines.find((l) => l.item === 'CloudWatch log groups')?.arithmetic).toMatch(/retention 7 days/);
  });

  it('adds up its lines', () => {
    expect(total).toBeCloseTo(
      lines.reduce((n, l) => n + l.usd, 0),
      4,
    );
  });
});
