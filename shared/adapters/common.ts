import { z } from 'zod';
import type { Delivery } from '#shared/domain/delivery.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { AdapterError, type Adapter, type AdapterInput } from '#shared/adapters/types.ts';
import { quoteLongIntegers } from '#shared/domain/json-text.ts';

export { quoteLongIntegers };

/** Building blocks shared by the source adapters: parsing, error wording, times, ids, the event base. */

/** An ISO 8601 time with an offset or Z: the same rule the canonical events apply. */
export const isoTime = z.iso.datetime({ offset: true });

/**
 * An ISO time that may lack an offset. WooCommerce's `*_gmt` fields are UTC but written without a
 * zone ("2026-03-01T10:15:00"); a missing offset is read as UTC and `Z` is appended.
 */
export const utcTime = z
  .string()
  .transform((s) => (/(Z|[+-]\d{2}:?\d{2})$/i.test(s) ? s : `${s}Z`))
  .pipe(isoTime);

function isoFromMillis(ms: number, ctx: z.RefinementCtx): string {
  const date = new Date(ms);
  // toISOString throws on an invalid date and writes years past 9999 with a sign: refuse both
  if (!Number.isFinite(date.getTime()) || date.getUTCFullYear() < 1970 || date.getUTCFullYear() > 9999) {
    ctx.addIssue({ code: 'custom', message: 'timestamp out of range' });
    return z.NEVER;
  }
  return date.toISOString();
}

/** Unix seconds (BigCommerce `created_at`) as an ISO time. */
export const epochSeconds = z
  .number()
  .int()
  .nonnegative()
  .transform((s, ctx) => isoFromMillis(s * 1000, ctx));

/** Unix milliseconds (Walmart's Orders API writes `orderDate` this way) as an ISO time. */
export const epochMillis = z
  .number()
  .int()
  .nonnegative()
  .transform((ms, ctx) => isoFromMillis(ms, ctx));

/**
 * A sender id: JSON number (Shopify, WooCommerce, BigCommerce) or non-empty string, kept as text.
 * Ids longer than 15 digits (Shopify's test notifications: 820982911946154508) reach the schema
 * as strings of their exact digits, because `parseJson` quotes them before JSON.parse could round
 * them; a number here is therefore always exact.
 */
export const idText = z.union([z.number().int().nonnegative(), z.string().min(1)]).transform(String);

/** An integer sent as a JSON number or as a numeric string ("3", "3.0" — Walmart, Square). */
export const integerLike = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+(\.0+)?$/, 'expected a whole number')
    .transform((s) => Number.parseInt(s, 10))
    .pipe(z.number().int()),
]);

/** A string treated as absent when empty or whitespace (Shopify and WooCommerce send "" for "no SKU"). */
export function present(value: string | null | undefined): string | undefined {
  return value != null && value.trim() !== '' ? value : undefined;
}

/** The latest of some ISO times, compared as instants (offsets differ between senders). */
export function latest(times: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const t of times) if (best === undefined || Date.parse(t) > Date.parse(best)) best = t;
  return best;
}

function pathText(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : text ? `.${String(key)}` : String(key);
  return text || '(body)';
}

const MISSING = /received undefined$/;

/** zod's wording, except: a missing field says so, and a union lists what each branch expected */
function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const firsts = issue.errors.map((branch) => branch[0]).filter((i): i is z.core.$ZodIssue => i !== undefined);
    if (firsts.length > 0 && firsts.every((i) => MISSING.test(i.message))) return 'required field is missing';
    const texts = [...new Set(firsts.filter((i) => i.path.length === 0).map((i) => i.message))];
    if (texts.length > 0) return texts.join(' or ');
  }
  return MISSING.test(issue.message) ? 'required field is missing' : issue.message;
}

/** Readable one-line account of a zod failure: `line_items[0].price: expected a decimal ...`. */
export function describeIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  const shown = error.issues.slice(0, 5).map((issue) => `${pathText([...prefix, ...issue.path])}: ${issueText(issue)}`);
  const more = error.issues.length > shown.length ? `; and ${error.issues.length - shown.length} more` : '';
  return shown.join('; ') + more;
}

/** Validate with a schema or throw AdapterError('schema') naming the field paths (under `at`). */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  at: readonly PropertyKey[] = [],
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new AdapterError('schema', `${what}: ${describeIssues(result.error, at)}`, { cause: result.error });
  }
  return result.data;
}

/**
 * JSON.parse that keeps long integers' digits (as strings: `quoteLongIntegers`) and fails as
 * AdapterError('malformed'). Every adapter reads its body through this, so an id is never rounded
 * before it is stored or compared.
 */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(quoteLongIntegers(body));
  } catch (error) {
    throw new AdapterError('malformed', `body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** A header value by its lower-cased name; the first of several names that is present. */
export function header(delivery: Delivery, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = delivery.headers[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** The fields every canonical event carries. */
export function eventBase(delivery: Delivery, occurredAt: string) {
  return { channel: delivery.channel, source: delivery.source, deliveryId: delivery.deliveryId, occurredAt };
}

export function unknownEvent(source: string, type: string | undefined): AdapterError {
  return new AdapterError(
    'unknown-event',
    `${source}: event type ${JSON.stringify(type ?? null)} is not handled by the hub`,
    type === undefined ? undefined : { topic: type },
  );
}

/** An event type the hub knows and has no use for: acknowledged as ignored, not quarantined. */
export function ignoredEvent(source: string, type: string, why: string): AdapterError {
  return new AdapterError('ignored', `${source}: ${type} is ignored: ${why}`, { topic: type });
}

/**
 * Wrap an adapter so that nothing but AdapterError leaves it: an unexpected exception is an
 * adapter bug, and retrying the delivery would hit it again, so it is reported as a schema
 * failure (quarantined with the cause) instead of escaping to the batch as a transient error.
 */
export function defineAdapter(name: string, map: (input: AdapterInput) => CanonicalEvent[]): Adapter {
  const adapter = (input: AdapterInput): CanonicalEvent[] => {
    try {
      return map(input);
    } catch (error) {
      if (error instanceof AdapterError) throw error;
      throw new AdapterError('schema', `${name} adapter failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
    }
  };
  Object.defineProperty(adapter, 'name', { value: `${name}Adapter` });
  return adapter;
}
