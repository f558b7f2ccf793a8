import { expect } from 'vitest';
import type { Source } from '#shared/domain/connection.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { adapt } from '#shared/adapters/index.ts';
import { AdapterError, type AdapterErrorKind } from '#shared/adapters/types.ts';
import { inputFor } from '#test/fixtures/payloads.ts';

/** Events for one delivery, through `adapt` (so every event is also checked against the canonical schema). */
export function mapped(
  source: Source,
  topic: string,
  body: unknown,
  headers?: Record<string, string>,
): CanonicalEvent[] {
  return adapt(inputFor(source, topic, body, headers ? { headers } : {}));
}

/** The AdapterError a delivery fails with; fails the test if it maps or throws anything else. */
export function failure(source: Source, topic: string, body: unknown, headers?: Record<string, string>): AdapterError {
  let events: CanonicalEvent[] | undefined;
  try {
    events = mapped(source, topic, body, headers);
  } catch (error) {
    expect(error).toBeInstanceOf(AdapterError);
    return error as AdapterError;
  }
  throw new Error(`expected an AdapterError, got ${events.length} event(s): ${JSON.stringify(events)}`);
}

export function expectFailure(error: AdapterError, kind: AdapterErrorKind, message?: string | RegExp): void {
  expect(error.kind).toBe(kind);
  if (message !== undefined) expect(error.message).toMatch(message);
}

/** The one event of a type, asserting there is exactly one. */
export function only<T extends CanonicalEvent['type']>(
  events: CanonicalEvent[],
  type: T,
): Extract<CanonicalEvent, { type: T }> {
  const found = events.filter((e) => e.type === type);
  expect(found).toHaveLength(1);
  return found[0] as Extract<CanonicalEvent, { type: T }>;
}
