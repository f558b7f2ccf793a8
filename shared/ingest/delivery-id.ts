import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * `dlv_` + a ULID (https://github.com/ulid/spec): 10 characters of millisecond time then 16 of
 * randomness, Crockford base32, so ids sort by arrival time and never collide in practice.
 */
export function newDeliveryId(now: Date): string {
  let ms = now.getTime();
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[ms % 32] + time;
    ms = Math.floor(ms / 32);
  }
  const rnd = randomBytes(16);
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[rnd[i]! % 32];
  return `dlv_${time}${random}`;
}
