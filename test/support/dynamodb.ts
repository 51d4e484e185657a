/**
 * A real DynamoDB implementation on loopback (dynalite), reached by the AWS SDK through
 * `AWS_ENDPOINT_URL_DYNAMODB`, with the lease table the construct creates.
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { closeServer } from '../emulator/loopback.ts';

const dynalite = createRequire(import.meta.url)('dynalite') as (
  options: Record<string, number>,
) => Server;

/** Starts dynalite with an empty lease table `tableName`; resolves to its URL and a closer. */
export async function startLeaseTable(tableName = 'query-janitor-leases') {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint: url });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'tenant', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'tenant', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  client.destroy();
  return { url, tableName, close: () => closeServer(server) };
}
