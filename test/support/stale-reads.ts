import type { Item, Key, ReadOptions, TablePort } from '#shared/table/port.ts';

/**
 * A table whose eventually consistent reads (`get` or `batchGet` with `consistent: false`) now and then answer
 * with an earlier version of the item, as DynamoDB may: any version this wrapper has seen before
 * (by a read), or its absence before the first one. Strongly consistent reads and writes go
 * through unchanged. `rate`: the share of eventually consistent reads served stale.
 */
export function withStaleReads(inner: TablePort, rand: () => number, rate = 0.3): TablePort & { staleServed: number } {
  const seen = new Map<string, (Item | undefined)[]>();
  const id = (k: Key) => `${k.pk}\u0000${k.sk}`;
  const serve = (key: Key, item: Item | undefined, opts?: ReadOptions): Item | undefined => {
    const versions = seen.get(id(key)) ?? [undefined];
    const last = versions[versions.length - 1];
    if (JSON.stringify(last) !== JSON.stringify(item)) versions.push(item && structuredClone(item));
    seen.set(id(key), versions);
    if (opts?.consistent === false && versions.length > 1 && rand() < rate) {
      wrapper.staleServed++;
      const older = versions[Math.floor(rand() * (versions.length - 1))];
      return older && structuredClone(older);
    }
    return item;
  };
  const wrapper = {
    staleServed: 0,
    get stats() {
      return inner.stats;
    },
    async get(key: Key, opts?: ReadOptions) {
      return serve(key, await inner.get(key, opts), opts);
    },
    async batchGet(keys: Key[], opts?: ReadOptions) {
      const found = new Map(
        (await inner.batchGet(keys, opts)).map((it) => [id({ pk: String(it.pk), sk: String(it.sk) }), it]),
      );
      const out: Item[] = [];
      for (const key of keys) {
        const item = serve(key, found.get(id(key)), opts);
        if (item) out.push(item);
      }
      return out;
    },
    queryBetween: (pk: string, after: string, before: string) => inner.queryBetween(pk, after, before),
    write: (ops: Parameters<TablePort['write']>[0]) => inner.write(ops),
  };
  return wrapper;
}
