import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { type AttributeValue, BatchWriteItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '#shared/aws/config.ts';
import { AwsError, liteAwsClient } from '#shared/aws/lite/client.ts';
import { HubConfigSchema, type HubConfig } from './config.ts';
import type { HubResources } from './provision.ts';

/**
 * Local persistence for `npm start`: the hub's state kept in a data directory across restarts, as
 * LocalStack's persistence does. moto 5 has no persistence of its own, so the hub snapshots
 * through the SDK what it holds — every table item (connections, keys, channels, orders, balances,
 * KPI counters, listings, subscriptions, quarantine), every Secrets Manager secret (connection
 * and subscription secrets), the claim-check bodies in S3 and, on a clean stop, the messages
 * still in the queues — and writes it back into the fresh moto of the next start. The config the
 * first start ran with is kept beside it, so a restart prints the same secrets and keys.
 *
 * Items are kept in DynamoDB's own JSON (numbers as strings), so a restore writes back exactly what
 * was read: no sender id or amount goes through a JS number.
 */

export const SNAPSHOT_FILE = 'snapshot.json';
export const CONFIG_FILE = 'config.json';

/** The queues of a hub by their role, so a restore finds them under the new moto's URLs. */
const QUEUE_ROLES = [
  'ingestQueueUrl',
  'ingestDlqUrl',
  'spapiQueueUrl',
  'spapiDlqUrl',
  'hydrateQueueUrl',
  'hydrateDlqUrl',
  'outboundQueueUrl',
  'outboundDlqUrl',
] as const;

const AttributeSchema: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string(), z.boolean()]),
);

const SnapshotSchema = z.object({
  version: z.literal(1),
  savedAt: z.string(),
  items: z.array(z.record(z.string(), AttributeSchema)),
  secrets: z.array(z.object({ name: z.string(), value: z.string() })),
  bodies: z.array(z.object({ key: z.string(), base64: z.string(), contentType: z.string().optional() })),
  queues: z.record(
    z.string(),
    z.array(
      z.object({
        body: z.string(),
        attributes: z.record(z.string(), z.object({ DataType: z.string(), StringValue: z.string().optional() })),
      }),
    ),
  ),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

export interface PersistCounts {
  items: number;
  secrets: number;
  bodies: number;
  messages: number;
}

/** Binary attributes (B, BS) as base64, so an item survives JSON; everything else is JSON already. */
function encodeValue(v: AttributeValue): unknown {
  if (v.B) return { B64: Buffer.from(v.B).toString('base64') };
  if (v.BS) return { BS64: v.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (v.M) return { M: Object.fromEntries(Object.entries(v.M).map(([k, x]) => [k, encodeValue(x)])) };
  if (v.L) return { L: v.L.map(encodeValue) };
  return v;
}

function decodeValue(v: Record<string, unknown>): AttributeValue {
  if (typeof v.B64 === 'string') return { B: Buffer.from(v.B64, 'base64') };
  if (Array.isArray(v.BS64)) return { BS: v.BS64.map((b) => Buffer.from(String(b), 'base64')) };
  if (v.M && typeof v.M === 'object')
    return {
      M: Object.fromEntries(
        Object.entries(v.M as Record<string, Record<string, unknown>>).map(([k, x]) => [k, decodeValue(x)]),
      ),
    };
  if (Array.isArray(v.L)) return { L: v.L.map((x) => decodeValue(x as Record<string, unknown>)) };
  return v as unknown as AttributeValue;
}

const encodeItem = (item: Record<string, AttributeValue>) =>
  Object.fromEntries(Object.entries(item).map(([k, v]) => [k, encodeValue(v)]));
const decodeItem = (item: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(item).map(([k, v]) => [k, decodeValue(v as Record<string, unknown>)]));

export class LocalPersistence {
  private readonly dynamo: DynamoDBClient;
  private readonly s3: S3Client;
  private readonly sqs: SQSClient;
  private readonly lite: ReturnType<typeof liteAwsClient>;
  private saving: Promise<PersistCounts> | undefined;

  constructor(
    readonly dir: string,
    awsEndpoint: string,
    region: string,
  ) {
    const env = { ...process.env, HUB_AWS_ENDPOINT: awsEndpoint, AWS_REGION: region };
    const cfg = awsClientConfig(env);
    this.dynamo = new DynamoDBClient(cfg);
    this.s3 = new S3Client({ ...cfg, forcePathStyle: true });
    this.sqs = new SQSClient(cfg);
    this.lite = liteAwsClient({ env });
  }

  /** The saved snapshot, if there is one (a damaged file is an error a person must see, not an empty hub). */
  static read(dir: string): Snapshot | undefined {
    const file = resolve(dir, SNAPSHOT_FILE);
    if (!existsSync(file)) return undefined;
    const parsed = SnapshotSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success)
      throw new Error(
        `${file} is not a hub snapshot (${parsed.error.issues[0]?.message}); move it away or start with --fresh`,
      );
    return parsed.data;
  }

  /** The config the first start ran with (its secrets and keys), if kept. */
  static readConfig(dir: string): HubConfig | undefined {
    const file = resolve(dir, CONFIG_FILE);
    if (!existsSync(file)) return undefined;
    return HubConfigSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  }

  static writeConfig(dir: string, config: HubConfig): void {
    mkdirSync(dir, { recursive: true });
    writeAtomically(resolve(dir, CONFIG_FILE), JSON.stringify(config, null, 2));
  }

  /** Removes what is kept (`--fresh`). */
  static clear(dir: string): void {
    rmSync(resolve(dir, SNAPSHOT_FILE), { force: true });
    rmSync(resolve(dir, CONFIG_FILE), { force: true });
  }

  /** Writes a snapshot back into freshly provisioned resources (before any poller starts). */
  async restore(snapshot: Snapshot, resources: HubResources): Promise<PersistCounts> {
    for (const s of snapshot.secrets) {
      try {
        await this.lite.json({
          service: 'secretsmanager',
          target: 'secretsmanager.CreateSecret',
          input: { Name: s.name, SecretString: s.value },
        });
      } catch (err) {
        if (!(err instanceof AwsError && err.type === 'ResourceExistsException')) throw err;
        await this.lite.json({
          service: 'secretsmanager',
          target: 'secretsmanager.PutSecretValue',
          input: { SecretId: s.name, SecretString: s.value },
        });
      }
    }
    for (const b of snapshot.bodies) {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: resources.bodyBucket,
          Key: b.key,
          Body: Buffer.from(b.base64, 'base64'),
          ...(b.contentType ? { ContentType: b.contentType } : {}),
        }),
      );
    }
    for (let i = 0; i < snapshot.items.length; i += 25) {
      let requests = snapshot.items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: decodeItem(item) } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 20) throw new Error('restore: the table kept refusing writes');
        const res = await this.dynamo.send(
          new BatchWriteItemCommand({ RequestItems: { [resources.tableName]: requests } }),
        );
        requests = (res.UnprocessedItems?.[resources.tableName] ?? []) as typeof requests;
      }
    }
    let messages = 0;
    for (const [role, list] of Object.entries(snapshot.queues)) {
      const url = resources[role as (typeof QUEUE_ROLES)[number]];
      if (!url) continue;
      for (const m of list) {
        await this.sqs.send(
          new SendMessageCommand({
            QueueUrl: url,
            MessageBody: m.body,
            ...(Object.keys(m.attributes).length ? { MessageAttributes: m.attributes } : {}),
          }),
        );
        messages++;
      }
    }
    return {
      items: snapshot.items.length,
      secrets: snapshot.secrets.length,
      bodies: snapshot.bodies.length,
      messages,
    };
  }

  /**
   * Saves the state to the data directory (written to a temporary file and renamed, so a crash
   * mid-save leaves the previous snapshot). `withQueues` also takes the messages still in the
   * queues: only on a clean stop, after the pollers have stopped, since taking a message hides it
   * from a running poller.
   */
  save(resources: HubResources, opts: { withQueues?: boolean } = {}): Promise<PersistCounts> {
    // one save at a time: the periodic one and the one on stop must not interleave their files
    const run = async (): Promise<PersistCounts> => {
      const snapshot: Snapshot = {
        version: 1,
        // the file's own timestamp, for a person reading it; nothing computes with it
        savedAt: new Date().toISOString(),
        items: await this.scanTable(resources.tableName),
        secrets: await this.readSecrets(),
        bodies: await this.readBodies(resources.bodyBucket),
        queues: opts.withQueues ? await this.drainQueues(resources) : {},
      };
      mkdirSync(this.dir, { recursive: true });
      writeAtomically(resolve(this.dir, SNAPSHOT_FILE), JSON.stringify(snapshot));
      return {
        items: snapshot.items.length,
        secrets: snapshot.secrets.length,
        bodies: snapshot.bodies.length,
        messages: Object.values(snapshot.queues).reduce((n, l) => n + l.length, 0),
      };
    };
    const next = (this.saving ?? Promise.resolve()).catch(() => undefined).then(run);
    this.saving = next;
    return next;
  }

  close(): void {
    this.dynamo.destroy();
    this.s3.destroy();
    this.sqs.destroy();
  }

  private async scanTable(tableName: string): Promise<Snapshot['items']> {
    const items: Snapshot['items'] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.dynamo.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
      for (const it of res.Items ?? []) items.push(encodeItem(it));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async readSecrets(): Promise<Snapshot['secrets']> {
    const out: Snapshot['secrets'] = [];
    let next: string | undefined;
    do {
      const page = await this.lite.json<{ SecretList?: Array<{ Name?: string }>; NextToken?: string }>({
        service: 'secretsmanager',
        target: 'secretsmanager.ListSecrets',
        input: { MaxResults: 100, ...(next ? { NextToken: next } : {}) },
      });
      for (const s of page.SecretList ?? []) {
        if (!s.Name) continue;
        const v = await this.lite.json<{ SecretString?: string }>({
          service: 'secretsmanager',
          target: 'secretsmanager.GetSecretValue',
          input: { SecretId: s.Name },
        });
        if (v.SecretString !== undefined) out.push({ name: s.Name, value: v.SecretString });
      }
      next = page.NextToken;
    } while (next);
    return out;
  }

  private async readBodies(bucket: string): Promise<Snapshot['bodies']> {
    const out: Snapshot['bodies'] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        const obj = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
        const bytes = await obj.Body?.transformToByteArray();
        out.push({
          key: o.Key,
          base64: Buffer.from(bytes ?? new Uint8Array()).toString('base64'),
          ...(obj.ContentType ? { contentType: obj.ContentType } : {}),
        });
      }
      token = page.NextContinuationToken;
    } while (token);
    return out;
  }

  private async drainQueues(resources: HubResources): Promise<Snapshot['queues']> {
    const out: Snapshot['queues'] = {};
    for (const role of QUEUE_ROLES) {
      const url = resources[role];
      if (!url) continue;
      const list: Snapshot['queues'][string] = [];
      for (;;) {
        const res = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            // hidden for the rest of this stop (so each is read once); moto is stopped right after
            VisibilityTimeout: 600,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
          }),
        );
        const msgs = res.Messages ?? [];
        if (msgs.length === 0) break;
        for (const m of msgs) {
          list.push({
            body: m.Body ?? '',
            attributes: Object.fromEntries(
              Object.entries(m.MessageAttributes ?? {})
                .filter(([, a]) => a.DataType && a.StringValue !== undefined)
                .map(([k, a]) => [k, { DataType: a.DataType!, StringValue: a.StringValue! }]),
            ),
          });
        }
      }
      if (list.length) out[role] = list;
    }
    return out;
  }
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
