import type { MsClock } from '#shared/domain/clock.ts';
import { keys } from '#shared/table/keys.ts';
import type { TablePort } from '#shared/table/port.ts';

/**
 * Whether a connection has API credentials, from the marker `connections credentials` writes
 * beside the connection (`CONN#<id>` / `API`; the secret stays in Secrets Manager, which
 * normalize may not read). Read only when a webhook names an unmapped listing, and kept
 * `maxAgeSeconds` per connection, so a burst of them is one read.
 */
export function connectionsWithCredentials(
  table: TablePort,
  opts: { maxAgeSeconds: number; now: MsClock },
): { enabled(connectionId: string): Promise<boolean> } {
  const cache = new Map<string, { has: boolean; at: number }>();
  return {
    async enabled(connectionId) {
      const hit = cache.get(connectionId);
      if (hit && opts.now() - hit.at < opts.maxAgeSeconds * 1000) return hit.has;
      const has = (await table.get(keys.connectionApi(connectionId), { consistent: false })) !== undefined;
      cache.set(connectionId, { has, at: opts.now() });
      return has;
    },
  };
}
