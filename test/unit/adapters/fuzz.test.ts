import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Source } from '#shared/domain/connection.ts';
import { CanonicalEventSchema } from '#shared/domain/events.ts';
import { adapt, adapterFor } from '#shared/adapters/index.ts';
import { AdapterError } from '#shared/adapters/types.ts';
import { inputFor, payload, payloadNames, type Json } from '#test/fixtures/payloads.ts';
import { FIXTURE_TOPIC } from '#test/fixtures/topics.ts';

/**
 * Property: whatever arrives — random JSON, text that is not JSON, a real fixture with a field
 * deleted, nulled, retyped or replaced — an adapter returns only valid canonical events or throws
 * an AdapterError; never another exception (which the normalizer would treat as transient and
 * retry forever). The raw adapters are called, without `adapt`'s output check, so an adapter that
 * emits an invalid event fails here.
 */

const TOPIC = FIXTURE_TOPIC;

const SOURCES = Object.keys(TOPIC) as Source[];
const ALL_TOPICS = [...new Set(SOURCES.flatMap((s) => Object.values(TOPIC[s])))];

/** Run the raw adapter and hold it to the property. Returns what happened, for coverage checks. */
function holds(source: Source, body: unknown, topic: string): 'events' | AdapterError['kind'] {
  const input = inputFor(source, topic, body);
  let events: unknown[];
  try {
    events = adapterFor(source)(input);
  } catch (error) {
    if (!(error instanceof AdapterError))
      throw new Error(`${source} threw a non-AdapterError: ${String(error)}`, { cause: error });
    expect(['malformed', 'schema', 'unknown-event', 'ignored']).toContain(error.kind);
    expect(error.message.length).toBeGreaterThan(0);
    // defineAdapter turns a crash into AdapterError('schema', '<name> adapter failed: ...') so the
    // delivery is quarantined in production; here a crash is an adapter bug and fails the property
    if (/adapter failed:/.test(error.message))
      throw new Error(`${source} adapter crashed: ${error.message}`, { cause: error });
    return error.kind;
  }
  expect(Array.isArray(events)).toBe(true);
  for (const event of events) {
    const result = CanonicalEventSchema.safeParse(event);
    if (!result.success)
      throw new Error(`${source} emitted an invalid event ${JSON.stringify(event)}: ${result.error.message}`);
    expect(event).toMatchObject({ source, deliveryId: input.delivery.deliveryId, channel: input.delivery.channel });
  }
  // and `adapt` agrees with the raw adapter
  expect(adapt(input)).toEqual(events);
  return 'events';
}

type Path = (string | number)[];

function allPaths(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...allPaths(v, [...prefix, i])));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...allPaths(v, [...prefix, k]));
  return out;
}

type Mutation = { kind: 'delete' } | { kind: 'null' } | { kind: 'retype' } | { kind: 'replace'; value: unknown };

function mutate(root: Json, path: Path, mutation: Mutation): Json {
  if (path.length === 0) return mutation.kind === 'replace' ? mutation.value : mutation.kind === 'null' ? null : root;
  let parent = root;
  for (const key of path.slice(0, -1)) parent = parent[key];
  const key = path[path.length - 1]!;
  const current = parent[key];
  switch (mutation.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'null':
      parent[key] = null;
      break;
    case 'retype':
      // the classic sender drift: numbers as strings, strings as numbers, objects as arrays
      parent[key] =
        typeof current === 'number'
          ? String(current)
          : typeof current === 'string'
            ? Number(current) || current.length
            : Array.isArray(current)
              ? {}
              : [current];
      break;
    case 'replace':
      parent[key] = mutation.value;
      break;
  }
  return root;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'delete' }),
  fc.constant<Mutation>({ kind: 'null' }),
  fc.constant<Mutation>({ kind: 'retype' }),
  fc.jsonValue({ maxDepth: 2 }).map((value): Mutation => ({ kind: 'replace', value })),
  fc
    .constantFrom(-1, 0, 1.5, 2 ** 60, '', ' ', '1e3', '-0.00', '2026-02-30T25:00:00Z', 'NaN', true)
    .map((value): Mutation => ({ kind: 'replace', value })),
);

/** Samples of deliveries the hub acknowledges as ignored (an open draft order is not a sale yet). */
const IGNORED_SAMPLES = new Set(['shopify/draft-order-create-open']);

describe('adapters under fuzzing', () => {
  it('every fixture maps cleanly as delivered (the baseline the mutations start from)', () => {
    for (const source of SOURCES) {
      expect(Object.keys(TOPIC[source]).sort()).toEqual(payloadNames(source));
      for (const [name, topic] of Object.entries(TOPIC[source]))
        expect(holds(source, payload(source, name), topic)).toBe(
          IGNORED_SAMPLES.has(`${source}/${name}`) ? 'ignored' : 'events',
        );
    }
  });

  it.each(SOURCES)('%s: mutated fixtures give valid events or an AdapterError', (source) => {
    const names = Object.keys(TOPIC[source]);
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.nat(),
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        (name, seed, mutations) => {
          // Prepare
          let body = payload(source, name);
          for (const [i, mutation] of mutations.entries()) {
            const paths = allPaths(body);
            body = mutate(body, paths[(seed + i * 7919) % paths.length]!, mutation);
          }
          // Act + Assess
          outcomes.add(holds(source, body, TOPIC[source][name]!));
        },
      ),
      { numRuns: 400 },
    );
    // the mutations must reach both sides of the property, or they test nothing
    expect(outcomes).toContain('events');
    expect(outcomes).toContain('schema');
  });

  it.each(SOURCES)('%s: random JSON, random text and random topics never escape as other errors', (source) => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
          fc.string(),
          fc.json(),
        ),
        fc.oneof(fc.constantFrom(...ALL_TOPICS), fc.string()),
        (body, topic) => {
          holds(source, body, topic);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(SOURCES)('%s: a fixture under any other topic is mapped or refused, never crashes', (source) => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(TOPIC[source])), fc.constantFrom(...ALL_TOPICS), (name, topic) => {
        holds(source, payload(source, name), topic);
      }),
      { numRuns: 100 },
    );
  });
});
