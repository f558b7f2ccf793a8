import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { provisionHubTable } from '#infra/local/provision.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import { awsEndpoint, motoEnv, testClients, uniqueName } from './aws.ts';

/**
 * A fresh hub table in the test moto, created from the synthesized stack (keys, GSI, TTL: the one
 * definition), wrapped in the normalizer's DynamoTable. Each test gets its own name, so no reset
 * is needed.
 */
export async function freshTable(
  prefix = 'tbl',
): Promise<{ table: DynamoTable; tableName: string; drop(): Promise<void> }> {
  const { dynamo } = testClients();
  const tableName = uniqueName(prefix);
  await provisionHubTable({ endpoint: awsEndpoint(), tableName });
  const table = new DynamoTable(documentClient(awsClientConfig(motoEnv())), tableName);
  return {
    table,
    tableName,
    drop: async () => void (await dynamo.send(new DeleteTableCommand({ TableName: tableName }))),
  };
}
