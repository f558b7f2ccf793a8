import { z } from 'zod';

/**
 * A stock balance (item `SKU#<sku>` / `LOC#<location>`) as every reader of the table sees it: the
 * stock API, the change feed and the stock alerts. The one schema its items are read back through:
 * what is read is checked, not trusted, and a malformed item is skipped rather than served. The
 * writers' view of the same item (with its revision and size) is BalanceView in balance.ts.
 */
export const BalanceRowSchema = z.object({
  sku: z.string(),
  location: z.string(),
  onHand: z.number().default(0),
  reserved: z.number().default(0),
  available: z.number().default(0),
  updatedAt: z.string(),
  /** the balance's revision (monotonic per balance): of two copies, the higher is newer */
  rev: z.number().default(0),
});

export type BalanceRow = z.infer<typeof BalanceRowSchema>;
