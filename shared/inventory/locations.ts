/**
 * Where an order's units are reserved when nobody said where.
 *
 * Channels name locations their own way or not at all (a WooCommerce order names none; a Shopify
 * order often has `location_id: null`). Such a line is reserved at the SKU's **unassigned**
 * balance (`UNASSIGNED_LOCATION`), never at a made-up warehouse. What a reader sees is decided
 * when it reads, from the balances as they are then (so the result does not depend on the order
 * in which deliveries and counts arrived):
 * - a SKU stocked at exactly one location: the unassigned reservation is shown there;
 * - otherwise it is held against the SKU's total: it lowers the SKU's `available` and every
 *   channel's available-to-sell, and is reported as `unassignedReserved`, never as a location of
 *   its own with negative stock.
 * An oversell is then "the stock that exists does not cover the orders", never a naming artefact.
 */
export { UNASSIGNED_LOCATION } from '#shared/domain/key-part.ts';
import { UNASSIGNED_LOCATION } from '#shared/domain/key-part.ts';

interface BalanceNumbers {
  location: string;
  onHand: number;
  reserved: number;
  available: number;
}

export interface AssignedBalances<T extends BalanceNumbers> {
  /** the real locations, with a lone location carrying the unassigned reservation */
  locations: T[];
  /** units reserved by orders that named no location, held against the SKU's total */
  unassignedReserved: number;
}

/** A SKU's balances (all of its locations) as readers present them: see the module comment. */
export function assignReservations<T extends BalanceNumbers>(balances: readonly T[]): AssignedBalances<T> {
  const unassigned = balances.find((b) => b.location === UNASSIGNED_LOCATION);
  const real = balances.filter((b) => b.location !== UNASSIGNED_LOCATION);
  if (!unassigned || unassigned.reserved === 0) return { locations: real, unassignedReserved: 0 };
  if (real.length === 1) {
    const only = real[0]!;
    return {
      locations: [
        { ...only, reserved: only.reserved + unassigned.reserved, available: only.available + unassigned.available },
      ],
      unassignedReserved: 0,
    };
  }
  return { locations: real, unassignedReserved: unassigned.reserved };
}
