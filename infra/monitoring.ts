import { Aws, Duration, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HubMetric, type HubMetricName, METRICS_NAMESPACE, serviceNameOf } from '#shared/observability/telemetry.ts';
import type { HubFunction } from './hub-function.ts';

/**
 * Thresholds, with why:
 * - a DLQ holds anything at all: each message is a delivery the hub acknowledged (2xx) and has not
 *   applied after five tries, so every one is worth a look.
 * - the oldest queued message is older than 5 minutes: normalize drains a healthy queue within
 *   seconds (1 s batching window), so minutes of age mean it is failing, throttled or outpaced.
 * - errors or throttles ≥ 1 in 5 minutes: handlers answer expected failures themselves (4xx/5xx
 *   JSON, partial batch failures), so a Lambda-level error is a crash or a timeout, and a throttle
 *   means the reserved concurrency (ingest) or the account's limit is exhausted.
 * - more than 10 quarantined deliveries in 15 minutes: one-off poison (a single malformed payload,
 *   retried by its sender hours apart) stays under it, while a sender changing its payload format,
 *   which quarantines every delivery of a topic, crosses it within minutes at a modest rate of one
 *   delivery every 90 s. Tune with `-c quarantineAlarmThreshold=N`.
 * - a stream consumer's iterator age (its newest batch's oldest record) above 5 minutes, at its
 *   maximum over 5 minutes: fold keeps up within seconds (5 s batching window), so minutes mean it
 *   is failing and retrying one batch, throttled or outpaced; its shard is held back meanwhile, and
 *   records older than 24 h leave the stream unread.
 */
export const DLQ_THRESHOLD = 0;
export const OLDEST_MESSAGE_MAX_AGE_SECONDS = 5 * 60;
export const QUARANTINE_WINDOW = Duration.minutes(15);
export const DEFAULT_QUARANTINE_THRESHOLD = 10;
export const ITERATOR_AGE_MAX_MS = 5 * 60 * 1000;

export interface HubMonitoringProps {
  stage: 'dev' | 'prod';
  functions: Record<string, HubFunction>;
  /** functions fed by a DynamoDB stream (also in `functions`): their iterator age is watched too */
  streamConsumers?: Record<string, HubFunction>;
  /** queue → its DLQ, by a short label used in names (Ingest, Spapi) */
  queues: Array<{ label: string; queue: Queue; dlq: Queue }>;
  table: Table;
  api: HttpApi;
  /** subscribed to the alarm topic by email when given (the recipient confirms the subscription) */
  alarmEmail?: string;
  quarantineThreshold?: number;
  /**
   * A small merchant's monitoring: only the alarms that catch lost or stuck work (DLQs, queue age,
   * errors of the functions that carry deliveries, ingest throttles, the fold's lag and skips,
   * quarantine growth), and no dashboard. What it drops: errors of the read API's, hydrate's and
   * outbound's functions (callers see the 5xx; the hydrate and outbound queues' DLQ and age alarms
   * stay), and the dashboard even when `dashboard` is set.
   */
  lean?: boolean;
  /**
   * Add the CloudWatch dashboard ($3 a month, a third of what the rest of an idle stack costs;
   * the console's own Lambda, SQS and DynamoDB pages show the same metrics). Off unless asked for,
   * and never on a lean stack.
   */
  dashboard?: boolean;
}

/** The functions whose errors a lean stack still alarms on: they carry deliveries to the table. */
/** Alarms on one count of a hub metric, raised by the function named; each description says what to do. */
const METRIC_ALARMS: ReadonlyArray<{ id: string; metric: HubMetricName; fn: string; description: string }> = [
  {
    id: 'FoldSkippedChanges',
    metric: HubMetric.FoldSkipped,
    fn: 'fold',
    description:
      'The fold left order changes out of stock balances and KPI counters because their order item could not be read ' +
      '(a bug, not a transient fault). Its log group (level ERROR) names each one: pk and stream sequence number. ' +
      'Fix the cause: until then those changes are missing from balances and counters (every other order still counts, ' +
      'where a failing batch would stall them all).',
  },
  {
    id: 'HydrationUnauthorized',
    metric: HubMetric.HydrationUnauthorized,
    fn: 'hydrate',
    description:
      "A sender refused a connection's API credentials (or none are set): its thin orders (Square, BigCommerce) are " +
      'not fetched and do not count. The hydrate log (level ERROR) names the connection; set new credentials with ' +
      '`npm run hub -- connections credentials <id> --token …`, then redrive the hydrate DLQ.',
  },
  {
    id: 'OutboundEndpointDisabled',
    metric: HubMetric.OutboundEndpointDisabled,
    fn: 'outbound',
    description:
      'A subscription endpoint failed every attempt of a delivery (about 28 hours of retries) and was disabled: it ' +
      'receives nothing until enabled again. `npm run hub -- subscriptions list` shows it with the last error; once ' +
      'the receiver is fixed, `subscriptions enable <id>` and `subscriptions replay <id> --from <when it failed>`.',
  },
];

export const LEAN_ERROR_ALARM_FUNCTIONS = ['ingest', 'normalize', 'fold'] as const;
/**
 * The functions whose throttles are alarmed on (every stack): ingest's reserved concurrency turns
 * senders away. The queue consumers' throttles show in their queue-age and iterator-age alarms
 * when they matter, and the read API's callers see their own 429s, so those alarms ($0.10 each a
 * month) are left out.
 */
export const THROTTLE_ALARM_FUNCTIONS = ['ingest'] as const;

/**
 * The hub's alarms (all to one SNS topic, both into ALARM and back to OK) and its dashboard.
 * Each alarm's description says what to do when it fires; the README lists the same.
 */
export class HubMonitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  /** absent on a lean stack */
  readonly dashboard?: Dashboard;

  constructor(scope: Construct, id: string, props: HubMonitoringProps) {
    super(scope, id);
    const { stage } = props;

    this.topic = new Topic(this, 'AlarmTopic', { displayName: `Inventory hub (${stage}) alarms`, enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer key costs $1/month for messages that carry only alarm names and states, no business data.',
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);

    const alarm = (
      alarmId: string,
      metric: IMetric,
      threshold: number,
      description: string,
      comparison = ComparisonOperator.GREATER_THAN_THRESHOLD,
    ) => {
      const a = new Alarm(this, alarmId, {
        metric,
        threshold,
        comparisonOperator: comparison,
        evaluationPeriods: 1,
        // no data is a quiet hub (or a DLQ nobody wrote to), not a fault
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: `[${stage}] ${description}`,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };

    for (const { label, queue, dlq } of props.queues) {
      alarm(
        `${label}DlqNotEmpty`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        DLQ_THRESHOLD,
        `Messages in the ${label} DLQ: deliveries failed five times. Read the normalize logs for their correlation_id, fix the cause, then redrive (SQS console "Start DLQ redrive" or aws sqs start-message-move-task).`,
      );
      alarm(
        `${label}QueueOldestMessage`,
        queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
        OLDEST_MESSAGE_MAX_AGE_SECONDS,
        `The ${label} queue's oldest message is over 5 minutes old: normalize is failing, throttled or outpaced. Check the normalize errors, throttles and batch failures; raise -c normalizeMaxConcurrency if the table has headroom.`,
      );
    }

    const streamConsumers = Object.entries(props.streamConsumers ?? {});
    const labelOf = (name: string) => name[0]!.toUpperCase() + name.slice(1);
    for (const [name, fn] of Object.entries(props.functions)) {
      const label = labelOf(name);
      const stream = streamConsumers.some(([n]) => n === name)
        ? ' Its stream batch is retried from the first record until it succeeds, holding the shard back (see the IteratorAge alarm); records older than 24 h are lost.'
        : '';
      const watchErrors = !props.lean || (LEAN_ERROR_ALARM_FUNCTIONS as readonly string[]).includes(name);
      const watchThrottles = (THROTTLE_ALARM_FUNCTIONS as readonly string[]).includes(name);
      if (watchErrors) {
        alarm(
          `${label}Errors`,
          fn.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
          1,
          `${name} crashed or timed out. Read its log group (level ERROR) and the X-Ray traces if tracing is on.${stream}`,
          ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        );
      }
      if (watchThrottles) {
        alarm(
          `${label}Throttles`,
          fn.fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
          1,
          `${name} was throttled: its reserved concurrency (ingest: -c ingestConcurrency) or the account's concurrency is exhausted. Senders retry throttled webhooks; raise the limit if the load is real.`,
          ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        );
      }
    }

    for (const [name, fn] of streamConsumers) {
      alarm(
        `${labelOf(name)}IteratorAge`,
        iteratorAge(fn),
        ITERATOR_AGE_MAX_MS,
        `${name} is over 5 minutes behind the table's stream: it is failing (one batch retried again and again), throttled or outpaced, and orders' stock effects (reservations, shipments) and the KPI counters lag. Check its errors and log group; stream records older than 24 h are lost, so fix the cause before then.`,
      );
    }

    // an alarm on a hub metric wherever the function that counts it is deployed (any one count is a fault)
    const present = new Set([...Object.keys(props.functions), ...streamConsumers.map(([n]) => n)]);
    for (const a of METRIC_ALARMS) {
      if (!present.has(a.fn)) continue;
      alarm(
        a.id,
        hubMetric(a.metric, a.fn, stage, Duration.minutes(5)),
        1,
        a.description,
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      );
    }

    const quarantined = hubMetric(HubMetric.Quarantined, 'normalize', stage, QUARANTINE_WINDOW);
    const quarantineThreshold = props.quarantineThreshold ?? DEFAULT_QUARANTINE_THRESHOLD;
    alarm(
      'QuarantineGrowth',
      quarantined,
      quarantineThreshold,
      `More than ${quarantineThreshold} deliveries quarantined in 15 minutes: a sender likely changed its payload. List them (hub quarantine list), read the reason, fix the adapter, then replay.`,
    );

    if (props.lean || !props.dashboard) return;
    const dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `InventoryHub-${stage}-${Aws.REGION}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard = dashboard;
    const fns = Object.entries(props.functions);
    const perFn = (title: string, m: (fn: HubFunction) => IMetric) =>
      new GraphWidget({ title, width: 8, left: fns.map(([, fn]) => m(fn)) });
    const search = (metric: string, dim: string, label: string) =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},service,stage,${dim}} MetricName="${metric}" stage="${stage}"', 'Sum', 300)`,
        label,
        period: Duration.minutes(5),
      });
    dashboard.addWidgets(
      new TextWidget({
        markdown: `# Inventory hub (${stage})\nAlarms go to the SNS topic; each alarm's description says what to do.`,
        width: 24,
        height: 2,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Deliveries accepted per source',
        width: 6,
        left: [search(HubMetric.DeliveriesAccepted, 'source', '')],
      }),
      new GraphWidget({
        title: 'Deliveries rejected per source and reason',
        width: 6,
        left: [search(HubMetric.DeliveriesRejected, 'source,reason', '')],
      }),
      new GraphWidget({
        title: 'Quarantined per reason',
        width: 6,
        left: [search(HubMetric.Quarantined, 'reason', '')],
      }),
      // topics acknowledged without effect: a rise shows a merchant subscribing to more than the hub uses
      new GraphWidget({
        title: 'Ignored per source and topic',
        width: 6,
        left: [search(HubMetric.Ignored, 'source,topic', '')],
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Events applied',
        width: 8,
        left: [hubMetric(HubMetric.EventsApplied, 'normalize', stage)],
      }),
      new GraphWidget({
        title: 'Oversells; order lines left unmapped',
        width: 8,
        left: [hubMetric(HubMetric.Oversells, 'normalize', stage)],
        right: [hubMetric(HubMetric.UnmappedOrderLines, 'normalize', stage)],
      }),
      new GraphWidget({
        title: 'Normalize batch item failures',
        width: 8,
        left: [hubMetric(HubMetric.NormalizeBatchFailures, 'normalize', stage)],
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Queue depth',
        width: 8,
        left: props.queues.map(({ label, queue }) =>
          queue.metricApproximateNumberOfMessagesVisible({ label, statistic: 'Maximum' }),
        ),
      }),
      new GraphWidget({
        title: 'Oldest message age (s)',
        width: 8,
        left: props.queues.map(({ label, queue }) =>
          queue.metricApproximateAgeOfOldestMessage({ label, statistic: 'Maximum' }),
        ),
      }),
      new GraphWidget({
        title: 'DLQ depth',
        width: 8,
        left: props.queues.map(({ label, dlq }) =>
          dlq.metricApproximateNumberOfMessagesVisible({ label, statistic: 'Maximum' }),
        ),
      }),
    );
    dashboard.addWidgets(
      perFn('Invocations', (fn) => fn.fn.metricInvocations({ statistic: 'Sum' })),
      perFn('Errors', (fn) => fn.fn.metricErrors({ statistic: 'Sum' })),
      perFn('Throttles', (fn) => fn.fn.metricThrottles({ statistic: 'Sum' })),
    );
    dashboard.addWidgets(
      perFn('Duration p99 (ms)', (fn) => fn.fn.metricDuration({ statistic: 'p99' })),
      perFn('Concurrent executions', (fn) => fn.fn.metric('ConcurrentExecutions', { statistic: 'Maximum' })),
      new GraphWidget({
        title: 'Read API',
        width: streamConsumers.length ? 4 : 8,
        left: [
          props.api.metricCount({ statistic: 'Sum' }),
          props.api.metricClientError({ statistic: 'Sum' }),
          props.api.metricServerError({ statistic: 'Sum' }),
        ],
        right: [props.api.metricLatency({ statistic: 'p99' })],
      }),
      ...(streamConsumers.length
        ? [
            new GraphWidget({
              title: 'Stream iterator age (ms)',
              width: 4,
              left: streamConsumers.map(([name, fn]) => iteratorAge(fn, name)),
            }),
          ]
        : []),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Table capacity consumed',
        width: 12,
        left: [
          props.table.metricConsumedWriteCapacityUnits({ statistic: 'Sum' }),
          props.table.metricConsumedReadCapacityUnits({ statistic: 'Sum' }),
        ],
      }),
      new GraphWidget({
        title: 'Table throttles',
        width: 12,
        left: [
          props.table.metric('WriteThrottleEvents', { statistic: 'Sum' }),
          props.table.metric('ReadThrottleEvents', { statistic: 'Sum' }),
        ],
      }),
    );
  }
}

/** How far behind its stream a consumer is: the age of the last batch's oldest record, in ms. */
function iteratorAge(fn: HubFunction, label?: string): IMetric {
  return fn.fn.metric('IteratorAge', {
    statistic: 'Maximum',
    period: Duration.minutes(5),
    ...(label ? { label } : {}),
  });
}

/** A hub metric's total (the `service`,`stage` dimension set every count is published under). */
export function hubMetric(name: string, fn: string, stage: string, period = Duration.minutes(5)): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: serviceNameOf(fn), stage },
    statistic: 'Sum',
    period,
  });
}
