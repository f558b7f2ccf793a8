import { ConfigError } from '#shared/domain/config-error.ts';
import { envSeconds } from '#shared/aws/config.ts';
import { allItems } from '#shared/aws/paging.ts';
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getApiKey } from '#shared/aws/api-keys.ts';
import { dynamoChannelPort } from '#shared/aws/channels.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { documentClient } from '#shared/aws/table.ts';
import { createAuthenticator, type Authenticate } from '#shared/http/auth.ts';
import { hourCountersBetween } from '#shared/kpi/fold.ts';
import { isTimeZone } from '#shared/kpi/periods.ts';
import type { KpiDeps, KpiReadPort } from '#shared/kpi/ports.ts';
import { lowBalancesIn, type StockAlertsPort } from '#shared/inventory/stock-alerts.ts';
import { KPI_SHARDS, keys } from '#shared/table/keys.ts';
import { msClockOf, systemClock, type Clock, type MsClock } from '#shared/domain/clock.ts';
import { dynamoFiguresRepo } from '#shared/aws/figures-repo.ts';
import type { FiguresPort } from '#shared/kpi/figures.ts';
import { dynamoBalanceList, dynamoStockRepo } from '#shared/aws/stock-repo.ts';

/**
 * The KPI API's reads on the hub table, and the kpi function's dependencies built from its
 * environment:
 *  - HUB_TABLE_NAME (required), HUB_AWS_ENDPOINT (moto / LocalStack), AWS_REGION
 *  - HUB_MERCHANT_TIME_ZONE: the zone periods are cut in when a request names none (default UTC)
 *  - HUB_API_KEY_CACHE_SECONDS (default 30, at most 60), HUB_CHANNEL_CACHE_SECONDS (default 30)
 */

/**
 * Counter items of one (channel, UTC month, shard) partition between two hours, and the day and
 * month rollups: each a single Query on the base table with an sk range, one page in practice
 * (≤ 744 items of a few hundred bytes). Eventually consistent: half the read cost, and a
 * manager's chart does not need the last second. The rollup zone marker is cached (an unset one
 * only briefly, so the first fold's rollups are used soon after it ran).
 */
export function dynamoKpiRepo(
  doc: DynamoDBDocumentClient,
  tableName: string,
  opts: { zoneCacheMs?: number; now: MsClock },
): KpiReadPort {
  const query = async (pk: string, from: string, to: string) => {
    return allItems<Record<string, unknown>>((start) =>
      doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: { ':pk': pk, ':a': from, ':b': to },
          ExclusiveStartKey: start,
        }),
      ),
    );
  };
  const now = opts.now;
  const zoneCacheMs = opts.zoneCacheMs ?? 300_000;
  let zone: { value: string | undefined; at: number } | undefined;
  return {
    shards: KPI_SHARDS,
    async counters(q) {
      // a day's hour counters are one item (keys.kpiHours); `~` after the last day also takes items
      // written as one counter per hour (`H#<day>T<hh>`)
      const { pk } = keys.kpiHours(q.channel, `${q.month}-01`, q.shard);
      const items = (await query(pk, `H#${q.fromHour.slice(0, 10)}`, `H#${q.toHour.slice(0, 10)}~`)) as Record<
        string,
        unknown
      >[];
      return hourCountersBetween(items, q.fromHour, q.toHour);
    },
    days(q) {
      return query(keys.kpiDay(q.channel, q.zone, q.fromDay).pk, `D#${q.fromDay}`, `D#${q.toDay}`);
    },
    months(q) {
      return query(keys.kpiMonth(q.channel, q.zone, q.fromMonth).pk, `M#${q.fromMonth}`, `M#${q.toMonth}`);
    },
    /** The rollup zone is set once by the first fold and never changes: cached for minutes. */
    async rollupZone() {
      // an unset zone is asked again soon: the first fold may set it any moment
      if (zone && now() - zone.at < (zone.value === undefined ? 5_000 : zoneCacheMs)) return zone.value;
      const res = await doc.send(new GetCommand({ TableName: tableName, Key: keys.kpiZone() }));
      const value = typeof res.Item?.zone === 'string' ? res.Item.zone : undefined;
      zone = { value, at: now() };
      return value;
    },
  };
}

/**
 * Balances at or below a threshold, listed through the balance directory (lowBalancesIn,
 * shared/inventory/stock-alerts.ts): every balance is read, so the cost grows with the number of
 * balances; `maxScanned` bounds one request.
 */
export function dynamoStockAlerts(doc: DynamoDBDocumentClient, tableName: string): StockAlertsPort {
  const balances = dynamoStockRepo(doc, tableName);
  const list = dynamoBalanceList(doc, tableName);
  return {
    lowBalances: (q) => lowBalancesIn(list, q),
    balancesOf: (sku) => balances.balancesOf(sku),
  };
}

export interface KpiRuntime extends KpiDeps {
  authenticate: Authenticate;
  figures: FiguresPort;
  now: Clock;
}

export function kpiRuntime(
  env: NodeJS.ProcessEnv = process.env,
  overrides: { doc?: DynamoDBDocumentClient; now?: () => Date } = {},
): KpiRuntime {
  const tableName = env.HUB_TABLE_NAME;
  if (!tableName) throw new ConfigError('HUB_TABLE_NAME is not set');
  const zone = env.HUB_MERCHANT_TIME_ZONE || undefined;
  // a typo here would otherwise turn every request into a 400 about a zone the caller never sent
  if (zone && !isTimeZone(zone)) throw new ConfigError(`HUB_MERCHANT_TIME_ZONE is not an IANA time zone: ${zone}`);
  const doc = overrides.doc ?? documentClient(awsClientConfig(env));
  const clock = msClockOf(overrides.now ?? systemClock);
  return {
    authenticate: createAuthenticator((key) => getApiKey(doc, tableName, key), {
      maxAgeSeconds: envSeconds(env, 'HUB_API_KEY_CACHE_SECONDS', 30),
      now: clock,
    }),
    kpi: dynamoKpiRepo(doc, tableName, { now: clock }),
    channels: dynamoChannelPort(doc, tableName, {
      maxAgeSeconds: envSeconds(env, 'HUB_CHANNEL_CACHE_SECONDS', 30),
      now: clock,
    }),
    stockAlerts: dynamoStockAlerts(doc, tableName),
    figures: dynamoFiguresRepo(doc, tableName),
    now: overrides.now ?? systemClock,
    ...(zone ? { merchantTimeZone: zone } : {}),
  };
}
