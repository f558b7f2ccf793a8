import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTelemetry, dimensionValue, HubMetric, quarantineLogFields } from '#shared/observability/telemetry.ts';

/**
 * Powertools Metrics writes each EMF document as one JSON line to process.stdout (through its own
 * Console, unless POWERTOOLS_DEV is set): capturing stdout shows exactly what CloudWatch receives.
 */
let lines: string[] = [];
beforeEach(() => {
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

type Emf = {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
} & Record<string, unknown>;
const emf = (): Emf[] => lines.map((l) => JSON.parse(l) as Emf).filter((o) => o._aws);

describe('telemetry metrics (EMF)', () => {
  it('counts an accepted delivery per source, under the totals set and the per-source set', () => {
    // Prepare
    const t = createTelemetry({ fn: 'ingest', env: { HUB_STAGE: 'prod' } });
    // Act
    t.deliveryAccepted('shopify');
    // Assess
    const [doc, ...rest] = emf();
    expect(rest).toEqual([]);
    expect(doc!._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'InventoryHub',
        Dimensions: [
          ['service', 'stage'],
          ['service', 'stage', 'source'],
        ],
        Metrics: [{ Name: 'DeliveriesAccepted', Unit: 'Count' }],
      },
    ]);
    expect(doc).toMatchObject({
      service: 'inventory-hub-ingest',
      stage: 'prod',
      source: 'shopify',
      DeliveriesAccepted: 1,
    });
  });

  it('counts a batch of accepted deliveries of one source in one line', () => {
    const t = createTelemetry({ fn: 'normalize', env: { HUB_STAGE: 'dev' } });
    t.deliveryAccepted('woocommerce', 37);
    const docs = emf();
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ source: 'woocommerce', DeliveriesAccepted: 37 });
  });

  it('counts a rejected delivery per source and reason', () => {
    const t = createTelemetry({ fn: 'ingest', env: { HUB_STAGE: 'dev' } });
    t.deliveryRejected('square', 'invalid_signature');
    const [doc] = emf();
    expect(doc!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([
      ['service', 'stage'],
      ['service', 'stage', 'source', 'reason'],
    ]);
    expect(doc).toMatchObject({ source: 'square', reason: 'invalid_signature', DeliveriesRejected: 1, stage: 'dev' });
  });

  it('counts an ignored delivery per source and topic', () => {
    // Prepare
    const t = createTelemetry({ fn: 'normalize', env: { HUB_STAGE: 'prod' } });
    // Act
    t.ignored('shopify', 'customers/update');
    // Assess
    const [doc] = emf();
    expect(doc!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([
      ['service', 'stage'],
      ['service', 'stage', 'source', 'topic'],
    ]);
    expect(doc).toMatchObject({
      service: 'inventory-hub-normalize',
      source: 'shopify',
      topic: 'customers_update',
      Ignored: 1,
    });
  });

  it('counts order lines left unmapped', () => {
    // Prepare
    const t = createTelemetry({ fn: 'normalize', env: { HUB_STAGE: 'prod' } });
    // Act
    t.unmappedOrderLines(2);
    t.metrics.publishStoredMetrics();
    // Assess
    const [doc] = emf();
    expect(doc).toMatchObject({ service: 'inventory-hub-normalize', UnmappedOrderLines: 2 });
  });

  it('counts a quarantine per reason and keeps dimension values tame', () => {
    const t = createTelemetry({ fn: 'normalize', env: { HUB_STAGE: 'prod' } });
    t.quarantined('schema mismatch: "line_items"');
    const [doc] = emf();
    expect(doc).toMatchObject({
      service: 'inventory-hub-normalize',
      reason: 'schema_mismatch:__line_items_',
      Quarantined: 1,
    });
    expect(dimensionValue('')).toBe('unknown');
    expect(dimensionValue('x'.repeat(300))).toHaveLength(64);
  });

  it('stores batch totals until the invocation flushes them, in one document', () => {
    const t = createTelemetry({ fn: 'normalize', env: { HUB_STAGE: 'prod' } });
    t.eventsApplied(7);
    t.oversells(1);
    t.batchFailures(0);
    expect(emf()).toEqual([]);
    t.metrics.publishStoredMetrics();
    const [doc, ...rest] = emf();
    expect(rest).toEqual([]);
    expect(doc!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'stage']]);
    expect(doc!._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name).sort()).toEqual(
      [HubMetric.EventsApplied, HubMetric.Oversells, HubMetric.NormalizeBatchFailures].sort(),
    );
    expect(doc).toMatchObject({ EventsApplied: 7, Oversells: 1, NormalizeBatchFailures: 0 });
  });

  it('ignores nonsense counts instead of publishing them', () => {
    const t = createTelemetry({ fn: 'normalize', env: { HUB_STAGE: 'prod' } });
    t.eventsApplied(Number.NaN);
    t.oversells(-1);
    t.quarantined('x');
    lines = [];
    t.metrics.publishStoredMetrics();
    expect(emf()).toEqual([]);
  });
});

describe('telemetry logs', () => {
  it('carries the delivery id as correlation_id on a child logger only', () => {
    // Prepare: the logger level comes from POWERTOOLS_LOG_LEVEL (SILENT in tests), so raise it
    const t = createTelemetry({ fn: 'normalize', env: { HUB_STAGE: 'prod' } });
    t.logger.setLogLevel('INFO');
    const log = t.withCorrelationId('dlv_123');
    log.setLogLevel('INFO');
    // Act
    log.info('normalized', { applied: 2 });
    t.logger.info('batch done');
    // Assess
    const [child, parent] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(child).toMatchObject({
      level: 'INFO',
      message: 'normalized',
      service: 'inventory-hub-normalize',
      stage: 'prod',
      correlation_id: 'dlv_123',
      applied: 2,
    });
    expect(parent).toMatchObject({ message: 'batch done', stage: 'prod' });
    expect(parent).not.toHaveProperty('correlation_id');
  });
});

describe('quarantine log lines', () => {
  it('keep the explanation of a quarantine under detail, which Powertools does not drop', () => {
    // Prepare: warnings go to stderr, so capture both streams
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
    const t = createTelemetry({ fn: 'normalize', env: { HUB_STAGE: 'prod' } });
    const log = t.withCorrelationId('dlv_q1');
    log.setLogLevel('INFO');
    const outcome = {
      status: 'quarantined' as const,
      deliveryId: 'dlv_q1',
      reason: 'unmapped-listing',
      message: 'no SKU is mapped to square-main listing W62UWFY35CWMYGVWK6TWJDNI yet',
    };
    // Act
    log.warn('quarantined', { messageId: 'm-1', ...quarantineLogFields(outcome) });
    // Assess
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((o) => o.message === 'quarantined');
    expect(line).toMatchObject({
      level: 'WARN',
      correlation_id: 'dlv_q1',
      reason: 'unmapped-listing',
      detail: outcome.message,
      messageId: 'm-1',
    });
  });
});
