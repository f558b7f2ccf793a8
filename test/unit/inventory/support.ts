import type { ApiKeyRecord } from '#shared/http/api-key.ts';
import { BALANCE_DIR_SHARDS, balanceDirPartition, keys } from '#shared/table/keys.ts';
import type { ChangePagesQuery, StockReadPort } from '#shared/inventory/ports.ts';
import type { TablePort } from '#shared/table/port.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { BalanceRowSchema } from '#shared/inventory/balance-row.ts';
import { pageOf } from '#shared/aws/stock-repo.ts';
import { writeChangePages } from '#shared/inventory/change-pages.ts';
import { writeDirectoryEntries } from '#shared/inventory/balance-directory.ts';

/** An API key record for tests. */
export function apiKey(over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return { keyHash: 'h', scopes: ['stock:read'], partner: null, createdAt: '2026-01-01T00:00:00.000Z', ...over };
}

/**
 * The stock read port over a table port, with the semantics of shared/aws/stock-repo.ts: change
 * pages read a day partition at a time, `limit` parts per request; the balance directory `limit`
 * entries per request. Unit tests run it over a MemoryTable.
 */
export function tableStockRead(table: TablePort): StockReadPort {
  return {
    directoryShards: BALANCE_DIR_SHARDS,
    async balancesOf(sku) {
      const items = await table.queryBetween(`SKU#${sku}`, 'LOC#', 'LOC$');
      return items.flatMap((it) => {
        const r = BalanceRowSchema.safeParse(it);
        return r.success ? [r.data] : [];
      });
    },
    async changePages(q) {
      // queryBetween is exclusive: `from` itself (a page partly delivered) is read by its own key
      const own = await table.get({ pk: `CHG#${q.day}`, sk: q.from });
      const rest = await table.queryBetween(`CHG#${q.day}`, q.from, q.before);
      const all = [...(own ? [own] : []), ...rest];
      return { pages: all.slice(0, q.limit).map(pageOf), done: all.length <= q.limit };
    },
    async directory(q) {
      const all = await table.queryBetween(balanceDirPartition(q.shard), q.after ?? '', '\uffff');
      return {
        entries: all
          .slice(0, q.limit)
          .map((it) => ({ sku: String(it.sku), location: String(it.location), sk: String(it.sk) })),
        done: all.length <= q.limit,
      };
    },
    async balances(ids) {
      const items = await table.batchGet(ids.map((b) => keys.balance(b.sku, b.location)));
      return items.flatMap((it) => {
        const r = BalanceRowSchema.safeParse(it);
        return r.success ? [r.data] : [];
      });
    },
  };
}

/**
 * Balances in a MemoryTable, each `set` written the way the hub writes one: the balance (its rev
 * one higher), its directory entry, and a change page of one row stamped `updatedAt` (the fold's
 * page writer, shared/inventory/change-pages.ts).
 */
export class MemoryStock implements StockReadPort {
  readonly table = new MemoryTable();
  private readonly port = tableStockRead(this.table);
  private seq = 0;
  readonly directoryShards = BALANCE_DIR_SHARDS;

  async set(sku: string, location: string, updatedAt: string, available = 1): Promise<void> {
    const rev = Number((await this.table.get(keys.balance(sku, location)))?.rev ?? 0) + 1;
    const state = { sku, location, onHand: available, reserved: 0, available, rev, updatedAt };
    await writeDirectoryEntries(this.table, [{ sku, location }]);
    await this.table.write([{ kind: 'put', item: { ...keys.balance(sku, location), type: 'balance', ...state } }]);
    this.seq++;
    await writeChangePages(this.table, 'mem', String(this.seq).padStart(8, '0'), [state], () => Date.parse(updatedAt));
  }

  balancesOf = (sku: string) => this.port.balancesOf(sku);
  changePages = (q: ChangePagesQuery) => this.port.changePages(q);
  directory = (q: Parameters<StockReadPort['directory']>[0]) => this.port.directory(q);
  balances = (ids: readonly { sku: string; location: string }[]) => this.port.balances(ids);
}
