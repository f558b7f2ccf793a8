import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { awsClientConfig } from '#shared/aws/config.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import { motoEnv, testClients, uniqueName } from './aws.ts';

/**
 * A fresh hub table in the test moto (same keys as the stack's: pk/sk strings, the byUpdated GSI),
 * wrapped in the normalizer's DynamoTable. Each test gets its own name, so no reset is needed.
 */
export async function freshTable(prefix = 'tbl'): Promise<{ table: DynamoTable; tableName: string; drop(): Promise<void> }> {
  const { dynamo } = testClients();
  const tableName = uniqueName(prefix);
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'feedPk', AttributeType: 'S' },
        { AttributeName: 'feedSk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byUpdated',
          KeySchema: [
            { AttributeName: 'feedPk', KeyType: 'HASH' },
            { AttributeName: 'feedSk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  const table = new DynamoTable(documentClient(awsClientConfig(motoEnv())), tableName);
  return { table, tableName, drop: async () => void (await dynamo.send(new DeleteTableCommand({ TableName: tableName }))) };
}
