import { createHmac } from 'node:crypto';
import type { CanonicalEvent } from '#shared/domain/events.ts';

/**
 * Customer identity for the repeat-customer measures (docs/kpis.md): the hub never stores the
 * sender's customer id or email, only HMAC-SHA256(salt, reference) in hex. The salt is a secret
 * (`HUB_CUSTOMER_SALT`, at least 16 characters): without it a hash of a known email could be
 * recomputed by anyone reading the table. Changing it starts every customer afresh.
 */
export function customerHash(salt: string, ref: string): string {
  return createHmac('sha256', salt).update(ref, 'utf8').digest('hex');
}

/** The shortest salt accepted: shorter ones are refused at start-up rather than weakly hashing. */
export const MIN_CUSTOMER_SALT_LENGTH = 16;

/**
 * The events with every order's `customerRef` replaced by its salted `customerHash` — or dropped
 * when no salt is configured (the order is then counted without a customer). Runs before any
 * event is applied, so the raw reference never reaches the table.
 */
export function hashCustomers(events: CanonicalEvent[], salt: string | undefined): CanonicalEvent[] {
  return events.map((e) => {
    if (e.type !== 'OrderUpserted' || e.customerRef === undefined) return e;
    const { customerRef, ...rest } = e;
    return salt ? { ...rest, customerHash: customerHash(salt, customerRef) } : rest;
  });
}

/** The salt itself, or a reader of it (a secret read once per container): shared/aws/customer-salt.ts. */
export type CustomerSalt = string | (() => Promise<string>);

/**
 * The events with their customers hashed (hashCustomers), reading the salt only when an order
 * names a customer: a secret-backed salt costs a read only where it is needed. Used by normalize
 * and by hydrate, so a webhook's and a fetched order's customer hash alike.
 */
export async function hashCustomersWith(
  events: CanonicalEvent[],
  salt: CustomerSalt | undefined,
): Promise<CanonicalEvent[]> {
  const named = events.some((e) => e.type === 'OrderUpserted' && e.customerRef !== undefined);
  if (!named) return events;
  return hashCustomers(events, typeof salt === 'function' ? await salt() : salt);
}
