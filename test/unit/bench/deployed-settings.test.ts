import { describe, expect, it } from 'vitest';
import { synthHubTemplate } from '#infra/local/template.ts';
import { FOLD_MEMORY_MB, INGEST_MEMORY_MB, NORMALIZE_MEMORY_MB } from '#infra/hub-stack.ts';
import { deployedSettings } from '../../../bench/cost.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

/** MemorySize of each function in the synthesized prod template, by its short name. */
function templateMemory(): Record<string, number> {
  const res = synthHubTemplate({ stage: 'prod' }).Resources as Resources;
  const out: Record<string, number> = {};
  for (const r of Object.values(res)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const service = String(r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME ?? '');
    out[service.replace('inventory-hub-', '')] = r.Properties.MemorySize;
  }
  return out;
}

describe('the cost bench prices the memory the stack deploys', () => {
  it('reads each priced function’s memory from the constants the stack gives it', () => {
    // Act
    const set = deployedSettings();
    const deployed = templateMemory();

    // Assess: the bench's figures, the stack's constants and the synthesized functions agree
    expect(set).toMatchObject({
      ingestMemoryMb: INGEST_MEMORY_MB,
      normalizeMemoryMb: NORMALIZE_MEMORY_MB,
      foldMemoryMb: FOLD_MEMORY_MB,
    });
    expect({ ingest: deployed.ingest, normalize: deployed.normalize, fold: deployed.fold }).toEqual({
      ingest: set.ingestMemoryMb,
      normalize: set.normalizeMemoryMb,
      fold: set.foldMemoryMb,
    });
    // Lambda's smallest size for the function a sender waits on; no more than one vCPU for the fold
    expect(deployed.ingest).toBe(128);
    expect(deployed.fold).toBeLessThanOrEqual(1769);
  });
});
