import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { listChannels } from '#shared/aws/channels.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { listListings, listWaitingLines } from '#shared/aws/listings-repo.ts';
import { replayUnmappedListings } from '#shared/aws/quarantine.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import { systemClock, systemMsClock } from '#shared/domain/clock.ts';
import { mapListings, parseListingsCsv, validateListing, type ListingInput } from '#shared/listings/listings.ts';
import { AdminCliError, target } from './cli-admin.ts';

/**
 * `npm run hub -- listings map|import|list|waiting`: which channel listing id is which master SKU, for
 * senders whose stock webhooks carry no SKU (Square, BigCommerce). Mappings go through the
 * normalizer's ListingMapped path; deliveries quarantined for want of a mapping are replayed.
 */
export const LISTINGS_HELP: Record<string, string> = {
  map: [
    'usage: npm run hub -- listings map <channel> <externalId> <sku>',
    '',
    'Maps one listing id of a channel to a master SKU, then replays the deliveries quarantined',
    'as unmapped-listing for that listing. Safe to repeat: mapping the same SKU again changes nothing.',
    '',
    'externalId is the id the sender puts in its stock webhooks:',
    '  square       the catalog variation id (inventory_counts[].catalog_object_id), e.g. W62UWFY35CWMYGVWK6TWJDNI',
    '  bigcommerce  variant:<variant_id>, or product:<product_id> for a product without variants',
    '  shopify      inventory_item:<id> or variant:<id> (products/update maps these by itself)',
    '  woocommerce  product:<id> (product.updated maps these by itself)',
    'The quarantine message of a waiting delivery prints the exact command.',
  ].join('\n'),
  import: [
    'usage: npm run hub -- listings import <file.csv>',
    '',
    'Maps many listings at once. The file starts with the header line',
    '  channel,externalId,sku',
    'then one listing a line (fields may be quoted: "a,b"). Every row is checked; bad rows are',
    'reported by line number and skipped, the valid ones are written (the command then exits 1).',
    'Deliveries quarantined for any of the mapped listings are replayed.',
  ].join('\n'),
  list: [
    'usage: npm run hub -- listings list [--channel <channel>]',
    '',
    'Prints the stored mappings: channel, externalId, sku and when each was mapped.',
  ].join('\n'),
  waiting: [
    'usage: npm run hub -- listings waiting [--channel <channel>]',
    '',
    'Prints the order lines kept as unmapped because no SKU is mapped to their listing yet:',
    'channel, externalId, orderId, lineId and quantity. They hold no stock until mapped; mapping',
    'the listing (listings map or import) resolves them and the order takes effect once.',
  ].join('\n'),
};

const USAGE = [
  'usage: npm run hub -- listings map|import|list|waiting ... (add --help to a command for its help)',
  '',
  LISTINGS_HELP.map,
  '',
  LISTINGS_HELP.import,
  '',
  LISTINGS_HELP.list,
  '',
  LISTINGS_HELP.waiting,
].join('\n');

export async function runListingsCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): Promise<void> {
  const [, command, ...rest] = argv;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  if (!command || command === '--help' || command === '-h' || command === 'help') return void print(USAGE);
  const help = LISTINGS_HELP[command];
  if (!help) throw new AdminCliError(`unknown command: listings ${command}\n\n${USAGE}`);
  if (wantsHelp) return void print(help);

  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { channel: { type: 'string' }, days: { type: 'string' } },
    });
  } catch (err) {
    throw new AdminCliError(`${(err as Error).message}\n\n${help}`);
  }
  const { values, positionals } = parsed;
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && !(Number.isInteger(days) && days > 0 && days <= 366))
    throw new AdminCliError('--days takes a whole number from 1 to 366');

  let inputs: ListingInput[] = [];
  if (command === 'map') {
    if (positionals.length !== 3)
      throw new AdminCliError(`listings map takes 3 arguments, got ${positionals.length}\n\n${help}`);
    const [channel, externalId, sku] = positionals;
    const checked = validateListing({ channel, externalId, sku });
    if (!checked.ok) throw new AdminCliError(`${checked.message}\n\n${help}`);
    inputs = [checked.value];
  }
  if (command === 'import' && positionals.length !== 1)
    throw new AdminCliError(`listings import takes one file\n\n${help}`);

  const t = target(env);
  const cfg = awsClientConfig(t.env);
  const doc = documentClient(cfg);

  if (command === 'list') {
    const all = await listListings(doc, t.tableName, values.channel ? { channel: values.channel } : {});
    if (all.length === 0) print(values.channel ? `no listings mapped on ${values.channel}` : 'no listings mapped');
    for (const l of all) print(`${l.channel}\t${l.externalId}\t${l.sku}\t${l.at}`);
    return;
  }

  if (command === 'waiting') {
    const all = await listWaitingLines(doc, t.tableName, values.channel ? { channel: values.channel } : {});
    if (all.length === 0)
      print(
        values.channel ? `no order lines wait for a listing on ${values.channel}` : 'no order lines wait for a listing',
      );
    for (const w of all) print(`${w.channel}\t${w.externalId}\t${w.orderId}\t${w.lineId}\t${w.quantity}`);
    return;
  }

  let rejected = 0;
  if (command === 'import') {
    let text: string;
    try {
      text = readFileSync(positionals[0]!, 'utf8');
    } catch (err) {
      throw new AdminCliError(
        `cannot read ${positionals[0]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    const { rows, errors } = parseListingsCsv(text);
    for (const e of errors) print(`line ${e.line}: ${e.message}`);
    rejected = errors.length;
    inputs = rows;
  }

  // a channel the hub has never heard of is most often a typo: said, not refused (the sender may be connected later)
  const known = new Set(
    (await listChannels(doc, t.tableName, { maxAgeSeconds: 0, now: systemMsClock })).map((c) => c.channel),
  );
  for (const c of new Set(inputs.map((i) => i.channel))) {
    if (!known.has(c)) print(`note: channel ${c} has no connection or configuration yet (a typo?)`);
  }

  const results = await mapListings(new DynamoTable(doc, t.tableName), inputs, systemClock);
  const applied = results.filter((r) => r.result === 'applied');
  if (command === 'map') {
    const { channel, externalId, sku } = inputs[0]!;
    print(
      applied.length
        ? `mapped ${channel} listing ${externalId} to ${sku}`
        : `${channel} listing ${externalId} was already mapped to ${sku} (or to a newer SKU): unchanged`,
    );
  } else {
    print(`mapped ${applied.length}, unchanged ${results.length - applied.length}, rejected ${rejected}`);
  }
  const { replayed } = await replayUnmappedListings(
    { doc, tableName: t.tableName, sqs: new SQSClient(cfg), queueUrl: t.queueUrl },
    inputs.map(({ channel, externalId }) => ({ channel, externalId })),
    { ...(days ? { days } : {}), now: systemClock() },
  );
  print(
    `replayed ${replayed.length} quarantined deliver${replayed.length === 1 ? 'y' : 'ies'} waiting for ${command === 'map' ? 'it' : 'them'}${replayed.length ? `: ${replayed.join(', ')}` : ''}`,
  );
  if (rejected > 0)
    throw new AdminCliError(
      `${rejected} row${rejected === 1 ? '' : 's'} rejected (see the lines above); the valid rows were written`,
    );
}
