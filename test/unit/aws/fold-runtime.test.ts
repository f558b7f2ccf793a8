import { describe, expect, it } from 'vitest';
import { foldRuntime } from '#shared/aws/fold-runtime.ts';
import { ConfigError } from '#shared/domain/config-error.ts';

const env = (extra: Record<string, string> = {}) => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  HUB_TABLE_NAME: 'hub',
  HUB_OUTBOUND_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/hub-outbound',
  ...extra,
});

describe('foldRuntime', () => {
  it('has a listeners check, whose cache age may be set from 0 to 60 seconds', () => {
    expect(foldRuntime(env()).listeners).toBeDefined();
    for (const s of ['0', '30', '60', ''])
      expect(() => foldRuntime(env({ HUB_LISTENERS_CACHE_SECONDS: s }))).not.toThrow();
  });

  it('refuses a cache age that is not whole seconds from 0 to 60', () => {
    for (const s of ['61', '-1', '1.5', 'soon'])
      expect(() => foldRuntime(env({ HUB_LISTENERS_CACHE_SECONDS: s }))).toThrow(ConfigError);
  });
});
