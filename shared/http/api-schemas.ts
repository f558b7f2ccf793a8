import { z } from 'zod';
import { KeyPartSchema } from '#shared/domain/key-part-schema.ts';
import { CountedOnHandSchema } from '#shared/domain/events.ts';
import { QUERY_MAX_DATE, QUERY_MIN_DATE } from '#shared/kpi/periods.ts';
import { FiguresBodySchema as FiguresBody } from '#shared/kpi/figures-schema.ts';
import { RotateSchema, SubscriptionPatchSchema } from '#shared/outbound/admin-schemas.ts';
import { NewSubscriptionSchema, OutboundEventTypeSchema } from '#shared/outbound/subscriptions.ts';

/**
 * The HTTP API's request and response shapes, as zod schemas: the one source the OpenAPI
 * description (shared/http/openapi.ts) is generated from with `z.toJSONSchema`. They describe the
 * contract; the use cases (shared/inventory, shared/kpi, shared/ingest) validate their own input
 * and the OpenAPI test checks the two do not drift on the parameters a caller sends.
 *
 * `.meta({ id })` names a schema as a reusable component (#/components/schemas/<id>).
 */

const isoDateTime = z.iso.datetime({ offset: true });
// the same rule the use cases and the normalizer apply to every value inside a table key
const keyPart = KeyPartSchema;

// ---- errors --------------------------------------------------------------------------------

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'stable machine code, e.g. invalid_signature, not_found, throttled' }),
      message: z.string().meta({ description: 'human-readable; never a stack trace' }),
      details: z.unknown().optional().meta({ description: 'per-row reasons where a request had several problems' }),
    }),
  })
  .meta({ id: 'Error', description: 'Every non-2xx answer of every endpoint.' });

// ---- webhooks ------------------------------------------------------------------------------

export const WebhookParamsSchema = z.object({
  connectionId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/)
    .meta({ description: 'the connection the sender was configured with (hub connections add)' }),
});

export const EbayChallengeQuerySchema = z.object({
  challenge_code: z
    .string()
    .min(1)
    .meta({ description: "eBay's Marketplace Account Deletion endpoint validation code" }),
});

export const WebhookAcceptedSchema = z
  .object({
    deliveryId: z
      .string()
      .meta({ description: "the hub's id for this delivery; it is the correlation id in every log line" }),
  })
  .meta({ id: 'WebhookAccepted' });

export const EbayChallengeResponseSchema = z
  .object({
    challengeResponse: z.string().meta({ description: 'hex SHA-256 of challengeCode + verificationToken + endpoint' }),
  })
  .meta({ id: 'EbayChallengeResponse' });

// ---- stock ---------------------------------------------------------------------------------

export const StockSkuParamsSchema = z.object({
  sku: keyPart.meta({ description: 'master SKU (percent-encoded in the path)' }),
});

export const StockSkuQuerySchema = z.object({
  location: keyPart.optional().meta({ description: 'only this location (the key must be allowed to see it)' }),
  channel: keyPart.optional().meta({ description: "only this channel's available-to-sell" }),
});

export const LocationBalanceSchema = z
  .object({
    location: z.string(),
    onHand: z.int(),
    reserved: z.int(),
    available: z.int().meta({ description: 'onHand − reserved − safety stock; negative means oversold' }),
    updatedAt: isoDateTime,
  })
  .meta({ id: 'LocationBalance' });

export const StockReadSchema = z
  .object({
    sku: z.string(),
    available: z.int().meta({ description: 'sum of available over the locations shown, less unassignedReserved' }),
    locations: z.array(LocationBalanceSchema),
    channels: z.array(
      z.object({
        channel: z.string(),
        availableToSell: z
          .int()
          .meta({ description: 'units the channel may list by its allocation rule (the whole pool when it has none)' }),
        listedQuantity: z
          .int()
          .optional()
          .meta({
            description:
              'units the channel itself reports listing, where it reports it (Amazon ' +
              'LISTINGS_ITEM_MFN_QUANTITY_CHANGE): what buyers are offered there, never counted as stock; compare ' +
              'it with availableToSell to see a listing out of step',
          }),
        listedAsOf: isoDateTime.optional().meta({ description: 'when the channel reported listedQuantity' }),
      }),
    ),
    unassignedReserved: z
      .int()
      .optional()
      .meta({
        description:
          'units reserved by orders that named no location (and whose channel has no fulfilmentLocation), held ' +
          'against the SKU total; a SKU stocked at one location shows them there instead',
      }),
  })
  .meta({ id: 'StockRead' });

export const STOCK_FEED_MAX_LIMIT = 1000;

export const StockFeedQuerySchema = z.object({
  updatedSince: isoDateTime
    .optional()
    .meta({ description: 'first page: changes after this instant (pass this or cursor)' }),
  location: keyPart.optional(),
  limit: z.coerce.number().int().min(1).max(STOCK_FEED_MAX_LIMIT).default(100),
  cursor: z.string().min(1).optional().meta({ description: 'next pages: the nextCursor of the previous page' }),
});

export const StockFeedPageSchema = z
  .object({
    items: z.array(
      LocationBalanceSchema.extend({
        sku: z.string(),
        rev: z.int().meta({
          description:
            "the balance's revision, increasing with each change: a balance delivered again (on a later page) " +
            'replaces the copy with the lower rev',
        }),
      }),
    ),
    nextCursor: z.string().meta({ description: 'where to continue; present on every page, also when caught up' }),
    hasMore: z.boolean().meta({ description: 'true: ask again at once; false: caught up, poll later' }),
  })
  .meta({ id: 'StockFeedPage' });

export const MAX_COUNT_ROWS = 1000;

export const StockCountSchema = z
  .object({
    sku: keyPart,
    location: keyPart,
    onHand: CountedOnHandSchema,
    asOf: isoDateTime.meta({ description: 'when the count was taken; it wins over movements before it' }),
  })
  .meta({ id: 'StockCount' });

export const StockCountsBodySchema = z
  .object({
    channel: keyPart.optional().meta({ description: 'the WMS this comes from (partner keys: their partner)' }),
    counts: z.array(StockCountSchema).min(1).max(MAX_COUNT_ROWS),
  })
  .meta({ id: 'StockCountsBody' });

export const StockCountsResultSchema = z
  .object({ applied: z.int().min(0), unchanged: z.int().min(0) })
  .meta({ id: 'StockCountsResult' });

// ---- KPIs ----------------------------------------------------------------------------------

export const GRANULARITY = z.enum(['day', 'week', 'month', 'quarter', 'year']);
const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .meta({ description: 'calendar date YYYY-MM-DD in tz' });
const kpiDate = (more = '') =>
  localDate.meta({
    description: `calendar date YYYY-MM-DD in tz, from ${QUERY_MIN_DATE} to ${QUERY_MAX_DATE} (outside: 400 invalid_query)${more}`,
  });

export const KpiQuerySchema = z.object({
  from: kpiDate(),
  to: kpiDate('; inclusive; the range may span at most 5 years'),
  granularity: GRANULARITY.default('month'),
  tz: z
    .string()
    .optional()
    .meta({ description: "IANA time zone, e.g. Europe/Berlin (default: the hub's configured zone)" }),
  channels: z.string().optional().meta({ description: 'comma-separated channel names (list endpoint only)' }),
});

export const KpiChannelParamsSchema = z.object({ channel: keyPart });

/** Measures are many and grow with the KPI issue; the description names the frame, not every figure. */
export const KpiPeriodSchema = z
  .looseObject({
    label: z.string().optional(),
    from: z.string(),
    to: z.string(),
    complete: z.boolean().optional(),
    growth: z.looseObject({ previous: z.object({ from: z.string(), to: z.string() }) }),
    customers: z
      .object({
        identifiedOrders: z.number().int(),
        newCustomers: z.number().int(),
        repeatOrders: z.number().int(),
        repeatRate: z.number().nullable(),
      })
      .meta({
        description:
          'orders naming a customer (kept as a salted hash); ' +
          'of them, those from a customer with an earlier order on the channel (by creation time)',
      }),
    salesCycle: z
      .object({ quotedOrders: z.number().int(), meanDays: z.number().nullable() })
      .meta({ description: 'mean days from quote/draft created to order placed, over orders that give the start' }),
    upsell: z
      .object({ repeatPurchases: z.number().int(), upsells: z.number().int(), rate: z.number().nullable() })
      .meta({
        description:
          "products on the period's orders that their customer bought in an earlier order on the channel; of them, those at a higher unit price than in the customer's earliest order of the product",
      }),
  })
  .meta({
    id: 'KpiPeriod',
    description: 'orders, units, revenue per currency, cancels, refunds, oversells... for one period',
  });

const standards = z
  .union([
    z.object({
      status: z.enum(['meets', 'below']),
      failing: z.array(z.looseObject({})),
      notEvaluated: z.array(z.string()),
    }),
    z.object({ status: z.literal('invalid_config'), message: z.string() }),
    z.null(),
  ])
  .meta({ description: 'null when the channel has no standards configured' });

export const KpiChannelSchema = z
  .object({
    channel: z.string(),
    partner: z.string().nullable(),
    from: localDate,
    to: localDate,
    granularity: GRANULARITY,
    timeZone: z.string(),
    total: KpiPeriodSchema,
    periods: z.array(KpiPeriodSchema),
    standards,
  })
  .meta({ id: 'KpiChannel' });

const retention = z
  .object({ previous: z.number().int(), retained: z.number().int(), rate: z.number().nullable() })
  .meta({ description: 'partners with orders in the previous span, those of them with orders in this one' });

export const KpiChannelsSchema = z
  .object({
    from: localDate,
    to: localDate,
    granularity: GRANULARITY,
    timeZone: z.string(),
    channels: z.array(
      z.object({
        channel: z.string(),
        partner: z.string().nullable(),
        total: KpiPeriodSchema,
        periods: z.array(KpiPeriodSchema),
        standards,
      }),
    ),
    partnerRetention: z.object({ total: retention, periods: z.array(retention) }),
  })
  .meta({ id: 'KpiChannels' });

// ---- partner-reported figures --------------------------------------------------------------

export const FiguresParamsSchema = z.object({ channel: keyPart });

/** The use case's own schema (shared/kpi/figures.ts), named as a component. */
export const FiguresBodySchema = FiguresBody.meta({
  id: 'FiguresBody',
  description:
    'dated entries, each with an idempotency key: a resend changes nothing, another entry under the same ' +
    'key corrects it (every version is kept)',
});

export const FiguresResultSchema = z
  .object({
    channel: z.string(),
    results: z.array(z.object({ key: z.string(), outcome: z.enum(['created', 'corrected', 'unchanged']) })),
  })
  .meta({ id: 'FiguresResult' });

export const StockAlertsQuerySchema = z.object({
  threshold: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(5)
    .meta({ description: 'low stock: available at most this' }),
  limit: z.coerce.number().int().min(1).max(1_000).default(200),
});

export const StockAlertsSchema = z
  .object({
    threshold: z.int(),
    oversold: z
      .array(LocationBalanceSchema.extend({ sku: z.string() }))
      .meta({ description: 'available < 0, most oversold first' }),
    lowStock: z
      .array(LocationBalanceSchema.extend({ sku: z.string() }))
      .meta({ description: '0 ≤ available ≤ threshold, lowest first' }),
    truncated: z.boolean(),
  })
  .meta({ id: 'StockAlerts' });

// ---- service -------------------------------------------------------------------------------

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

// ---- subscriptions (admin) -----------------------------------------------------------------

export const SubscriptionIdParamsSchema = z.object({
  id: z
    .string()
    .regex(/^sub_[A-Za-z0-9]{8,40}$/)
    .meta({ description: 'the subscription id (sub_…)' }),
});

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(OutboundEventTypeSchema),
    channels: z.array(z.string()).optional().meta({ description: 'only these channels’ available-to-sell' }),
    locations: z.array(z.string()).optional().meta({ description: 'only these locations’ balances' }),
    partner: z.string().nullable().meta({ description: 'the partner it belongs to; null = hub-wide' }),
    secrets: z
      .array(z.object({ createdAt: isoDateTime, expiresAt: isoDateTime.optional() }))
      .meta({ description: 'one, or two during a rotation; the secret text is shown only when created' }),
    status: z.enum(['active', 'disabled']),
    disabledReason: z.string().optional(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'Subscription' });

export const SubscriptionWithSecretSchema = SubscriptionSchema.extend({
  secret: z.string().meta({ description: 'the whsec_… secret: shown once, keep it' }),
}).meta({ id: 'SubscriptionWithSecret' });

export const SubscriptionListSchema = z.object({ data: z.array(SubscriptionSchema) });

export const SubscriptionCreateBodySchema = NewSubscriptionSchema.meta({ id: 'SubscriptionCreate' });
export const SubscriptionPatchBodySchema = SubscriptionPatchSchema.meta({ id: 'SubscriptionPatch' });
export const SubscriptionRotateBodySchema = RotateSchema;

export const DeliveryLogQuerySchema = z.object({
  from: isoDateTime.optional().meta({ description: 'default: 24 hours ago' }),
  to: isoDateTime.optional().meta({ description: 'default: now' }),
});

export const DeliveryLogSchema = z.object({
  from: isoDateTime,
  to: isoDateTime,
  data: z.array(
    z.object({
      eventId: z.string(),
      type: OutboundEventTypeSchema,
      at: isoDateTime,
      data: z.record(z.string(), z.unknown()),
      status: z.enum(['delivered', 'retrying', 'failed', 'superseded']),
      attempts: z.number().int(),
      lastStatusCode: z.number().int().optional(),
      lastError: z.string().optional(),
      updatedAt: isoDateTime,
    }),
  ),
});

export const ReplayBodySchema = z.object({ from: isoDateTime, to: isoDateTime.optional() });
export const ReplayResultSchema = z.object({
  from: isoDateTime,
  to: isoDateTime,
  queued: z.number().int().meta({ description: 'deliveries queued: the newest logged value of each subject' }),
});
