import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { runCli } from '#infra/local/cli.ts';
import { adapt } from '#shared/adapters/index.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { listQuarantine } from '#shared/aws/quarantine.ts';
import { documentClient, type DynamoTable } from '#shared/aws/table.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import { keys } from '#shared/table/keys.ts';
import { normalizeMessage } from '#shared/normalize/normalize.ts';
import { deliveryFor, payload } from '../fixtures/payloads.ts';
import { fixedClock } from '../support/clock.ts';
import { motoEnv, testClients, uniqueName } from '../support/aws.ts';
import { freshTable } from '../support/table.ts';
import { channelList } from '../support/channels.ts';

/**
 * `npm run hub -- listings ...` against moto: Square and BigCommerce stock webhooks name catalog
 * ids only, are quarantined as unmapped-listing, and apply once the merchant maps the ids.
 *
 * Bodies: test/fixtures/payloads/square/inventory-count-updated.json mirrors the
 * `inventory.count.updated` example of Square's Webhooks reference (two IN_STOCK counts, of
 * variations FKPYM47ZBWJD3RQK7XEBN2QH and W62UWFY35CWMYGVWK6TWJDNI); bigcommerce/
 * product-inventory-absolute.json mirrors the `store/product/inventory/updated` body of
 * BigCommerce's webhook events reference (product 179, no variant).
 */
let table: DynamoTable;
let tableName: string;
let drop: () => Promise<void>;
let queueUrl: string;
let env: NodeJS.ProcessEnv;
const doc = () => documentClient(awsClientConfig(motoEnv()));
const deps = () => ({
  table,
  adapt,
  channels: channelList(),
  now: fixedClock(),
  loadBody: async (d: Delivery) => Buffer.from(d.body.kind === 'inline' ? d.body.data : ''),
});

async function cli(...argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  await runCli(argv, env, (l) => lines.push(l));
  return lines;
}

async function cliFailing(...argv: string[]): Promise<{ lines: string[]; error: Error }> {
  const lines: string[] = [];
  const error = await runCli(argv, env, (l) => lines.push(l)).then(
    () => new Error('expected the command to fail'),
    (err: Error) => err,
  );
  return { lines, error };
}

/** Normalizes every message the replay put on the queue. */
async function drainQueue() {
  const { sqs } = testClients();
  const outcomes = [];
  for (let i = 0; i < 3; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    for (const m of r.Messages ?? []) outcomes.push(await normalizeMessage(m.Body!, deps()));
  }
  return outcomes;
}

const square = deliveryFor('square', 'inventory.count.updated', payload('square', 'inventory-count-updated'), {
  deliveryId: 'dlv_sq',
  channel: 'square-main',
});
const bigcommerce = deliveryFor(
  'bigcommerce',
  'store/product/inventory/updated',
  payload('bigcommerce', 'product-inventory-absolute'),
  {
    deliveryId: 'dlv_bc',
    channel: 'bc-main',
  },
);

beforeAll(async () => {
  ({ table, tableName, drop } = await freshTable('listings'));
  const { sqs } = testClients();
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('listq') }))).QueueUrl!;
  env = { ...motoEnv(), HUB_TABLE_NAME: tableName, HUB_INGEST_QUEUE_URL: queueUrl, HUB_INGEST_DLQ_URL: queueUrl };
});
afterAll(async () => drop());

describe('npm run hub -- listings', () => {
  it('quarantines Square and BigCommerce counts with the command that maps them', async () => {
    // Act
    const sq = await normalizeMessage(JSON.stringify(square), deps());
    const bc = await normalizeMessage(JSON.stringify(bigcommerce), deps());
    // Assess
    expect(sq).toMatchObject({
      status: 'quarantined',
      reason: 'unmapped-listing',
      externalId: 'FKPYM47ZBWJD3RQK7XEBN2QH',
    });
    expect(sq.status === 'quarantined' && sq.message).toContain(
      'npm run hub -- listings map square-main FKPYM47ZBWJD3RQK7XEBN2QH <sku>',
    );
    expect(sq.status === 'quarantined' && sq.message).not.toContain('products/update');
    expect(bc).toMatchObject({ status: 'quarantined', reason: 'unmapped-listing', externalId: 'product:179' });
    expect(bc.status === 'quarantined' && bc.message).toContain(
      'npm run hub -- listings map bc-main product:179 <sku>',
    );
  });

  it('maps one listing and replays the delivery waiting for it, which then waits for the next unmapped one', async () => {
    // Act
    const out = await cli('listings', 'map', 'square-main', 'FKPYM47ZBWJD3RQK7XEBN2QH', 'TEE-BLK-M');
    const outcomes = await drainQueue();
    // Assess
    expect(out).toContain('mapped square-main listing FKPYM47ZBWJD3RQK7XEBN2QH to TEE-BLK-M');
    expect(out.at(-1)).toMatch(/^replayed 1 quarantined delivery waiting for it: dlv_sq$/);
    expect(outcomes).toMatchObject([
      { status: 'quarantined', reason: 'unmapped-listing', externalId: 'W62UWFY35CWMYGVWK6TWJDNI' },
    ]);
  });

  it('imports a CSV: reports bad rows by line, writes the valid ones, replays what waited for them', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'listings-'));
    const file = join(dir, 'map.csv');
    writeFileSync(
      file,
      [
        'channel,externalId,sku',
        'square-main,W62UWFY35CWMYGVWK6TWJDNI,MUG-WHT',
        'bc-main,product:179,"LAMP, BRASS"',
        'bc-main,variant:12,',
        'bad#channel,x,SKU-1',
        '',
        'square-main,W62UWFY35CWMYGVWK6TWJDNI,MUG-RED',
        'square-main,only-two-fields',
        'square-main,W62UWFY35CWMYGVWK6TWJDNI,MUG-WHT',
      ].join('\n'),
    );
    // Act
    const { lines, error } = await cliFailing('listings', 'import', file);
    const outcomes = await drainQueue();
    const listed = await cli('listings', 'list');
    const squareOnly = await cli('listings', 'list', '--channel', 'bc-main');
    // Assess
    expect(lines.filter((l) => l.startsWith('line '))).toEqual([
      'line 4: sku: sku is empty',
      expect.stringMatching(/^line 5: channel: must not contain "#"/),
      'line 7: square-main listing W62UWFY35CWMYGVWK6TWJDNI is mapped to MUG-WHT on line 2',
      'line 8: expected 3 fields (channel,externalId,sku), found 2',
    ]);
    expect(lines).toContain('mapped 2, unchanged 0, rejected 4');
    expect(error.message).toMatch(/4 rows rejected/);
    expect(outcomes.map((o) => o.deliveryId).sort()).toEqual(['dlv_bc', 'dlv_sq']);
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    expect(await table.get(keys.balance('LAMP, BRASS', 'default'))).toMatchObject({ onHand: 64 });
    expect(await table.get(keys.balance('TEE-BLK-M', 'L8GWV4NH3TQ2J'))).toMatchObject({ onHand: 17 });
    expect(listed.map((l) => l.split('\t').slice(0, 3).join(' '))).toEqual([
      'bc-main product:179 LAMP, BRASS',
      'square-main FKPYM47ZBWJD3RQK7XEBN2QH TEE-BLK-M',
      'square-main W62UWFY35CWMYGVWK6TWJDNI MUG-WHT',
    ]);
    expect(squareOnly).toHaveLength(1);
    const quarantine = await listQuarantine(doc(), tableName, { now: new Date(), days: 2 });
    expect(quarantine.map((q) => [q.deliveryId, q.status]).sort()).toEqual([
      ['dlv_bc', 'replayed'],
      ['dlv_sq', 'replayed'],
    ]);
  });

  it('changes nothing and replays nothing when a listing is mapped again to the same SKU', async () => {
    // Act
    const out = await cli('listings', 'map', 'bc-main', 'product:179', 'LAMP, BRASS');
    // Assess
    expect(out).toEqual([
      'note: channel bc-main has no connection or configuration yet (a typo?)',
      'bc-main listing product:179 was already mapped to LAMP, BRASS (or to a newer SKU): unchanged',
      'replayed 0 quarantined deliveries waiting for it',
    ]);
  });

  it('lists order lines waiting for a listing, counts them once, and lists none once their listing is mapped', async () => {
    // Prepare: WooCommerce's order example (REST API docs) has a line of product 93 with "sku": ""
    const order = deliveryFor('woocommerce', 'order.created', payload('woocommerce', 'order-created-docs'), {
      deliveryId: 'dlv_woo',
      channel: 'woo-main',
    });
    // Act
    const first = await normalizeMessage(JSON.stringify(order), deps());
    const again = await normalizeMessage(JSON.stringify(order), deps());
    const waiting = await cli('listings', 'waiting');
    const elsewhere = await cli('listings', 'waiting', '--channel', 'square-main');
    await cli('listings', 'map', 'woo-main', 'product:93', 'WOO-ALBUM');
    const after = await cli('listings', 'waiting', '--channel', 'woo-main');
    // Assess
    expect(first).toMatchObject({ status: 'applied', unmappedLines: 1 });
    expect(again).not.toHaveProperty('unmappedLines');
    expect(waiting).toEqual(['woo-main\tproduct:93\t727\t315\t2']);
    expect(elsewhere).toEqual(['no order lines wait for a listing on square-main']);
    expect(after).toEqual(['no order lines wait for a listing on woo-main']);
    const stored = await table.get(keys.order('woo-main', '727'));
    expect((stored?.state as { lines: { lineId: string; sku: string; unmapped?: true }[] }).lines[0]).toMatchObject({
      lineId: '315',
      sku: 'WOO-ALBUM',
    });
    expect((stored?.state as { lines: { unmapped?: true }[] }).lines.some((l) => l.unmapped)).toBe(false);
  });

  it('has --help for every listings command without needing a running hub, and says what is wrong with bad input', async () => {
    // Prepare
    const noHub = {};
    const help = async (...argv: string[]) => {
      const lines: string[] = [];
      await runCli(argv, noHub, (l) => lines.push(l));
      return lines.join('\n');
    };
    // Act / Assess
    expect(await help('listings', 'map', '--help')).toMatch(
      /^usage: npm run hub -- listings map <channel> <externalId> <sku>/,
    );
    expect(await help('listings', 'import', '--help')).toContain('channel,externalId,sku');
    expect(await help('listings', 'list', '-h')).toContain('--channel');
    expect(await help('listings', 'waiting', '--help')).toMatch(/^usage: npm run hub -- listings waiting/);
    expect(await help('listings')).toContain('listings map|import|list');
    expect(await help('connections', 'add', '--help')).toContain('--source');
    expect((await cliFailing('listings', 'map', 'square-main', 'X')).error.message).toMatch(
      /^listings map takes 3 arguments, got 2/,
    );
    expect((await cliFailing('listings', 'map', 'square-main', 'X', 'Y', '--bogus')).error.message).toMatch(
      /Unknown option '--bogus'/,
    );
    expect((await cliFailing('listings', 'import', '/nonexistent/map.csv')).error.message).toBe(
      'cannot read /nonexistent/map.csv: ENOENT',
    );
    expect((await cliFailing('listings', 'frobnicate')).error.message).toMatch(/^unknown command: listings frobnicate/);
  });
});
