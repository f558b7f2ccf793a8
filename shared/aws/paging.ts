/** A page of a DynamoDB Query or Scan (document client or low-level: items are left as they are). */
export interface Page<T> {
  Items?: T[];
  LastEvaluatedKey?: Record<string, unknown>;
}

/**
 * The one paging loop: every item of a paged Query or Scan. `page` sends the request starting at
 * the given key (undefined first) and the loop follows LastEvaluatedKey until DynamoDB has no more.
 * Hand-written rather than the SDK's paginateQuery/paginateScan because those take a client and a
 * command input of one kind, while the callers here use both the document client and the lite one.
 */
export async function allItems<T>(
  page: (start: Record<string, unknown> | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const out: T[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await page(start);
    out.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}
