import { describe, expect, it } from 'vitest';
import { availableToSell } from '#shared/inventory/allocation.ts';
import { AllocationRuleSchema, type AllocationRule } from '#shared/inventory/channel-config.ts';

const stock = [
  { location: 'WH-A', available: 40 },
  { location: 'WH-B', available: 25 },
  { location: 'WH-C', available: -3 },
];

describe('availableToSell', () => {
  it.each<[string, AllocationRule, number]>([
    ['no rule: every location, all of it (an oversold location counts as 0)', {}, 65],
    ['half, floored: 32.5 → 32', { share: 0.5 }, 32],
    ['share, then buffer', { share: 0.5, buffer: 5 }, 27],
    ['the documented example', { share: 0.5, buffer: 5, maxListed: 100 }, 27],
    ['capped by maxListed', { maxListed: 10 }, 10],
    ['buffer larger than the pool: never negative', { buffer: 500 }, 0],
    ['zero share lists nothing', { share: 0 }, 0],
    ['only the locations that feed the channel', { locations: ['WH-B'] }, 25],
    ['a feeding location that is oversold contributes nothing', { locations: ['WH-C'] }, 0],
    ['a feeding location with no balance contributes nothing', { locations: ['WH-Z'] }, 0],
  ])('%s', (_name, rule, expected) => {
    // Prepare
    const parsed = AllocationRuleSchema.parse(rule);
    // Act
    const listed = availableToSell(stock, parsed);
    // Assess
    expect(listed).toBe(expected);
  });

  it('is exact where floating point is not: 29% of 100 is 29, not 28', () => {
    // Prepare
    const pool = [{ location: 'WH-A', available: 100 }];
    // Act
    const listed = availableToSell(pool, { share: 0.29 });
    // Assess
    expect(100 * 0.29).toBeLessThan(29);
    expect(listed).toBe(29);
  });

  it('never exceeds the pool nor goes below zero, whatever the rule', () => {
    // Prepare
    const rules: AllocationRule[] = [];
    for (const share of [0, 0.0001, 0.3333, 0.5, 0.9999, 1])
      for (const buffer of [0, 1, 64, 1000]) rules.push({ share, buffer });
    // Act
    const results = rules.map((r) => availableToSell(stock, r));
    // Assess
    for (const n of results) {
      expect(Number.isInteger(n)).toBe(true);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThanOrEqual(65);
    }
  });

  it('rejects rules it cannot apply exactly', () => {
    // Prepare
    const bad = [
      { share: 1.5 },
      { share: -0.1 },
      { share: 0.12345 },
      { buffer: -1 },
      { buffer: 1.5 },
      { maxListed: -2 },
      { locations: [] },
      { locations: ['A#B'] },
      { extra: 1 },
    ];
    // Act
    const outcomes = bad.map((r) => AllocationRuleSchema.safeParse(r).success);
    // Assess
    expect(outcomes).toEqual(bad.map(() => false));
  });
});
