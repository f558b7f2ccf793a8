import { describe, expect, it } from 'vitest';
import { buildIngestDeps, ebayAppSecretName } from '#shared/ingest/deps.ts';

const env = (stage: string | undefined) => ({
  HUB_TABLE_NAME: 't',
  HUB_INGEST_QUEUE_URL: 'http://127.0.0.1:1/q',
  HUB_BODY_BUCKET: 'b',
  AWS_REGION: 'eu-west-1',
  ...(stage === undefined ? {} : { HUB_STAGE: stage }),
});

describe('ingest dependencies from the environment', () => {
  it('derives signed URLs from the request only on the local hub, never in a deployed stage', () => {
    // Act
    const derive = (stage: string | undefined) => buildIngestDeps(env(stage)).deriveUrlFromRequest;
    // Assess
    expect(derive(undefined)).toBe(true);
    expect(derive('local')).toBe(true);
    expect(derive('local-e2e1')).toBe(true);
    expect(derive('dev')).toBe(false);
    expect(derive('prod')).toBe(false);
    expect(derive('localhost')).toBe(false);
  });

  it('names the eBay app secret after the stage unless HUB_EBAY_APP_SECRET_NAME says otherwise', () => {
    expect(ebayAppSecretName({ HUB_STAGE: 'prod' })).toBe('hub/prod/ebay-app');
    expect(ebayAppSecretName({})).toBe('hub/local/ebay-app');
    expect(ebayAppSecretName({ HUB_STAGE: 'prod', HUB_EBAY_APP_SECRET_NAME: 'custom' })).toBe('custom');
  });
});
