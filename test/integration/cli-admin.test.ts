import { describe, expect, it } from 'vitest';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { runAdminCli } from '#infra/local/cli-admin.ts';
import { getApiKey } from '#shared/aws/api-keys.ts';
import { getChannel } from '#shared/aws/channels.ts';
import { documentClient } from '#shared/aws/table.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { freshTable } from '../support/table.ts';
import { motoEnv, testClients, uniqueName } from '../support/aws.ts';

async function cli(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  await runAdminCli(argv, env, (l) => lines.push(l));
  return lines;
}

describe('npm run hub -- keys | channels', () => {
  it('creates a key shown once and stored as a hash, lists it, and revokes it', async () => {
    // Prepare
    const { tableName, drop } = await freshTable('cli');
    const { sqs } = testClients();
    const q = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('cliq') }))).QueueUrl!;
    const env = { ...motoEnv(), HUB_TABLE_NAME: tableName, HUB_INGEST_QUEUE_URL: q, HUB_INGEST_DLQ_URL: q };
    const doc = documentClient(awsClientConfig(motoEnv()));

    // Act
    const created = await cli(
      env,
      'keys',
      'create',
      '--name',
      'acme warehouse sync',
      '--scopes',
      'stock:read,kpi:read',
      '--partner',
      'acme',
      '--locations',
      'WH-1',
    );
    const key = /hub_[A-Za-z0-9_-]+/.exec(created.join('\n'))?.[0];
    const stored = key ? await getApiKey(doc, tableName, key) : undefined;
    const listed = await cli(env, 'keys', 'list');
    await cli(env, 'keys', 'revoke', stored!.keyHash);
    const afterRevoke = await getApiKey(doc, tableName, key!);

    // Assess
    expect(stored).toMatchObject({
      name: 'acme warehouse sync',
      scopes: ['stock:read', 'kpi:read'],
      partner: 'acme',
      locations: ['WH-1'],
    });
    // keys list names each key and says when it was made, on the key's own line
    const line = listed.find((l) => l.includes(stored!.keyHash));
    expect(line).toContain('"acme warehouse sync"');
    expect(line).toContain(`created ${stored!.createdAt}`);
    expect(line).toContain('active');
    expect(listed.join('\n')).not.toContain(key);
    expect(afterRevoke).toBeUndefined();
    await expect(cli(env, 'keys', 'create', '--name', 'x', '--scopes', 'stock:everything')).rejects.toThrow(/--scopes/);
    // a key without a name would be anonymous in keys list: refused, saying what to add
    await expect(cli(env, 'keys', 'create', '--scopes', 'kpi:read')).rejects.toThrow(/--name is required/);
    await drop();
  });

  it('sets a channel allocation field by field', async () => {
    const { tableName, drop } = await freshTable('cli');
    const env = { ...motoEnv(), HUB_TABLE_NAME: tableName, HUB_INGEST_QUEUE_URL: 'x', HUB_INGEST_DLQ_URL: 'x' };
    await cli(env, 'channels', 'set', 'amazon-us', '--share', '0.5', '--partner', 'acme');
    const saved = await cli(env, 'channels', 'set', 'amazon-us', '--buffer', '3');
    const listed = await cli(env, 'channels', 'list');
    // confirmed in words, listed one readable line per channel: no raw JSON
    expect(saved[0]).toMatch(/^saved channel amazon-us .*allocation\.share=0\.5.*allocation\.buffer=3/);
    expect(saved[1]).toContain('within 30 s');
    expect(listed.find((l) => l.startsWith('amazon-us '))).toMatch(/partner=acme/);
    expect(listed.join('\n')).not.toContain('{');
    const doc = documentClient(awsClientConfig(motoEnv()));
    expect(await getChannel(doc, tableName, 'amazon-us')).toMatchObject({
      channel: 'amazon-us',
      partner: 'acme',
      allocation: { share: 0.5, buffer: 3 },
    });
    await drop();
  });

  it('sets where a channel\u2019s orders are fulfilled from and what its location ids are in the hub', async () => {
    // Prepare
    const { tableName, drop } = await freshTable('cli');
    const env = { ...motoEnv(), HUB_TABLE_NAME: tableName, HUB_INGEST_QUEUE_URL: 'x', HUB_INGEST_DLQ_URL: 'x' };
    // Act
    const said = await cli(
      env,
      'channels',
      'set',
      'shop',
      '--fulfilment-location',
      'WH-MAIN',
      '--location-map',
      '655441491=WH-EAST',
    );
    await cli(env, 'channels', 'set', 'shop', '--location-map', '655441492=WH-WEST');
    const refused = await cli(env, 'channels', 'set', 'shop', '--location-map', '655441493').catch(
      (e: unknown) => e as Error,
    );
    // Assess
    const doc = documentClient(awsClientConfig(motoEnv()));
    expect(await getChannel(doc, tableName, 'shop')).toMatchObject({
      fulfilmentLocation: 'WH-MAIN',
      locationMap: { '655441491': 'WH-EAST', '655441492': 'WH-WEST' },
    });
    expect(String(refused)).toMatch(/theirs=ours/);
    expect(said.join('\n')).toMatch(/^saved channel shop .*fulfilmentLocation=WH-MAIN/);
    expect(said.join('\n')).toContain('within 30 s');
    await drop();
  });
});
