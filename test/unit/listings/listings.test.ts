import { describe, expect, it } from 'vitest';
import { listingMappedEvent, mapListings, parseListingsCsv } from '#shared/listings/listings.ts';
import { mappingHint } from '#shared/listings/mapping-hint.ts';
import { keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { fixedClock } from '../../support/clock.ts';

describe('parseListingsCsv', () => {
  it('reads quoted fields, a byte-order mark and CRLF line ends', () => {
    // Prepare
    const text =
      '\uFEFFchannel,externalId,sku\r\nbc-main,variant:12,"LAMP ""BRASS"", XL"\r\n\r\nsquare-main, W62UWFY35CWMYGVWK6TWJDNI ,MUG-WHT\r\n';
    // Act
    const { rows, errors } = parseListingsCsv(text);
    // Assess
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      { line: 2, channel: 'bc-main', externalId: 'variant:12', sku: 'LAMP "BRASS", XL' },
      { line: 4, channel: 'square-main', externalId: 'W62UWFY35CWMYGVWK6TWJDNI', sku: 'MUG-WHT' },
    ]);
  });

  it('refuses a file without the header, and reports an unclosed quote by its line', () => {
    // Act
    const noHeader = parseListingsCsv('square-main,X,SKU-1\n');
    const unclosed = parseListingsCsv('channel,externalId,sku\nsquare-main,X,"SKU-1\nsquare-main,Y,SKU-2\n');
    // Assess
    expect(noHeader).toEqual({
      rows: [],
      errors: [{ line: 1, message: 'the first line must be the header channel,externalId,sku' }],
    });
    expect(unclosed.errors).toEqual([{ line: 2, message: 'a quoted field is not closed' }]);
    expect(unclosed.rows.map((r) => r.externalId)).toEqual(['Y']);
  });
});

describe('mapListings', () => {
  it('writes a mapping once: the same mapping again is a no-op, a later one to another SKU wins', async () => {
    // Prepare
    const table = new MemoryTable();
    const listing = { channel: 'square-main', externalId: 'W62UWFY35CWMYGVWK6TWJDNI', sku: 'MUG-WHT' };
    // Act
    const first = await mapListings(table, [listing], fixedClock('2026-09-15T12:00:00.000Z'));
    const again = await mapListings(table, [listing], fixedClock('2026-09-15T12:05:00.000Z'));
    const remap = await mapListings(table, [{ ...listing, sku: 'MUG-WHITE' }], fixedClock('2026-09-15T12:10:00.000Z'));
    // Assess
    expect([first, again, remap].map((r) => r[0]!.result)).toEqual(['applied', 'noop', 'applied']);
    expect(await table.get(keys.listing('square-main', 'W62UWFY35CWMYGVWK6TWJDNI'))).toMatchObject({
      sku: 'MUG-WHITE',
      at: '2026-09-15T12:10:00.000Z',
    });
    expect(listingMappedEvent(listing, new Date('2026-09-15T12:00:00.000Z'))).toMatchObject({
      type: 'ListingMapped',
      source: 'hub-cli',
    });
  });
});

describe('mappingHint', () => {
  it('tells each sender how its listings get mapped, always with the command', () => {
    // Act
    const square = mappingHint('square', 'square-main', 'W62U');
    const shopify = mappingHint('shopify', 'shop', 'inventory_item:1');
    // Assess
    expect(square).toContain('`npm run hub -- listings map square-main W62U <sku>`');
    expect(square).not.toContain('products/update');
    expect(square).toMatch(/^map it: `npm run hub -- listings map square-main W62U <sku>` \(Square sends no SKU/);
    expect(shopify).toContain('Shopify products/update webhook');
    expect(shopify).toContain('`npm run hub -- listings map shop inventory_item:1 <sku>`');
  });
});
