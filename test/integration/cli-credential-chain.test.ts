import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putApiKey } from '#shared/aws/api-keys.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { documentClient } from '#shared/aws/table.ts';
import { cliEnvironment } from '#infra/local/cli.ts';
import { awsEndpoint, motoEnv } from '../support/aws.ts';
import { fixedClock } from '../support/clock.ts';
import { freshTable } from '../support/table.ts';

/**
 * For a deployed stage the CLI signs in the way the AWS CLI does: the SDK's default credential
 * chain, here a named profile in a shared config and credentials file of its own (no
 * AWS_ACCESS_KEY_ID in the environment). The profile's `endpoint_url` points the SDK at the test
 * moto, so a command runs end to end without a real account.
 */

const run = promisify(execFile);

describe('the CLI on a deployed stage uses the SDK default credential chain', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hub-aws-profile-'));
    await writeFile(join(dir, 'config'), `[profile hub-test]\nregion = eu-west-1\nendpoint_url = ${awsEndpoint()}\n`);
    await writeFile(
      join(dir, 'credentials'),
      '[hub-test]\naws_access_key_id = AKIAHUBPROFILETEST01\naws_secret_access_key = profile-secret-0123456789\n',
    );
    // a clean environment: no keys, no local hub endpoint, a state directory with no running hub
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_PROFILE: 'hub-test',
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      HUB_STATE_DIR: join(dir, 'state'),
    };
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves keys and region from the profile for the connection commands', async () => {
    const e = await cliEnvironment(env);
    expect(e.AWS_ACCESS_KEY_ID).toBe('AKIAHUBPROFILETEST01');
    expect(e.AWS_SECRET_ACCESS_KEY).toBe('profile-secret-0123456789');
    expect(e.AWS_REGION).toBe('eu-west-1');
    // the caller's process environment is left as it was
    expect(process.env.AWS_PROFILE).not.toBe('hub-test');
  });

  it('says how to sign in, without a stack trace, when no credentials can be found', async () => {
    const e = { ...env, AWS_PROFILE: 'no-such-profile' };
    await expect(cliEnvironment(e)).rejects.toThrow(/aws sso login/);
  });

  it('runs `keys list` against the stage the profile points at', async () => {
    const { tableName, drop } = await freshTable('cli-profile');
    const doc = documentClient(awsClientConfig(motoEnv()));
    await putApiKey(
      doc,
      tableName,
      'hub_profile_chain_key_0123456789abcdef',
      { scopes: ['kpi:read'], partner: null },
      fixedClock()(),
    );
    const { stdout, stderr } = await run('npx', ['tsx', 'infra/local/cli.ts', 'keys', 'list'], {
      // the table lives in the test moto's us-east-1
      env: {
        ...env,
        AWS_REGION: 'us-east-1',
        HUB_TABLE_NAME: tableName,
        HUB_INGEST_QUEUE_URL: 'q',
        HUB_INGEST_DLQ_URL: 'q',
      },
      cwd: process.cwd(),
    });
    expect(stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(stdout).toContain('kpi:read');
    await drop();
  }, 60_000);
});
