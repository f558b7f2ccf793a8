import { PRICES } from './prices.ts';
import { round } from './lib.ts';

/**
 * What a deployed stack costs a month with no traffic at all, counted from its synthesized
 * CloudFormation template (so a resource added to the stack shows up here) at the list prices in
 * prices.ts. Usage charges (requests, durations, units) are zero when idle; what remains is what
 * CloudWatch, Secrets Manager, KMS and storage bill by the month.
 */
export const IDLE_ASSUMPTIONS = {
  connections: 3,
  /** the eBay app secret: read by ingest when an eBay connection exists (a small merchant may have one) */
  ebayAppSecret: true,
  /** a small merchant's table (orders, balances, ledger rows, KPI counters, its index) */
  tableGb: 1,
  /** CloudWatch Logs kept within the retention (an idle stack writes none; this is last month's) */
  logsGb: 0.5,
  /** claim-checked bodies kept for the bucket's expiry (large deliveries only) */
  bodiesGb: 0.1,
  /**
   * Lambda polls an SQS queue it consumes with long polls (20 s) even when the queue is empty: as
   * an estimate, 5 pollers × 3 ReceiveMessage calls a minute, billed as SQS requests.
   */
  sqsPollersPerQueue: 5,
  sqsLongPollSeconds: 20,
  hoursPerMonth: 730,
} as const;

export interface IdleLine {
  item: string;
  count: number;
  arithmetic: string;
  usd: number;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

/** Metrics an alarm evaluates (a math alarm pays for each metric in its expression) and its resolution. */
function alarmMetrics(p: Record<string, any>): { metrics: number; highResolution: boolean } {
  if (Array.isArray(p.Metrics)) {
    const stats = p.Metrics.filter((m: any) => m.MetricStat);
    return { metrics: stats.length, highResolution: stats.some((m: any) => (m.MetricStat.Period ?? 60) < 60) };
  }
  return { metrics: 1, highResolution: (p.Period ?? 60) < 60 };
}

export function idleCost(
  template: Record<string, any>,
  a: typeof IDLE_ASSUMPTIONS = IDLE_ASSUMPTIONS,
): { lines: IdleLine[]; total: number } {
  const res = Object.values(template.Resources as Resources);
  const of = (type: string) => res.filter((r) => r.Type === type);
  const m = PRICES.monthly;
  const lines: IdleLine[] = [];
  const add = (item: string, count: number, arithmetic: string, usd: number) =>
    lines.push({ item, count, arithmetic, usd: round(usd, 4) });

  let std = 0;
  let hi = 0;
  for (const r of of('AWS::CloudWatch::Alarm')) {
    const { metrics, highResolution } = alarmMetrics(r.Properties ?? {});
    if (highResolution) hi += metrics;
    else std += metrics;
  }
  const alarms = of('AWS::CloudWatch::Alarm').length;
  add(
    'CloudWatch alarms',
    alarms,
    `${std} standard-resolution metrics × $${m.alarmStandardPerMetric}${hi ? ` + ${hi} high-resolution × $${m.alarmHighResolutionPerMetric}` : ''}`,
    std * m.alarmStandardPerMetric + hi * m.alarmHighResolutionPerMetric,
  );
  const composites = of('AWS::CloudWatch::CompositeAlarm').length;
  if (composites)
    add(
      'CloudWatch composite alarms',
      composites,
      `${composites} × $${m.compositeAlarm}`,
      composites * m.compositeAlarm,
    );
  const dashboards = of('AWS::CloudWatch::Dashboard').length;
  add('CloudWatch dashboards', dashboards, `${dashboards} × $${m.dashboard}`, dashboards * m.dashboard);

  const stackSecrets = of('AWS::SecretsManager::Secret').length;
  const secrets = a.connections + (a.ebayAppSecret ? 1 : 0) + stackSecrets;
  add(
    'Secrets Manager secrets',
    secrets,
    `${a.connections} connections (one secret each, made at onboarding)${a.ebayAppSecret ? ' + the eBay app secret' : ''}${stackSecrets ? ` + ${stackSecrets} the stack makes (the customer-hash salt)` : ''} × $${m.secret}`,
    secrets * m.secret,
  );

  const keys = of('AWS::KMS::Key').length;
  add(
    'KMS customer-managed keys',
    keys,
    keys ? `${keys} × $${m.kmsCustomerKey}` : 'none: the table, queues and bucket use AWS-managed encryption',
    keys * m.kmsCustomerKey,
  );

  const tables = of('AWS::DynamoDB::Table');
  const pitr = tables.filter((t) => t.Properties?.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled).length;
  add(
    'DynamoDB storage',
    tables.length,
    `${a.tableGb} GB (a small table and its index) × $${PRICES.dynamodb.storagePerGbMonth}/GB-month`,
    tables.length * a.tableGb * PRICES.dynamodb.storagePerGbMonth,
  );
  add(
    'DynamoDB point-in-time recovery',
    pitr,
    `${pitr ? `${a.tableGb} GB × $${PRICES.dynamodb.pitrPerGbMonth}/GB-month` : 'off'}`,
    pitr * a.tableGb * PRICES.dynamodb.pitrPerGbMonth,
  );

  const logGroups = of('AWS::Logs::LogGroup');
  const retention = [...new Set(logGroups.map((g) => g.Properties?.RetentionInDays ?? 'never expires'))].join(', ');
  add(
    'CloudWatch log groups',
    logGroups.length,
    `${logGroups.length} groups, retention ${retention} days; ${a.logsGb} GB stored × $${m.logStoragePerGbMonth}/GB-month (an idle stack ingests nothing)`,
    a.logsGb * m.logStoragePerGbMonth,
  );

  const buckets = of('AWS::S3::Bucket').length;
  add(
    'S3 buckets',
    buckets,
    `${a.bodiesGb} GB of claim-checked bodies × $${m.s3StandardPerGbMonth}/GB-month`,
    buckets ? a.bodiesGb * m.s3StandardPerGbMonth : 0,
  );

  const queues = of('AWS::SQS::Queue');
  const queueIds = new Set(
    Object.entries(template.Resources as Resources)
      .filter(([, r]) => r.Type === 'AWS::SQS::Queue')
      .map(([id]) => id),
  );
  const polled = of('AWS::Lambda::EventSourceMapping').filter((e) => {
    const arn = e.Properties?.EventSourceArn;
    const ref = arn?.['Fn::GetAtt']?.[0];
    return ref && queueIds.has(ref);
  }).length;
  const pollsPerMonth = a.sqsPollersPerQueue * (3600 / a.sqsLongPollSeconds) * a.hoursPerMonth;
  add(
    'SQS idle polling by Lambda',
    polled,
    `${queues.length} queues, ${polled} consumed by Lambda: ${a.sqsPollersPerQueue} pollers × one ${a.sqsLongPollSeconds} s long poll each = ${Math.round(pollsPerMonth).toLocaleString('en-US')} empty receives a month per consumed queue × $${PRICES.sqs.standardPerMillionRequests}/M (an estimate)`,
    (polled * pollsPerMonth * PRICES.sqs.standardPerMillionRequests) / 1e6,
  );

  const fns = of('AWS::Lambda::Function').length;
  add('Lambda functions', fns, 'billed per request and duration only', 0);
  add(
    'DynamoDB stream → Lambda',
    of('AWS::Lambda::EventSourceMapping').length - polled,
    'stream reads by a Lambda trigger are free',
    0,
  );
  add('HTTP API', of('AWS::ApiGatewayV2::Api').length, 'billed per request only', 0);
  add('SNS topics', of('AWS::SNS::Topic').length, 'billed per publish only', 0);

  return {
    lines,
    total: round(
      lines.reduce((n, l) => n + l.usd, 0),
      4,
    ),
  };
}
