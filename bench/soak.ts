import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Connection } from '#shared/domain/connection.ts';
import { hourCountersOf } from '#shared/kpi/fold.ts';
import { freePort, startMoto, type MotoServer } from '#infra/local/moto.ts';
import { signedRequest } from '#test/fixtures/signing.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';
import {
  KPI_FIELDS,
  effectVisible,
  expectedState,
  generateStream,
  type Figures,
  type SoakEvent,
  type TableView,
} from './soak-model.ts';
import { redriveDlq } from '#shared/aws/quarantine.ts';

/**
 * `npm run soak` — a bounded, loopback-only soak of the local hub:
 *
 *  1. moto, a fault-injecting proxy in front of it (bench/fault-proxy.ts: throttling, 500s and
 *     lost responses on DynamoDB and SQS data-plane calls), and the hub as a child process
 *     (`npm start`'s entry point) talking to AWS through the proxy;
 *  2. a seeded stream of hub-format deliveries (bench/soak-model.ts) — stock counts, movements,
 *     orders through their versions, cancellations, refunds, ~2% malformed — sent signed over
 *     HTTP, 8 in flight, shuffled within windows, ~10% sent 2-3 times with the same webhook-id;
 *     every non-2xx (and connection error) is retried as a sender would;
 *  3. mid-stream the hub is SIGKILLed and restarted (moto, a separate process, keeps the state);
 *  4. after the queue drains: every accepted delivery must be applied, quarantined or in the DLQ
 *     (lost = 0); then the DLQ is redriven with faults off and, once drained again, stock balances,
 *     KPI counters and orders read from moto must equal the expectation computed from the stream.
 *
 * Prints one verdict line (`soak: PASS …` / `soak: FAIL …`), writes bench/soak-results.json and
 * exits non-zero on FAIL. `SOAK_QUICK=1`: a smaller stream (≤ 60 s). `SOAK_SEED=n`: another stream.
 */

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const QUICK = process.env.SOAK_QUICK === '1' || process.env.SOAK_QUICK === 'true';
const SEED = Number(process.env.SOAK_SEED ?? 20260302) >>> 0;
const VERBOSE = process.env.SOAK_VERBOSE === '1';
const CHANNEL = 'partner-soak';
const CONNECTION_ID = 'soak-partner';
const PREFIX = 'soak';
const REGION = 'us-east-1';
const CONCURRENCY = 8;
/**
 * The stack's visibility timeout (181 s) would hide the messages a killed hub was holding for three
 * minutes; the local poller honours HUB_VISIBILITY_TIMEOUT_SECONDS on receive, so the soak sets a
 * short one. Short enough that a killed batch returns soon, long enough that a normal batch
 * (even one slowed by injected faults) finishes well within it.
 */
const VISIBILITY_SECONDS = 10;

/**
 * Sized for moto's throughput on 2 cores (the normalizer's writes are moto-bound, ~5-20
 * deliveries/s): quick ≈ 150 deliveries, full ≈ 450. The deadline is a failure cutoff, not a target
 * (SOAK_DEADLINE_SECONDS overrides it).
 */
const PROFILE = {
  ...(QUICK
    ? { skus: 12, locations: 2, orders: 45, adjustments: 25, recounts: 4 }
    : { skus: 24, locations: 3, orders: 140, adjustments: 100, recounts: 12 }),
  deadlineMs: Number(process.env.SOAK_DEADLINE_SECONDS ?? (QUICK ? 120 : 300)) * 1000,
};

/** per data-plane call; SOAK_FAULT_SCALE multiplies them (0 = no faults, for diagnosis) */
const FAULT_SCALE = Number(process.env.SOAK_FAULT_SCALE ?? 1);
const FAULTS = {
  dynamodb: { throttle: 0.04 * FAULT_SCALE, error500: 0.02 * FAULT_SCALE, drop: 0.03 * FAULT_SCALE },
  sqs: { error500: 0.03 * FAULT_SCALE, drop: 0.02 * FAULT_SCALE },
};

const startedAt = performance.now();
const deadlineAt = Date.now() + PROFILE.deadlineMs;
const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(1)}s`;
const log = (line: string) => {
  if (VERBOSE || !process.env.SOAK_SILENT) console.error(`[soak ${elapsed()}] ${line}`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class DeadlineError extends Error {
  override name = 'DeadlineError';
}
function checkDeadline(what: string): void {
  if (Date.now() > deadlineAt)
    throw new DeadlineError(`global deadline (${PROFILE.deadlineMs / 1000} s) passed while ${what}`);
}

// ---- moto -----------------------------------------------------------------------------------------

/**
 * moto through startMoto, which prefers infra/local/moto-server.py: DynamoDB requests served one at
 * a time and a cancelled transaction rolling back only its own items. Stock moto rolls a cancelled
 * transaction back by restoring a whole-table copy taken when it began, which undoes writes other
 * requests made meanwhile; the soak would report those as the hub's lost updates.
 * SOAK_STOCK_MOTO=1 uses stock moto_server anyway (to see that happen).
 */
async function startSoakMoto(): Promise<MotoServer & { kind: string }> {
  const moto = await startMoto({ stock: process.env.SOAK_STOCK_MOTO === '1' });
  const kind = moto.kind ?? 'moto_server';
  if (kind === 'moto_server' && process.env.SOAK_STOCK_MOTO !== '1')
    log(
      'python3 cannot load infra/local/moto-server.py: using stock moto_server (its transaction rollback can lose concurrent writes)',
    );
  return { ...moto, kind };
}

// ---- the hub as a child process ----------------------------------------------------------------

interface HubProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
}

class Hub {
  private current: HubProcess | undefined;
  restarts = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd: string,
    private readonly logFile: string,
    readonly url: string,
  ) {}

  async start(): Promise<void> {
    // one node process (not the tsx CLI, which runs the program in a second process and relays
    // signals): SIGKILL must hit the process that holds the batches
    const loader = import.meta.resolve('tsx');
    const fd = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, ['--import', loader, join(root, 'infra/local/start.ts')], {
      cwd: this.cwd,
      env: this.env,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    this.current = { child, exited };
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      if (child.exitCode !== null)
        throw new Error(`hub exited with code ${child.exitCode} while starting:\n${this.logTail()}`);
      try {
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        // not yet
      }
      await sleep(150);
    }
    throw new Error(`hub did not answer /health within 60 s:\n${this.logTail()}`);
  }

  async kill(): Promise<void> {
    const p = this.current;
    if (!p) return;
    p.child.kill('SIGKILL');
    await p.exited;
    this.current = undefined;
  }

  /** synchronous, for the watchdog */
  killNow(): void {
    this.current?.child.kill('SIGKILL');
  }

  async restart(): Promise<void> {
    this.restarts++;
    await this.start();
  }

  async stop(): Promise<void> {
    const p = this.current;
    if (!p || p.child.exitCode !== null) return;
    p.child.kill('SIGTERM');
    const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
    await p.exited;
    clearTimeout(t);
    this.current = undefined;
  }

  async health(): Promise<
    | {
        pollers?: Record<string, { records: number; deleted: number; failures: number }>;
        stream?: { caughtUpAt?: number };
      }
    | undefined
  > {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? ((await res.json()) as Awaited<ReturnType<Hub['health']>>) : undefined;
    } catch {
      return undefined;
    }
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

// ---- the sender ----------------------------------------------------------------------------------

interface Accepted {
  index: number;
  deliveryId: string;
}

interface SendStats {
  attempts: number;
  accepted: Accepted[];
  /** non-2xx answers and connection errors, by status or error code (each was retried) */
  notAccepted: Record<string, number>;
  /** 4xx other than 408/429: a sender does not retry these, and none should happen */
  rejected: { index: number; status: number; body: string }[];
  /** deliveries never accepted within their retry budget */
  gaveUp: number[];
}

async function sendAll(opts: {
  hubUrl: string;
  connection: Connection;
  bodies: { webhookId: string; body: string }[];
  sends: number[];
  onProgress: (done: number) => Promise<void> | void;
}): Promise<SendStats> {
  const stats: SendStats = { attempts: 0, accepted: [], notAccepted: {}, rejected: [], gaveUp: [] };
  let next = 0;
  let done = 0;
  const url = `${opts.hubUrl}/webhooks/${opts.connection.id}`;
  const one = async (index: number) => {
    const d = opts.bodies[index]!;
    const giveUpAt = Date.now() + 90_000;
    for (let attempt = 0; ; attempt++) {
      checkDeadline('sending');
      stats.attempts++;
      // signed afresh per attempt (the timestamp must be recent); the webhook-id never changes
      const req = signedRequest('standard-webhooks', opts.connection, d.body, { id: d.webhookId });
      let outcome: string;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: req.headers,
          body: new Uint8Array(req.body),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await res.text();
        if (res.status === 202) {
          stats.accepted.push({ index, deliveryId: (JSON.parse(text) as { deliveryId: string }).deliveryId });
          return;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          stats.rejected.push({ index, status: res.status, body: text.slice(0, 300) });
          return;
        }
        outcome = String(res.status);
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        outcome = e.cause?.code ?? e.name;
      }
      stats.notAccepted[outcome] = (stats.notAccepted[outcome] ?? 0) + 1;
      if (Date.now() > giveUpAt) {
        stats.gaveUp.push(index);
        return;
      }
      await sleep(Math.min(1500, 50 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2));
    }
  };
  const worker = async () => {
    while (next < opts.sends.length) {
      const index = opts.sends[next++]!;
      await one(index);
      done++;
      await opts.onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return stats;
}

// ---- reading moto directly -------------------------------------------------------------------------

async function queueDepth(sqs: SQSClient, url: string): Promise<number> {
  const r = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const a = r.Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/**
 * Until the ingest queue is empty (nothing visible, in flight or delayed) and the poller is idle.
 * Returns what is left on the queue: 0 when drained, more when the global deadline came first
 * (the verification then runs anyway and reports what is missing).
 */
async function waitDrained(sqs: SQSClient, queueUrl: string, hub: Hub, what: string): Promise<number> {
  let quietSince: number | undefined;
  let lastRecords = -1;
  let lastLog = 0;
  for (;;) {
    const depth = await queueDepth(sqs, queueUrl);
    if (Date.now() > deadlineAt) {
      log(`deadline: ${depth} message(s) still on the queue (${what})`);
      return Math.max(1, depth);
    }
    const h = await hub.health();
    const records = h?.pollers?.ingest?.records ?? -1;
    if (depth === 0 && records === lastRecords && records >= 0) {
      quietSince ??= Date.now();
      // and the fold has read the table's stream past the last write normalize made (stock balances and KPI counters)
      if (Date.now() - quietSince >= 2500 && (h?.stream?.caughtUpAt ?? 0) >= quietSince) return 0;
    } else quietSince = undefined;
    if (Date.now() - lastLog > 10_000) {
      log(
        `draining (${what}): ${depth} message(s) on the queue, poller ${JSON.stringify(h?.pollers?.ingest ?? 'down')}`,
      );
      lastLog = Date.now();
    }
    lastRecords = records;
    await sleep(500);
  }
}

/** Takes every message off the DLQ (their delivery ids) and sends them back to the ingest queue. */
async function redriveAll(sqs: SQSClient, dlqUrl: string, queueUrl: string): Promise<string[]> {
  const ids: string[] = [];
  await redriveDlq(sqs, dlqUrl, queueUrl, {
    onMessage: (m) => {
      let id = m.MessageAttributes?.deliveryId?.StringValue;
      try {
        id ??= (JSON.parse(m.Body ?? '') as { deliveryId?: string }).deliveryId;
      } catch {
        // not a delivery: counted, with no id
      }
      ids.push(id ?? `(unparsed ${m.MessageId})`);
    },
  });
  return ids;
}

async function scanAll(doc: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    out.push(...((res.Items ?? []) as Record<string, unknown>[]));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}

// what the watchdog must stop if main hangs
let moto: MotoServer | undefined;
let proxy: FaultProxy | undefined;
let hub: Hub | undefined;

// ---- main ------------------------------------------------------------------------------------------

interface Results {
  verdict: 'PASS' | 'FAIL';
  reasons: string[];
  moto: string;
  /** messages found in the DLQ after the first drain (redriven with faults off) */
  dlq: number;
  /**
   * Not compared: an oversell is counted when `available` crosses below zero in the order events
   * happen to be applied, so the KPI `oversells` depends on arrival order (an order applied before
   * its SKU's first count "oversells"). Reported for information: the KPI `oversells` sum, and how
   * many balances the expectation ends with available < 0.
   */
  oversells?: { kpi: number; negativeAtEnd: number };
  quick: boolean;
  seed: number;
  seconds: number;
  stream: { deliveries: number; sends: number; malformed: number; duplicatedSends: number };
  sender: { attempts: number; accepted: number; notAccepted: Record<string, number>; rejected: number; gaveUp: number };
  accounting: {
    accepted: number;
    applied: number;
    quarantined: number;
    inDlq: number;
    lost: number;
    validQuarantined: number;
    malformedNotQuarantined: number;
    dlqRecovered: number;
    /** quarantine items for deliveries whose 202 never reached the sender (enqueued, then the hub died) */
    quarantinedUnacknowledged: number;
  };
  hub: { kills: number; restarts: number };
  faults: FaultProxy['stats'] | undefined;
  compare: {
    balances: number;
    balanceMismatches: number;
    kpiHours: number;
    kpiMismatches: number;
    orders: number;
    orderMismatches: number;
  };
  mismatches: string[];
}

async function main(): Promise<number> {
  const stream = generateStream({
    seed: SEED,
    skus: PROFILE.skus,
    locations: PROFILE.locations,
    orders: PROFILE.orders,
    adjustments: PROFILE.adjustments,
    recounts: PROFILE.recounts,
    malformedRate: 0.02,
    duplicateRate: 0.1,
    shuffleWindow: 40,
  });
  const malformed = stream.deliveries.filter((d) => d.event.kind === 'malformed').length;
  log(
    `stream: ${stream.deliveries.length} deliveries (${malformed} malformed), ${stream.sends.length} sends, seed ${SEED}${QUICK ? ', quick' : ''}`,
  );

  const results: Results = {
    verdict: 'FAIL',
    reasons: [],
    moto: '',
    dlq: 0,
    quick: QUICK,
    seed: SEED,
    seconds: 0,
    stream: {
      deliveries: stream.deliveries.length,
      sends: stream.sends.length,
      malformed,
      duplicatedSends: stream.sends.length - stream.deliveries.length,
    },
    sender: { attempts: 0, accepted: 0, notAccepted: {}, rejected: 0, gaveUp: 0 },
    accounting: {
      accepted: 0,
      applied: 0,
      quarantined: 0,
      inDlq: 0,
      lost: 0,
      validQuarantined: 0,
      malformedNotQuarantined: 0,
      dlqRecovered: 0,
      quarantinedUnacknowledged: 0,
    },
    hub: { kills: 0, restarts: 0 },
    faults: undefined,
    compare: { balances: 0, balanceMismatches: 0, kpiHours: 0, kpiMismatches: 0, orders: 0, orderMismatches: 0 },
    mismatches: [],
  };

  const work = mkdtempSync(join(tmpdir(), 'hub-soak-'));
  const clients: { destroy(): void }[] = [];
  try {
    const m = await startSoakMoto();
    moto = m;
    results.moto = m.kind;
    proxy = await startFaultProxy({ target: moto.endpoint, seed: SEED, ...FAULTS });
    results.faults = proxy.stats;
    proxy.setEnabled(false); // provisioning and seeding run fault-free
    log(`${m.kind} at ${moto.endpoint}, fault proxy ${proxy.url}`);

    const connection: Connection = {
      id: CONNECTION_ID,
      source: 'standard-webhooks',
      channel: CHANNEL,
      partner: null,
      secrets: [`whsec_${randomBytes(32).toString('base64')}`],
    };
    const configPath = join(work, 'hub.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        connections: [
          { id: connection.id, source: connection.source, channel: connection.channel, secret: connection.secrets[0] },
        ],
        apiKeys: [
          { key: `soak_${randomBytes(24).toString('base64url')}`, scopes: ['stock:read', 'kpi:read'], partner: null },
        ],
      }),
    );
    const port = await freePort();
    hub = new Hub(
      {
        ...process.env,
        HUB_AWS_ENDPOINT: proxy.url,
        HUB_PORT: String(port),
        HUB_QUIET: '1',
        HUB_CONFIG: configPath,
        HUB_PREFIX: PREFIX,
        HUB_VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_SECONDS),
        POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
        AWS_REGION: REGION,
      },
      work,
      join(work, 'hub.log'),
      `http://127.0.0.1:${port}`,
    );
    await hub.start();
    proxy.setEnabled(true);
    log(`hub up at ${hub.url} (log ${join(work, 'hub.log')}); sending`);

    const direct = {
      region: REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    const sqs = new SQSClient(direct);
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient(direct));
    clients.push(sqs, doc);
    const queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: `${PREFIX}-ingest` }))).QueueUrl!;
    const dlqUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: `${PREFIX}-ingest-dlq` }))).QueueUrl!;
    const tableName = `${PREFIX}-table`;

    // ---- send, with a short SQS outage at 1/4 (ingest must answer 503, never 202), one SIGKILL
    // and restart at 1/2, and a short DynamoDB outage at 3/4 (normalize fails whole records)
    const sqsOutageAt = Math.floor(stream.sends.length / 4);
    const dynamoOutageAt = Math.floor((stream.sends.length * 3) / 4);
    const killAt = Math.floor(stream.sends.length / 2);
    let killing: Promise<void> | undefined;
    const theHub = hub;
    const theProxy = proxy;
    const sent = await sendAll({
      hubUrl: hub.url,
      connection,
      bodies: stream.deliveries,
      sends: stream.sends,
      onProgress: (done) => {
        if (done === sqsOutageAt) {
          log(`SQS outage (2 s) after ${done} sends`);
          theProxy.outage('sqs', 2000);
        }
        if (done === dynamoOutageAt) {
          log(`DynamoDB outage (2 s) after ${done} sends`);
          theProxy.outage('dynamodb', 2000);
        }
        if (done === killAt && !killing) {
          killing = (async () => {
            log(`SIGKILL the hub after ${done} of ${stream.sends.length} sends`);
            await theHub.kill();
            results.hub.kills++;
            await sleep(1000);
            theProxy.setEnabled(false);
            await theHub.restart();
            theProxy.setEnabled(true);
            results.hub.restarts = theHub.restarts;
            log('hub restarted');
          })();
        }
      },
    });
    await killing;
    results.sender = {
      attempts: sent.attempts,
      accepted: sent.accepted.length,
      notAccepted: sent.notAccepted,
      rejected: sent.rejected.length,
      gaveUp: sent.gaveUp.length,
    };
    log(
      `sent: ${sent.accepted.length} accepted, not accepted ${JSON.stringify(sent.notAccepted)}, rejected ${sent.rejected.length}, gave up ${sent.gaveUp.length}`,
    );
    for (const r of sent.rejected.slice(0, 5))
      results.mismatches.push(`rejected ${stream.deliveries[r.index]!.webhookId}: ${r.status} ${r.body}`);

    // ---- drain (faults still on), then the DLQ's content, then redrive with faults off
    const left = await waitDrained(sqs, queueUrl, hub, 'faults on');
    const slow = Object.entries(proxy.stats.upstream)
      .map(([op, u]) => `${op} ${u.calls}×${(u.ms / u.calls).toFixed(0)}ms`)
      .join(', ');
    log(`moto latency per call: ${slow}`);
    const dlqIds = await redriveAll(sqs, dlqUrl, queueUrl);
    proxy.setEnabled(false);
    log(`drained; ${dlqIds.length} message(s) in the DLQ${dlqIds.length ? ', redriven with faults off' : ''}`);
    const leftAfterRedrive = dlqIds.length && !left ? await waitDrained(sqs, queueUrl, hub, 'DLQ redrive') : 0;
    if (left || leftAfterRedrive)
      results.reasons.push(`the queue did not drain before the deadline (${left || leftAfterRedrive} message(s) left)`);

    // ---- read the table directly from moto
    const items = await scanAll(doc, tableName);
    if (VERBOSE) {
      const kinds: Record<string, number> = {};
      for (const it of items) {
        const k = `${String(it.pk).split('#')[0]}/${String(it.sk).split('#')[0]}`;
        kinds[k] = (kinds[k] ?? 0) + 1;
      }
      log(`table items by key prefix: ${JSON.stringify(kinds)}`);
    }
    const view: TableView = { countAsOf: new Map(), ledger: new Set(), orders: new Map() };
    const actualBalances = new Map<string, { onHand: number; reserved: number; available: number }>();
    const actualKpis = new Map<string, Figures>();
    const quarantinedIds = new Set<string>();
    const actualOrders = new Map<string, Record<string, unknown>>();
    let oversellKpi = 0;
    for (const it of items) {
      const pk = String(it.pk);
      const sk = String(it.sk);
      if (pk.startsWith('SKU#') && sk.startsWith('LOC#')) {
        if (typeof it.countAsOf === 'string') view.countAsOf.set(`${pk}|${sk}`, it.countAsOf);
        actualBalances.set(`${pk.slice(4)}|${sk.slice(4)}`, {
          onHand: Number(it.onHand ?? 0),
          reserved: Number(it.reserved ?? 0),
          available: Number(it.available ?? 0),
        });
      } else if (pk.startsWith('SKU#') && sk.startsWith('MOVE#')) {
        view.ledger.add(`${pk}|${sk}`);
      } else if (pk.startsWith(`KPI#${CHANNEL}#`)) {
        for (const h of hourCountersOf(it)) {
          oversellKpi += Number(h.oversells ?? 0);
          const hour = String(h.hour);
          const f = actualKpis.get(hour) ?? {};
          for (const [k, v] of Object.entries(h)) {
            if (typeof v !== 'number') continue;
            if (
              (KPI_FIELDS as readonly string[]).includes(k) ||
              k.startsWith('revenue_') ||
              k.startsWith('refundAmount_')
            )
              f[k] = (f[k] ?? 0) + v;
          }
          actualKpis.set(hour, f);
        }
      } else if (pk.startsWith('QUAR#')) {
        quarantinedIds.add(String(it.deliveryId));
      } else if (pk.startsWith(`ORDER#${CHANNEL}#`)) {
        const orderId = pk.slice(`ORDER#${CHANNEL}#`.length);
        actualOrders.set(orderId, it);
        const state = it.state as { version?: { seq?: number } } | undefined;
        const cancel = it.cancel as { lineIds?: string[] } | undefined;
        view.orders.set(orderId, {
          ...(state?.version?.seq !== undefined ? { seq: state.version.seq } : {}),
          cancelWhole: cancel !== undefined && cancel.lineIds === undefined,
          cancelLines: cancel?.lineIds ?? [],
          refundIds: Object.keys((it.refunds as Record<string, unknown> | undefined) ?? {}),
        });
      }
    }

    // ---- accounting: every accepted delivery is applied, quarantined or in the DLQ
    const acc = results.accounting;
    const dlqSet = new Set(dlqIds);
    const acceptedIds = new Set(sent.accepted.map((a) => a.deliveryId));
    const lostExamples: string[] = [];
    for (const a of sent.accepted) {
      const d = stream.deliveries[a.index]!;
      acc.accepted++;
      const malformedOne = d.event.kind === 'malformed';
      if (quarantinedIds.has(a.deliveryId)) {
        acc.quarantined++;
        if (!malformedOne) {
          acc.validQuarantined++;
          lostExamples.push(`valid delivery quarantined: ${d.webhookId} (${d.event.kind}) ${a.deliveryId}`);
        }
      } else if (dlqSet.has(a.deliveryId)) {
        acc.inDlq++;
        if (effectVisible(d.event, view, CHANNEL)) acc.dlqRecovered++;
      } else if (!malformedOne && effectVisible(d.event, view, CHANNEL)) {
        acc.applied++;
      } else {
        acc.lost++;
        if (malformedOne) acc.malformedNotQuarantined++;
        lostExamples.push(
          `lost: ${d.webhookId} (${d.event.kind}${malformedOne ? ` ${(d.event as { variant: string }).variant}` : ''}) ${a.deliveryId}`,
        );
      }
    }
    acc.quarantinedUnacknowledged = [...quarantinedIds].filter((id) => !acceptedIds.has(id)).length;
    results.mismatches.push(...lostExamples.slice(0, 10));

    // ---- compare with the independent expectation
    const acceptedEvents = new Map<number, SoakEvent>();
    for (const a of sent.accepted) acceptedEvents.set(a.index, stream.deliveries[a.index]!.event);
    const expected = expectedState([...acceptedEvents.values()]);
    const cmp = results.compare;
    const mism: string[] = [];
    for (const k of new Set([...expected.balances.keys(), ...actualBalances.keys()])) {
      cmp.balances++;
      const e = expected.balances.get(k) ?? { onHand: 0, reserved: 0, available: 0 };
      const a = actualBalances.get(k) ?? { onHand: 0, reserved: 0, available: 0 };
      if (e.onHand !== a.onHand || e.reserved !== a.reserved || e.available !== a.available) {
        cmp.balanceMismatches++;
        mism.push(`balance ${k}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
      }
    }
    for (const h of new Set([...expected.kpis.keys(), ...actualKpis.keys()])) {
      cmp.kpiHours++;
      const e = expected.kpis.get(h) ?? {};
      const a = actualKpis.get(h) ?? {};
      const diffs = [...new Set([...Object.keys(e), ...Object.keys(a)])].filter((f) => (e[f] ?? 0) !== (a[f] ?? 0));
      if (diffs.length) {
        cmp.kpiMismatches++;
        mism.push(`kpi ${CHANNEL} ${h}: ${diffs.map((f) => `${f} expected ${e[f] ?? 0} got ${a[f] ?? 0}`).join(', ')}`);
      }
    }
    for (const id of new Set([...expected.orders.keys(), ...actualOrders.keys()])) {
      cmp.orders++;
      const e = expected.orders.get(id);
      const v = view.orders.get(id);
      const a = v && {
        version: v.seq ?? 0,
        status: String((actualOrders.get(id)?.state as { status?: string } | undefined)?.status ?? ''),
        cancelledWhole: v.cancelWhole,
        cancelledLines: [...v.cancelLines].sort(),
        refundIds: [...v.refundIds].sort(),
      };
      if (JSON.stringify(e) !== JSON.stringify(a)) {
        cmp.orderMismatches++;
        mism.push(`order ${id}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
      }
    }
    results.mismatches.push(...mism.slice(0, 20));

    const reasons = results.reasons;
    if (acc.lost > 0) reasons.push(`${acc.lost} accepted deliveries lost`);
    if (acc.validQuarantined > 0) reasons.push(`${acc.validQuarantined} valid deliveries quarantined`);
    const dlqValid = sent.accepted.filter(
      (a) =>
        dlqSet.has(a.deliveryId) &&
        !quarantinedIds.has(a.deliveryId) &&
        stream.deliveries[a.index]!.event.kind !== 'malformed',
    ).length;
    if (dlqValid > acc.dlqRecovered)
      reasons.push(`${dlqValid - acc.dlqRecovered} DLQ deliveries not applied after redrive`);
    if (sent.rejected.length) reasons.push(`${sent.rejected.length} deliveries rejected with 4xx`);
    if (sent.gaveUp.length) reasons.push(`${sent.gaveUp.length} deliveries never accepted`);
    if (cmp.balanceMismatches) reasons.push(`${cmp.balanceMismatches} balance mismatches`);
    if (cmp.kpiMismatches) reasons.push(`${cmp.kpiMismatches} KPI hour mismatches`);
    if (cmp.orderMismatches) reasons.push(`${cmp.orderMismatches} order mismatches`);
    if (results.hub.kills !== 1) reasons.push('the hub was not killed mid-stream');
    results.verdict = reasons.length === 0 ? 'PASS' : 'FAIL';
    results.dlq = dlqIds.length;
    results.oversells = {
      kpi: oversellKpi,
      negativeAtEnd: [...expected.balances.values()].filter((b) => b.available < 0).length,
    };
  } catch (err) {
    results.reasons.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    if (hub) results.mismatches.push(`hub log tail:\n${hub.logTail(15)}`);
  } finally {
    for (const c of clients) c.destroy();
    await hub?.stop().catch(() => {});
    await proxy?.close().catch(() => {});
    await moto?.stop().catch(() => {});
    if (results.verdict === 'PASS' && !process.env.SOAK_KEEP) rmSync(work, { recursive: true, force: true });
    else if (results.verdict !== 'PASS') log(`kept ${work} (hub.log) for inspection`);
  }

  results.seconds = Math.round((performance.now() - startedAt) / 100) / 10;
  writeFileSync(join(here, 'soak-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const a = results.accounting;
  const f = results.faults;
  const c = results.compare;
  const figures =
    `accepted=${a.accepted} applied=${a.applied} quarantined=${a.quarantined} inDlq=${a.inDlq} lost=${a.lost} ` +
    `| sends=${results.stream.sends} deliveries=${results.stream.deliveries} dup=${results.stream.duplicatedSends} malformed=${results.stream.malformed} ` +
    `notAccepted=${Object.values(results.sender.notAccepted).reduce((x, y) => x + y, 0)} ` +
    `| faults throttle=${f?.throttle ?? 0} 500=${f?.error500 ?? 0} dropped=${f?.drop ?? 0} outage=${f?.outage ?? 0} of ${f?.dataPlane ?? 0} calls ` +
    `| kill=${results.hub.kills} restart=${results.hub.restarts} ` +
    `| balances ${c.balances - c.balanceMismatches}/${c.balances} kpiHours ${c.kpiHours - c.kpiMismatches}/${c.kpiHours} orders ${c.orders - c.orderMismatches}/${c.orders} ` +
    `| ${results.seconds}s${QUICK ? ' (quick)' : ''} seed=${SEED}`;
  if (results.verdict === 'PASS') console.log(`soak: PASS ${figures}`);
  else {
    for (const m of results.mismatches) console.error(`  ${m}`);
    console.log(`soak: FAIL ${results.reasons.join('; ')} | ${figures}`);
  }
  return results.verdict === 'PASS' ? 0 : 1;
}

// a last resort: whatever hangs, the soak ends (children are killed by their own stop paths or die with us)
const watchdog = setTimeout(() => {
  console.log(`soak: FAIL watchdog: still running ${PROFILE.deadlineMs / 1000 + 45} s after start`);
  hub?.killNow();
  void moto?.stop();
  void proxy?.close();
  setTimeout(() => process.exit(2), 1000).unref();
}, PROFILE.deadlineMs + 45_000);
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.log(`soak: FAIL ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
