import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { hubLogger, serviceNameOf } from './log.ts';

export { serviceNameOf };

/**
 * Logs and metrics for every hub function, through Powertools: JSON log lines that carry the
 * delivery id as `correlation_id` from ingest through the queue to normalize, and metrics written
 * as CloudWatch embedded metric format (EMF) on stdout, which CloudWatch turns into metrics with
 * no PutMetricData call (and no SDK, IAM grant or latency on the request path).
 */

/** One namespace for the hub; the stack's alarms and dashboard read it (infra/monitoring.ts). */
export const METRICS_NAMESPACE = 'InventoryHub';

/** Metric names: the stack's alarms and dashboard import these, so a rename cannot strand an alarm. */
export const HubMetric = {
  DeliveriesAccepted: 'DeliveriesAccepted',
  DeliveriesRejected: 'DeliveriesRejected',
  EventsApplied: 'EventsApplied',
  Quarantined: 'Quarantined',
  Ignored: 'Ignored',
  Oversells: 'Oversells',
  /** order lines kept as unmapped: their listing has no SKU yet, so they hold no stock */
  UnmappedOrderLines: 'UnmappedOrderLines',
  NormalizeBatchFailures: 'NormalizeBatchFailures',
  KpiCounterWrites: 'KpiCounterWrites',
  FoldSkipped: 'FoldSkipped',
  /** a sender refused a connection's API credentials: its thin orders cannot be fetched (alarmed on) */
  HydrationUnauthorized: 'HydrationUnauthorized',
  HydrationRateLimited: 'HydrationRateLimited',
  OrdersHydrated: 'OrdersHydrated',
  /** listings whose SKU the sender's catalog named (their waiting stock webhooks replayed) */
  ListingsLookedUp: 'ListingsLookedUp',
  /** listings the catalog names no SKU for (deleted, or none set): their webhooks stay quarantined */
  ListingsUnresolved: 'ListingsUnresolved',
  /** outbound: deliveries a subscriber acknowledged, retries queued, versions skipped as older or repeated */
  OutboundDelivered: 'OutboundDelivered',
  OutboundRetried: 'OutboundRetried',
  OutboundSuperseded: 'OutboundSuperseded',
  OutboundDuplicate: 'OutboundDuplicate',
  /** a subscription's endpoint failed every attempt of a delivery and was disabled (alarmed on) */
  OutboundEndpointDisabled: 'OutboundEndpointDisabled',
} as const;
export type HubMetricName = (typeof HubMetric)[keyof typeof HubMetric];

/**
 * Every metric carries `service` and `stage`: dev and prod stacks may share an account, and an
 * alarm must only count its own stage. Per-source and per-reason counts are published under a
 * second dimension set as well, so one EMF line feeds both the total an alarm watches and the
 * breakdown a dashboard shows (CloudWatch cannot sum across dimension values for an alarm
 * without metric math).
 */
export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * Deliveries ingest accepted (durable in the queue), counted by normalize on their first receive,
   * `n` per source per batch: one EMF line per batch instead of one per webhook keeps CloudWatch
   * Logs ingestion (about $0.15 per million webhooks for per-request lines) off the hot path.
   */
  deliveryAccepted(source: string, n?: number): void;
  /** a 4xx/5xx from ingest; `reason` is the error code of the answer (`invalid_signature`, ...) */
  deliveryRejected(source: string, reason: string): void;
  /** canonical events that changed state (noops excluded) */
  eventsApplied(n: number): void;
  /** a delivery set aside with its reason (docs/architecture.md, principle 4) */
  quarantined(reason: string): void;
  /** a delivery of a topic the hub has no use for, acknowledged without effect */
  ignored(source: string, topic: string): void;
  /** balances that went below zero available */
  oversells(n: number): void;
  /** order lines an applied delivery left waiting for a listing mapping (`listings waiting` lists them) */
  unmappedOrderLines(n: number): void;
  /** records of one normalize batch reported failed (retried by SQS, then the DLQ) */
  batchFailures(n: number): void;
  /** KPI counter updates one fold batch made (hour counters and rollups) */
  kpiCounterWrites(n: number): void;
  /** order changes the fold left out because their item could not be read (alarmed on) */
  foldSkipped(n: number): void;
  /**
   * one fetch of a thin order (`hydrated`, `not-found`) or catalog lookup of a listing
   * (`listing-mapped`, `listing-unresolved`), or its failure: `rate-limited`, `unauthorized`, `failed`
   */
  hydration(
    source: string,
    outcome:
      | 'hydrated'
      | 'not-found'
      | 'listing-mapped'
      | 'listing-unresolved'
      | 'rate-limited'
      | 'unauthorized'
      | 'failed',
  ): void;
  /**
   * A logger whose every line carries `correlation_id: deliveryId`. A child rather than
   * `logger.setCorrelationId`: normalize processes a batch's records concurrently, and a key set
   * on the shared logger would leak into the other records' lines.
   */
  withCorrelationId(deliveryId: string): Logger;
}

export interface TelemetryOptions {
  /** the function: ingest, normalize, stock, kpi, docs */
  fn: string;
  env?: NodeJS.ProcessEnv;
}

/** Dimension values become separate CloudWatch metrics ($0.30 each a month): keep them short and tame. */
const MAX_DIMENSION_VALUE = 64;
export function dimensionValue(v: string | undefined): string {
  const clean = (v ?? '').replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, MAX_DIMENSION_VALUE);
  return clean === '' ? 'unknown' : clean;
}

/**
 * The fields of a "quarantined" log line. The explanation goes under `detail`: Powertools Logger
 * reserves `message` for the line's own text and drops an extra key of that name (with a warning),
 * which would leave only the reason code in the log.
 */
export function quarantineLogFields(outcome: { deliveryId: string; reason: string; message: string }): {
  deliveryId: string;
  reason: string;
  detail: string;
} {
  return { deliveryId: outcome.deliveryId, reason: outcome.reason, detail: outcome.message };
}

export function createTelemetry({ fn, env = process.env }: TelemetryOptions): Telemetry {
  const service = serviceNameOf(fn);
  const stage = env.HUB_STAGE ?? 'local';
  const logger = hubLogger(fn, env);
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service, defaultDimensions: { stage } });

  /** A count under the default set and, when given, a second set with the breakdown dimensions. */
  const count = (name: HubMetricName, value: number, breakdown?: Record<string, string>) => {
    if (!Number.isFinite(value) || value < 0) return;
    if (!breakdown) {
      // Stored and flushed once per invocation (the middy middleware): one EMF line per batch. A
      // zero is published too, so a graph shows 0 instead of a gap and an alarm sees real data.
      metrics.addMetric(name, MetricUnit.Count, value);
      return;
    }
    if (value === 0) return;
    // dimensions added to the shared instance would apply to every metric of the invocation, so
    // a broken-down count is its own EMF line. Powertools leaves the default set out of a line
    // that has dimension sets, so both sets are named explicitly.
    const single = metrics.singleMetric();
    single.clearDefaultDimensions();
    const base = { service, stage };
    single.addDimensions(base);
    single.addDimensions({
      ...base,
      ...Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, dimensionValue(v)])),
    });
    single.addMetric(name, MetricUnit.Count, value);
  };

  return {
    logger,
    metrics,
    deliveryAccepted: (source, n = 1) => count(HubMetric.DeliveriesAccepted, n, { source }),
    deliveryRejected: (source, reason) => count(HubMetric.DeliveriesRejected, 1, { source, reason }),
    eventsApplied: (n) => count(HubMetric.EventsApplied, n),
    quarantined: (reason) => count(HubMetric.Quarantined, 1, { reason }),
    ignored: (source, topic) => count(HubMetric.Ignored, 1, { source, topic }),
    oversells: (n) => count(HubMetric.Oversells, n),
    unmappedOrderLines: (n) => count(HubMetric.UnmappedOrderLines, n),
    batchFailures: (n) => count(HubMetric.NormalizeBatchFailures, n),
    kpiCounterWrites: (n) => count(HubMetric.KpiCounterWrites, n),
    foldSkipped: (n) => count(HubMetric.FoldSkipped, n),
    hydration: (source, outcome) => {
      if (outcome === 'unauthorized') count(HubMetric.HydrationUnauthorized, 1, { source });
      else if (outcome === 'rate-limited') count(HubMetric.HydrationRateLimited, 1, { source });
      else if (outcome === 'hydrated') count(HubMetric.OrdersHydrated, 1, { source });
      else if (outcome === 'listing-mapped') count(HubMetric.ListingsLookedUp, 1, { source });
      else if (outcome === 'listing-unresolved') count(HubMetric.ListingsUnresolved, 1, { source });
    },
    withCorrelationId: (deliveryId) => logger.createChild({ persistentKeys: { correlation_id: deliveryId } }),
  };
}
