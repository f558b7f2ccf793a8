import { forEachLimit } from '#shared/domain/pool.ts';
import { keys } from '#shared/table/keys.ts';
import type { TablePort } from '#shared/table/port.ts';

/**
 * The balance directory: one small item per balance ever created (keys.balanceDir), so every
 * balance can be listed — the delta feed's snapshot, the stock alerts — by a Query of a few
 * directory partitions and a BatchGetItem of the balances, without an index over balances (whose
 * entry every balance write would move).
 *
 * Written once per balance, by whoever finds it missing before creating it (the fold, a count, an
 * adjustment), and before the balance write: a crash in between leaves an entry whose balance does
 * not exist yet (listing skips it), never a balance missing from the directory. A plain put of the
 * same content, so writing it twice changes nothing. `npm run hub -- stock reindex` writes the
 * entries of balances created before the directory existed.
 */

export interface BalanceId {
  sku: string;
  location: string;
}

/** The directory item of a balance. */
export function directoryItem({ sku, location }: BalanceId) {
  return { ...keys.balanceDir(sku, location), type: 'balance-dir', sku, location };
}

/**
 * Does this balance, as read before a write, still need its directory entry? When it does not exist
 * yet (the write creates it), and when it still carries the index keys balances had before the
 * directory existed: the write removes those (LEGACY_BALANCE_INDEX_ATTRS), so a balance written
 * after the upgrade enters the directory once, on its own, without waiting for `stock reindex`.
 */
export function needsDirectoryEntry(current: Record<string, unknown> | undefined): boolean {
  return current === undefined || current.feedPk !== undefined;
}

/** Directory entries written at once. */
const CONCURRENCY = 8;

/** Writes the directory entries of balances about to be created (plain puts, idempotent). */
export async function writeDirectoryEntries(table: TablePort, balances: readonly BalanceId[]): Promise<void> {
  await forEachLimit(balances.length, CONCURRENCY, async (i) => {
    await table.write([{ kind: 'put', item: directoryItem(balances[i]!) }]);
  });
}
