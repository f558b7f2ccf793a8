import { z } from 'zod';
import type { Clock } from '#shared/domain/clock.ts';
import type { ListingMapped } from '#shared/domain/events.ts';
import { KeyPartSchema } from '#shared/inventory/channel-config.ts';
import { applyEvent, type ApplyResult } from '#shared/normalize/apply.ts';
import type { TablePort } from '#shared/table/port.ts';

/**
 * Mapping a channel's listing ids to master SKUs by hand: for senders whose stock webhooks name a
 * catalog id and no SKU, and that send nothing the hub could learn the mapping from (Square's
 * catalog variation ids, BigCommerce's product and variant ids). A mapping made here is a
 * canonical `ListingMapped` event applied by the normalizer's own code, so it is exactly-once and
 * ordered against the mappings senders deliver (the newest `at` wins).
 */

export interface ListingInput {
  channel: string;
  externalId: string;
  sku: string;
}

export interface ListingRow extends ListingInput {
  /** the line of the CSV file it came from (1 = the header) */
  line: number;
}

export interface RowError {
  line: number;
  message: string;
}

const noControl = (what: string) =>
  z
    .string()
    .trim()
    // one message per field: an empty value is not also "without control characters"
    .min(1, { message: `${what} is empty`, abort: true })
    .max(256, { message: `${what} is longer than 256 characters`, abort: true })
    .regex(/^[^\u0000-\u001f\u007f]+$/, `${what} contains control characters`);

export const ListingInputSchema = z.object({
  // the channel ends up inside keys joined by '#': the same rule as a channel configuration
  channel: z.string().trim().pipe(KeyPartSchema),
  externalId: noControl('externalId'),
  sku: noControl('sku').pipe(z.string().max(128, 'sku is longer than 128 characters')),
});

/** A listing as given, checked; the message names each bad field. */
export function validateListing(
  input: Record<string, unknown>,
): { ok: true; value: ListingInput } | { ok: false; message: string } {
  const parsed = ListingInputSchema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    message: parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; '),
  };
}

export const CSV_HEADER = ['channel', 'externalId', 'sku'] as const;

/** One CSV line's fields (RFC 4180 quoting: `"a,b"`, `""` inside quotes); undefined if a quote is left open. */
export function csvFields(line: string): string[] | undefined {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
    i++;
  }
  if (quoted) return undefined;
  out.push(field);
  return out;
}

/**
 * A mapping file: header `channel,externalId,sku`, one listing a line. Every row is checked and
 * each bad one reported by its line number; blank lines are skipped. A listing given twice with
 * two different SKUs is an error on the later line (which one is meant cannot be guessed); given
 * twice with the same SKU it is taken once.
 */
export function parseListingsCsv(text: string): { rows: ListingRow[]; errors: RowError[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows: ListingRow[] = [];
  const errors: RowError[] = [];
  const header = csvFields(lines[0] ?? '')?.map((h) => h.trim());
  if (!header || header.join(',') !== CSV_HEADER.join(',')) {
    return { rows, errors: [{ line: 1, message: `the first line must be the header ${CSV_HEADER.join(',')}` }] };
  }
  const seen = new Map<string, ListingRow>();
  lines.slice(1).forEach((text, i) => {
    const line = i + 2;
    if (text.trim() === '') return;
    const fields = csvFields(text);
    if (!fields) return void errors.push({ line, message: 'a quoted field is not closed' });
    if (fields.length !== CSV_HEADER.length)
      return void errors.push({
        line,
        message: `expected ${CSV_HEADER.length} fields (${CSV_HEADER.join(',')}), found ${fields.length}`,
      });
    const checked = validateListing({ channel: fields[0], externalId: fields[1], sku: fields[2] });
    if (!checked.ok) return void errors.push({ line, message: checked.message });
    const key = `${checked.value.channel}\u0000${checked.value.externalId}`;
    const earlier = seen.get(key);
    if (earlier && earlier.sku !== checked.value.sku) {
      return void errors.push({
        line,
        message: `${checked.value.channel} listing ${checked.value.externalId} is mapped to ${earlier.sku} on line ${earlier.line}`,
      });
    }
    if (earlier) return;
    const row = { line, ...checked.value };
    seen.set(key, row);
    rows.push(row);
  });
  return { rows, errors };
}

/** The canonical event a manual mapping is: the delivery id names the mapping, so a repeat is the same event. */
export function listingMappedEvent(input: ListingInput, at: Date): ListingMapped {
  return {
    type: 'ListingMapped',
    channel: input.channel,
    source: 'hub-cli',
    deliveryId: `listings-cli:${input.channel}:${input.externalId}:${input.sku}`,
    occurredAt: at.toISOString(),
    externalId: input.externalId,
    sku: input.sku,
    at: at.toISOString(),
  };
}

/** Applies mappings through the normalizer's own path; 'noop' = already mapped so (or a newer mapping exists). */
export async function mapListings<T extends ListingInput>(
  table: TablePort,
  inputs: T[],
  now: Clock,
): Promise<{ input: T; result: ApplyResult }[]> {
  const out: { input: T; result: ApplyResult }[] = [];
  for (const input of inputs)
    out.push({ input, result: await applyEvent(table, listingMappedEvent(input, now()), now) });
  return out;
}
