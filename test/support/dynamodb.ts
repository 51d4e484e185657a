/**
 * A real DynamoDB implementation on loopback (dynalite), reached by the AWS SDK through
 * `AWS_ENDPOINT_URL_DYNAMODB`, with the lease table the construct creates.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
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

/** What a faulty table does with an operation: never answer it, or answer an AWS error. */
export type TableFault = 'hang' | { status: number; type: string };

/**
 * A DynamoDB in front of `target` that never answers the operations named in `hang` (such as
 * `DeleteItem`): what a table that hangs looks like to the SDK. Counts what it received.
 */
export function startHangingTable(target: string, hang: readonly string[]) {
  return startFaultyTable(target, Object.fromEntries(hang.map((operation) => [operation, 'hang'])));
}

/**
 * A DynamoDB in front of `target` that treats each operation named in `faults` so (`PutItem`
 * answered `ThrottlingException`, `DeleteItem` never answered). Counts what it received.
 */
export async function startFaultyTable(
  target: string,
  faults: Readonly<Record<string, TableFault>>,
) {
  const received: string[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      received.push(operation);
      const fault = faults[operation];
      if (fault === 'hang') {
        held.push(res);
        return;
      }
      if (fault) {
        res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${fault.type}` }));
        return;
      }
      const answer = await fetch(target, {
        method: 'POST',
        headers: req.headers as Record<string, string>,
        body: Buffer.concat(chunks),
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: async () => {
      for (const res of held) res.destroy();
      await closeServer(server);
    },
  };
}
