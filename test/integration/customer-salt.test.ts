import { describe, expect, it } from 'vitest';
import { customerSaltSecretName, customerSaltSource } from '#shared/aws/customer-salt.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { normalizeRuntime } from '#shared/aws/normalize-runtime.ts';
import { ConfigError } from '#shared/domain/config-error.ts';
import { ensureCustomerSaltSecret } from '#infra/local/customer-salt.ts';
import { motoEnv, uniqueName } from '../support/aws.ts';

/**
 * The customer-hash salt from Secrets Manager (moto through the lite client the functions use):
 * what a deployed stack's normalize reads (HUB_CUSTOMER_SALT_ID), and the local hub's own secret.
 */
describe('the customer-hash salt from Secrets Manager', () => {
  // moto takes any keys; the lite client signs with the environment's, as in Lambda
  const env = () => ({ ...process.env, ...motoEnv(), AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  const aws = () => liteAwsClient({ env: env() });
  const put = (name: string, value: string) =>
    aws().json({
      service: 'secretsmanager',
      target: 'secretsmanager.PutSecretValue',
      input: { SecretId: name, SecretString: value },
    });

  it('the local hub creates a random salt once and keeps it', async () => {
    // Prepare
    const name = customerSaltSecretName(uniqueName('local'));

    // Act
    const created = await ensureCustomerSaltSecret(aws(), name);
    const first = await (customerSaltSource({ ...env(), HUB_CUSTOMER_SALT_ID: name }) as () => Promise<string>)();
    const again = await ensureCustomerSaltSecret(aws(), name);
    const second = await (customerSaltSource({ ...env(), HUB_CUSTOMER_SALT_ID: name }) as () => Promise<string>)();
    const other = customerSaltSecretName(uniqueName('local'));
    await ensureCustomerSaltSecret(aws(), other);
    const otherSalt = await (customerSaltSource({ ...env(), HUB_CUSTOMER_SALT_ID: other }) as () => Promise<string>)();

    // Assess
    expect([created, again]).toEqual([true, false]);
    expect(first).toMatch(/^[A-Za-z0-9_-]{48}$/);
    expect(second).toBe(first);
    expect(otherSalt).not.toBe(first);
  });

  it('normalize reads the secret once per container, on first use, and retries a failed read', async () => {
    // Prepare: the secret does not exist yet when the container starts
    const name = customerSaltSecretName(uniqueName('stack'));
    const deps = normalizeRuntime({ ...env(), HUB_TABLE_NAME: 'unused', HUB_CUSTOMER_SALT_ID: name });
    const salt = deps.customerSalt as () => Promise<string>;

    // Act + Assess: a missing secret fails the read (the delivery is retried), and is read again next time
    await expect(salt()).rejects.toThrow(/ResourceNotFoundException/);
    await aws().json({
      service: 'secretsmanager',
      target: 'secretsmanager.CreateSecret',
      input: { Name: name, SecretString: 'generated-at-deploy-0123456789abcdef' },
    });
    await expect(salt()).resolves.toBe('generated-at-deploy-0123456789abcdef');
    // kept for the container's life: a later change is not read again
    await put(name, 'another-value-0123456789abcdef');
    await expect(salt()).resolves.toBe('generated-at-deploy-0123456789abcdef');
  });

  it('refuses a salt shorter than 16 characters, and HUB_CUSTOMER_SALT wins over the secret', async () => {
    // Prepare
    const name = customerSaltSecretName(uniqueName('short'));
    await aws().json({
      service: 'secretsmanager',
      target: 'secretsmanager.CreateSecret',
      input: { Name: name, SecretString: 'too-short' },
    });

    // Act + Assess
    await expect(
      (customerSaltSource({ ...env(), HUB_CUSTOMER_SALT_ID: name }) as () => Promise<string>)(),
    ).rejects.toThrow(ConfigError);
    expect(
      customerSaltSource({ ...env(), HUB_CUSTOMER_SALT: 'exported-salt-0123456789', HUB_CUSTOMER_SALT_ID: name }),
    ).toBe('exported-salt-0123456789');
    expect(() => customerSaltSource({ HUB_CUSTOMER_SALT: 'short' })).toThrow(ConfigError);
    expect(customerSaltSource({})).toBeUndefined();
  });
});
