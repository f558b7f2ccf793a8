import { describe, expect, it } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { synthHubTemplate } from '#infra/local/template.ts';
import { LEAN_ERROR_ALARM_FUNCTIONS, THROTTLE_ALARM_FUNCTIONS } from '#infra/monitoring.ts';
import { idleCost } from '../../bench/idle-cost.ts';

const synth = (stage: 'dev' | 'prod', context: Record<string, unknown> = {}) => synthHubTemplate({ stage, context });

type Res = Record<string, { Type: string; Properties: Record<string, any> }>;

const alarms = (t: Record<string, any>) =>
  Object.values(t.Resources as Res)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => r.Properties);

/** the alarmed function's logical id, by its metric's FunctionName dimension */
const fnIdOf = (a: Record<string, any>): string => a.Dimensions[0].Value.Ref;

function functionIds(t: Record<string, any>, names: readonly string[]): string[] {
  return Object.entries(t.Resources as Res)
    .filter(
      ([, r]) =>
        r.Type === 'AWS::Lambda::Function' &&
        names.some((n) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === `inventory-hub-${n}`),
    )
    .map(([id]) => id)
    .sort();
}

describe('-c lean=true', () => {
  it('keeps the alarms that catch lost or stuck work and drops the others', () => {
    const full = alarms(synth('dev'));
    const lean = alarms(synth('dev', { lean: true }));
    expect(lean.length).toBeLessThan(full.length);
    const t = synth('dev', { lean: 'true' });
    const on = (metric: string) => lean.filter((a) => a.MetricName === metric);
    // every DLQ and queue is still watched
    expect(on('ApproximateNumberOfMessagesVisible')).toHaveLength(
      full.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible').length,
    );
    expect(on('ApproximateAgeOfOldestMessage')).toHaveLength(
      full.filter((a) => a.MetricName === 'ApproximateAgeOfOldestMessage').length,
    );
    // errors only of the functions that carry deliveries, throttles only of ingest
    expect(on('Errors').map(fnIdOf).sort()).toEqual(functionIds(t, LEAN_ERROR_ALARM_FUNCTIONS));
    expect(on('Throttles').map(fnIdOf).sort()).toEqual(functionIds(t, THROTTLE_ALARM_FUNCTIONS));
    // the fold's lag and skips, and quarantine growth
    expect(on('IteratorAge')).toHaveLength(1);
    expect(
      lean
        .filter((a) => a.Namespace !== 'AWS/SQS' && a.Namespace !== 'AWS/Lambda')
        .map((a) => a.MetricName)
        .sort(),
    ).toEqual(
      full
        .filter((a) => a.Namespace !== 'AWS/SQS' && a.Namespace !== 'AWS/Lambda')
        .map((a) => a.MetricName)
        .sort(),
    );
    // every alarm still notifies the topic
    for (const a of lean) expect(a.AlarmActions).toHaveLength(1);
  });

  it('has no dashboard and no dashboard output', () => {
    const t = Template.fromJSON(synth('dev', { lean: true }));
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(Object.keys(t.findOutputs('*'))).not.toContain('DashboardName');
    Template.fromJSON(synth('dev', { lean: true, dashboard: true })).resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    Template.fromJSON(synth('dev', { dashboard: true })).resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('keeps logs three days in dev and a week in prod (a week and a month without it)', () => {
    const retention = (t: Record<string, any>) => [
      ...new Set(
        Object.values(t.Resources as Res)
          .filter((r) => r.Type === 'AWS::Logs::LogGroup')
          .map((r) => r.Properties.RetentionInDays),
      ),
    ];
    expect(retention(synth('dev', { lean: true }))).toEqual([3]);
    expect(retention(synth('prod', { lean: true }))).toEqual([7]);
    expect(retention(synth('dev'))).toEqual([7]);
    expect(retention(synth('prod'))).toEqual([30]);
  });

  it('changes nothing else: same functions, queues, table and event source mappings', () => {
    const count = (t: Record<string, any>, type: string) =>
      Object.values(t.Resources as Res).filter((r) => r.Type === type).length;
    for (const type of [
      'AWS::Lambda::Function',
      'AWS::SQS::Queue',
      'AWS::DynamoDB::Table',
      'AWS::Lambda::EventSourceMapping',
      'AWS::Logs::LogGroup',
      'AWS::SNS::Topic',
    ]) {
      expect(count(synth('dev', { lean: true }), type), type).toBe(count(synth('dev'), type));
    }
  });

  it('is refused when it is not a boolean', () => {
    expect(() => synth('dev', { lean: 'yes' })).toThrow(/lean/);
  });

  it('costs at most $6 a month idle with 3 connections, as the default stack does, and less than it', () => {
    const lean = idleCost(synth('prod', { lean: true }));
    const full = idleCost(synth('prod'));
    expect(full.total).toBeLessThanOrEqual(6);
    expect(lean.total).toBeLessThan(full.total);
    expect(full.lines.find((l) => l.item === 'CloudWatch dashboards')?.usd).toBe(0);
    expect(idleCost(synth('prod', { dashboard: true })).total).toBeGreaterThan(full.total);
    expect(lean.lines.find((l) => l.item === 'CloudWatch dashboards')?.usd).toBe(0);
  });
});
