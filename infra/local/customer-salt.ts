import { randomBytes } from 'node:crypto';
import { AwsError, type LiteAwsClient } from '#shared/aws/lite/client.ts';

/**
 * The local hub's customer-hash salt when `HUB_CUSTOMER_SALT` is not set: a Secrets Manager secret
 * in moto under the name the stack gives its own (`hub/<stage>/customer-salt`), created with a
 * random value at the first start. The local persistence keeps every secret, so a restarted hub
 * finds the same one and its customers keep their hashes; `--fresh` starts with a new salt.
 * Returns whether it was created now.
 */
export async function ensureCustomerSaltSecret(aws: LiteAwsClient, name: string): Promise<boolean> {
  try {
    await aws.json({ service: 'secretsmanager', target: 'secretsmanager.DescribeSecret', input: { SecretId: name } });
    return false;
  } catch (err) {
    if (!(err instanceof AwsError && err.type === 'ResourceNotFoundException')) throw err;
  }
  await aws.json({
    service: 'secretsmanager',
    target: 'secretsmanager.CreateSecret',
    input: {
      Name: name,
      // 48 base64url characters, as random as the stack's generated 48-character value
      SecretString: randomBytes(36).toString('base64url'),
      Description: 'Salt of the HMAC-SHA256 customer hashes (local hub)',
    },
  });
  return true;
}
