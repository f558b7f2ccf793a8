import { describe, expect, it } from 'vitest';
import { runCli } from '#infra/local/cli.ts';
import { dynamoStockAlerts } from '#shared/aws/kpi-repo.ts';
import { dynamoStockRepo } from '#shared/aws/stock-repo.ts';
import type { StockLevelSet } from '#shared/domain/events.ts';
import { readFeed } from '#shared/inventory/stock-read.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { BALANCE_DIR_SHARDS, keys } from '#shared/table/keys.ts';
import { fixedClock, TEST_NOW } from '../support/clock.ts';
import { freshTable } from '../support/table.ts';
import { motoEnv, testClients, uniqueName } from '../support/aws.ts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';

const now = fixedClock();

function count(sku: string, location: string, onHand: number): StockLevelSet {
  return {
    type: 'StockLevelSet',
    channel: 'wms',
    source: 'stock-api',
    deliveryId: `c-${sku}-${location}-${onHand}`,
    occurredAt: TEST_NOW,
    sku,
    locationId: location,
    quantity: onHand,
    bucket: 'on_hand',
    asOf: TEST_NOW,
  };
}

/** A balance as a hub before the balance directory wrote it: in the byUpdated index, no directory entry. */
function legacyBalance(sku: string, location: string, available: number) {
  return {
    ...keys.balance(sku, location),
    type: 'balance',
    sku,
    location,
    onHand: available,
    reserved: 0,
    available,
    rev: 3,
    updatedAt: '2026-01-01T00:00:00.000Z',
    feedPk: 'FEED#0',
    feedSk: `2026-01-01T00:00:00.000Z#${sku}#${location}`,
  };
}

describe('the balance directory on moto', () => {
  it('lists stock alerts from the directory, and says truncated when it stops early', async () => {
    // Prepare: 12 balances counted through normalize (which enters each in the directory)
    const { table, tableName, drop } = await freshTable('baldir');
    try {
      for (let i = 0; i < 12; i++) await applyEvent(table, count(`AL-${i}`, i % 2 ? 'WH-A' : 'WH-B', i), now);
      const doc = DynamoDBDocumentClient.from(testClients().dynamo);
      const alerts = dynamoStockAlerts(doc, tableName);
      // Act
      const all = await alerts.lowBalances({ threshold: 3, maxScanned: 1000 });
      const atA = await alerts.lowBalances({ threshold: 100, locations: ['WH-A'], maxScanned: 1000 });
      const cut = await alerts.lowBalances({ threshold: 100, maxScanned: BALANCE_DIR_SHARDS });
      // Assess
      expect(all.rows.map((r) => r.sku).sort()).toEqual(['AL-0', 'AL-1', 'AL-2', 'AL-3']);
      expect(all.truncated).toBe(false);
      expect(atA.rows.map((r) => r.location)).toEqual(Array(6).fill('WH-A'));
      expect(cut.truncated).toBe(true);
      expect(cut.rows.length).toBeLessThanOrEqual(BALANCE_DIR_SHARDS);
    } finally {
      await drop();
    }
  });

  it('stock reindex enters balances written before the directory, once, and the feed snapshot then serves them', async () => {
    // Prepare: three balances from before the upgrade, one counted after it
    const { table, tableName, drop } = await freshTable('reindex');
    try {
      const doc = DynamoDBDocumentClient.from(testClients().dynamo);
      await doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [tableName]: [
              legacyBalance('OLD-1', 'WH-A', 1),
              legacyBalance('OLD-2', 'WH-A', 2),
              legacyBalance('OLD-3', 'WH-B', 3),
            ].map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
      await applyEvent(table, count('NEW-1', 'WH-A', 9), now);
      const env = { ...motoEnv(), HUB_STATE_DIR: `/tmp/${uniqueName('nohub')}`, HUB_TABLE_NAME: tableName };
      const before = await dynamoStockAlerts(doc, tableName).lowBalances({ threshold: 100, maxScanned: 1000 });
      // Act
      const lines: string[] = [];
      await runCli(['stock', 'reindex'], env, (l) => lines.push(l));
      await runCli(['stock', 'reindex'], env, (l) => lines.push(l));
      const after = await dynamoStockAlerts(doc, tableName).lowBalances({ threshold: 100, maxScanned: 1000 });
      const snapshot = await readFeed(
        { stock: dynamoStockRepo(doc, tableName) },
        { keyHash: 'h', scopes: ['stock:read'], partner: null, createdAt: TEST_NOW },
        { updatedSince: '2020-01-01T00:00:00.000Z', limit: '1000' },
        { settleMs: 1000, now: () => new Date(Date.parse(TEST_NOW) + 60_000) },
      );
      // Assess
      expect(before.rows.map((r) => r.sku)).toEqual(['NEW-1']);
      expect(lines).toEqual([
        '4 balances; 3 directory entries written (the others had theirs)',
        '4 balances; 0 directory entries written (the others had theirs)',
      ]);
      expect(after.rows.map((r) => r.sku).sort()).toEqual(['NEW-1', 'OLD-1', 'OLD-2', 'OLD-3']);
      expect(snapshot.items.map((r) => r.sku).sort()).toEqual(['NEW-1', 'OLD-1', 'OLD-2', 'OLD-3']);
      expect(snapshot.hasMore).toBe(true);
    } finally {
      await drop();
    }
  });

  it('a balance from before the upgrade enters the directory on its first write since, without a reindex', async () => {
    // Prepare: two balances written before the directory existed
    const { table, tableName, drop } = await freshTable('selfdir');
    try {
      const doc = DynamoDBDocumentClient.from(testClients().dynamo);
      await doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [tableName]: [legacyBalance('OLD-1', 'WH-A', 1), legacyBalance('OLD-2', 'WH-A', 2)].map((Item) => ({
              PutRequest: { Item },
            })),
          },
        }),
      );
      // Act: a count of one of them
      await applyEvent(table, count('OLD-1', 'WH-A', 4), now);
      const alerts = await dynamoStockAlerts(doc, tableName).lowBalances({ threshold: 100, maxScanned: 1000 });
      // Assess: the counted balance left the index and is listed; the untouched one waits for reindex
      expect(alerts.rows.map((r) => [r.sku, r.onHand])).toEqual([['OLD-1', 4]]);
      const written = await table.get(keys.balance('OLD-1', 'WH-A'));
      expect(written).not.toHaveProperty('feedPk');
      expect(await table.get(keys.balanceDir('OLD-1', 'WH-A'))).toBeDefined();
      expect(await table.get(keys.balanceDir('OLD-2', 'WH-A'))).toBeUndefined();
    } finally {
      await drop();
    }
  });
});
