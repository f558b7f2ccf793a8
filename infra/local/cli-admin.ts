import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '#shared/aws/config.ts';
import { listQuarantine, redriveDlq, replayQuarantined } from '#shared/aws/quarantine.ts';
import { documentClient } from '#shared/aws/table.ts';
import { readHubFile } from './hub-file.ts';

/**
 * `npm run hub -- quarantine|dlq ...`: what the normalizer set aside, and sending it back.
 *
 *   quarantine list [--days 14] [--all]          quarantined deliveries with their reasons (--all: replayed too)
 *   quarantine replay [--id <deliveryId>]... [--reason <reason>] [--days 14]
 *                                                back through the ingest queue; safe to repeat
 *   dlq redrive [--max N]                        DLQ messages back to the ingest queue
 *
 * Environment: HUB_TABLE_NAME, HUB_INGEST_QUEUE_URL, HUB_INGEST_DLQ_URL and HUB_AWS_ENDPOINT; each
 * defaults to the running `npm start` (its .hub-local/hub.json). For a deployed stage, take them
 * from the stack outputs (TableName, IngestQueueUrl, DlqUrl) and export AWS credentials.
 */
export class AdminCliError extends Error {
  override name = 'AdminCliError';
}

interface Target {
  env: NodeJS.ProcessEnv;
  tableName: string;
  queueUrl: string;
  dlqUrl: string;
}

function target(env: NodeJS.ProcessEnv): Target {
  const file = readHubFile();
  const e: NodeJS.ProcessEnv = { ...env };
  if (!e.HUB_AWS_ENDPOINT && file) e.HUB_AWS_ENDPOINT = file.awsEndpoint;
  const tableName = e.HUB_TABLE_NAME ?? file?.tableName;
  const queueUrl = e.HUB_INGEST_QUEUE_URL ?? file?.ingestQueueUrl;
  const dlqUrl = e.HUB_INGEST_DLQ_URL ?? file?.ingestDlqUrl;
  if (!tableName || !queueUrl || !dlqUrl) {
    throw new AdminCliError('no running local hub found (.hub-local/hub.json): start one with `npm start`, or set HUB_TABLE_NAME, HUB_INGEST_QUEUE_URL and HUB_INGEST_DLQ_URL');
  }
  return { env: e, tableName, queueUrl, dlqUrl };
}

export async function runAdminCli(argv: string[], env: NodeJS.ProcessEnv, print: (line: string) => void): Promise<void> {
  const [group, command, ...rest] = argv;
  const t = target(env);
  const cfg = awsClientConfig(t.env);
  const doc = documentClient(cfg);
  const sqs = new SQSClient(cfg);
  const { values } = parseArgs({
    args: rest,
    options: { days: { type: 'string' }, all: { type: 'boolean' }, id: { type: 'string', multiple: true }, reason: { type: 'string' }, max: { type: 'string' } },
  });
  const days = values.days ? Number(values.days) : undefined;
  if (days !== undefined && !(Number.isInteger(days) && days > 0 && days <= 366)) throw new AdminCliError('--days takes a whole number from 1 to 366');

  if (group === 'quarantine' && command === 'list') {
    const items = await listQuarantine(doc, t.tableName, { ...(days ? { days } : {}), ...(values.all ? {} : { status: 'quarantined' as const }) });
    if (items.length === 0) print('nothing quarantined');
    for (const q of items) print(`${q.quarantinedAt}  ${q.deliveryId}  ${q.source ?? '-'}/${q.connectionId ?? '-'}  ${q.status}  ${q.reason}: ${q.message.slice(0, 160)}`);
    return;
  }
  if (group === 'quarantine' && command === 'replay') {
    const { replayed } = await replayQuarantined(
      { doc, tableName: t.tableName, sqs, queueUrl: t.queueUrl },
      { ...(values.id ? { deliveryIds: values.id } : {}), ...(values.reason ? { reason: values.reason } : {}), ...(days ? { days } : {}) },
    );
    print(`replayed ${replayed.length} deliver${replayed.length === 1 ? 'y' : 'ies'} through the ingest queue${replayed.length ? `: ${replayed.join(', ')}` : ''}`);
    return;
  }
  if (group === 'dlq' && command === 'redrive') {
    const max = values.max ? Number(values.max) : undefined;
    const { moved } = await redriveDlq(sqs, t.dlqUrl, t.queueUrl, max ? { max } : {});
    print(`moved ${moved} message${moved === 1 ? '' : 's'} from the DLQ back to the ingest queue`);
    return;
  }
  throw new AdminCliError('usage: hub quarantine list|replay ... | hub dlq redrive (see infra/local/cli-admin.ts)');
}
