import { z } from 'zod';

/**
 * A sales channel's configuration (item `CHANNEL#<channel>` / `META`, see shared/aws/channels.ts).
 * The stock API uses `allocation`; the KPI API reads `timeZone` and `standards`, so this schema
 * keeps fields it does not know about (`looseObject`) instead of dropping another feature's data.
 */

import { KeyPartSchema } from '#shared/domain/key-part-schema.ts';

/** Channel names, locations and SKUs end up inside table keys: the hub's one rule for those (shared/domain/key-part.ts). */
export { KeyPartSchema };

export const AllocationRuleSchema = z.strictObject({
  /**
   * Share of the pool this channel may list, 0..1. Kept to 4 decimals (basis points) so the
   * arithmetic is exact integers: 0.29 × 100 must be 29, not 28.999999999999996.
   */
  share: z
    .number()
    .min(0)
    .max(1)
    .refine((s) => Math.abs(s * 10_000 - Math.round(s * 10_000)) < 1e-6, 'at most 4 decimals (basis points)')
    .optional(),
  /** units held back from this channel after the share is taken (safety stock) */
  buffer: z.number().int().min(0).optional(),
  /** never list more than this many units on the channel */
  maxListed: z.number().int().min(0).optional(),
  /** the locations that feed this channel; absent = every location */
  locations: z.array(KeyPartSchema).min(1).optional(),
});
export type AllocationRule = z.infer<typeof AllocationRuleSchema>;

export const ChannelConfigSchema = z.looseObject({
  channel: KeyPartSchema,
  /** the partner that owns the channel: a partner key without a channel list sees its own channels */
  partner: z.string().min(1).nullable().optional(),
  allocation: AllocationRuleSchema.default({}),
  timeZone: z.string().min(1).optional(),
  standards: z.unknown().optional(),
  /**
   * Where this channel's order lines that name no location are reserved and shipped from
   * (shared/inventory/locate.ts); absent: they are reserved unassigned (locations.ts).
   */
  fulfilmentLocation: KeyPartSchema.optional(),
  /** the channel's own location ids (e.g. Shopify's numeric `location_id`) → the hub's locations */
  locationMap: z.record(z.string().min(1), KeyPartSchema).optional(),
  /**
   * Push this channel's available-to-sell to the channel itself (docs/outbound.md, "Channel
   * connectors"): through `connection`'s API credentials, at the channel's own location `location`
   * (absent: the locationMap entry of fulfilmentLocation, else the locationMap's only entry).
   */
  push: z
    .strictObject({ connection: z.string().min(1).max(128), location: z.string().min(1).max(256).optional() })
    .optional(),
});
export type ChannelConfig = z.infer<typeof ChannelConfigSchema>;
export type ChannelConfigInput = z.input<typeof ChannelConfigSchema>;
