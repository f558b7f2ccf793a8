import { z } from 'zod';
import { KeyPartSchema } from '#shared/domain/key-part-schema.ts';
import { EndpointUrlSchema, OutboundEventTypeSchema } from '#shared/outbound/subscriptions.ts';

/** The admin API's request shapes (kept apart from the use cases so the API description imports no delivery code). */
export const SubscriptionPatchSchema = z
  .strictObject({
    url: EndpointUrlSchema.optional(),
    events: z.array(OutboundEventTypeSchema).min(1).optional(),
    /** null removes the narrowing */
    channels: z.array(KeyPartSchema).min(1).nullable().optional(),
    locations: z.array(KeyPartSchema).min(1).nullable().optional(),
    status: z.enum(['active', 'disabled']).optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
export type SubscriptionPatch = z.infer<typeof SubscriptionPatchSchema>;

/** Svix keeps the previous secret valid for 24 hours after a rotation; so does the admin API by default. */
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 86_400;
export const MAX_ROTATION_OVERLAP_SECONDS = 7 * 86_400;
export const RotateSchema = z.strictObject({
  overlapSeconds: z.number().int().min(0).max(MAX_ROTATION_OVERLAP_SECONDS).default(DEFAULT_ROTATION_OVERLAP_SECONDS),
});

const IsoTime = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());
export const RangeSchema = z
  .strictObject({ from: IsoTime, to: IsoTime.optional() })
  .refine((r) => r.to === undefined || r.from <= r.to, { message: 'from must not be after to', path: ['from'] });
