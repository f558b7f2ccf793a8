/**
 * DynamoDB item size as it is billed (developer guide, "Item sizes and formats"): attribute name
 * bytes plus value bytes — strings as UTF-8, numbers about 1 byte per two significant digits plus 1,
 * booleans and nulls 1 byte, lists and maps 3 bytes plus 1 byte per element and their contents.
 * Write units = ceil(size / 1 KB), and a transaction bills every item twice. moto reports a
 * consumed capacity of 1 for everything, so the hub computes its own.
 */
export function valueSize(v: unknown): number {
  if (v === null || v === undefined || typeof v === 'boolean') return 1;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (typeof v === 'number' || typeof v === 'bigint') {
    const digits = String(v).replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
  }
  if (v instanceof Uint8Array) return v.byteLength;
  if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + valueSize(x), 0);
  if (v instanceof Set) return [...v].reduce((n: number, x) => n + valueSize(x), 0);
  if (typeof v === 'object') {
    return (
      3 +
      Object.entries(v as Record<string, unknown>).reduce(
        (n, [k, x]) => (x === undefined ? n : n + 1 + Buffer.byteLength(k) + valueSize(x)),
        0,
      )
    );
  }
  return 0;
}

export function itemSize(item: Record<string, unknown>): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) if (v !== undefined) n += Buffer.byteLength(k) + valueSize(v);
  return n;
}

export function writeUnits(sizeBytes: number): number {
  return Math.max(1, Math.ceil(sizeBytes / 1024));
}

/** Strongly consistent reads bill 1 unit per 4 KB (eventually consistent: half). */
export function readUnits(sizeBytes: number, consistent: boolean): number {
  const u = Math.max(1, Math.ceil(sizeBytes / 4096));
  return consistent ? u : u / 2;
}
