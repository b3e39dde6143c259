/**
 * A real local DynamoDB for tests: dynalite, in memory, on 127.0.0.1 and a free port, with a client pointed at it
 * (region us-east-1, fake credentials). Tables are created with the state store's key schema, on demand.
 *
 * ```ts
 * let db: Dynalite;
 * beforeAll(async () => { db = await startDynalite(); await db.createTable('audit-state'); });
 * afterAll(() => db.close());
 * const store = new StateStore(db.client, 'audit-state');
 * ```
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PARTITION_KEY, SORT_KEY } from '../../lambdas/audit/adapters/state-table-keys';

/** The part of dynalite's API used here (it ships no types). */
type DynaliteFactory = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- dynalite is CommonJS without type declarations
const dynalite = require('dynalite') as DynaliteFactory;

export interface Dynalite {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** A client for the endpoint: region us-east-1, fake credentials. */
  client: DynamoDBClient;
  /** Creates a table with the state store's key schema (`pk`, `sk`, both S), on demand, and waits until ACTIVE. */
  createTable(name: string): Promise<void>;
  /** Destroys the client and stops the server. */
  close(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-for-dynalite' },
  });

  return {
    endpoint,
    client,
    async createTable(name) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: PARTITION_KEY, AttributeType: 'S' },
            { AttributeName: SORT_KEY, AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
            { AttributeName: SORT_KEY, KeyType: 'RANGE' },
          ],
        }),
      );
      // With createTableMs 0 the table turns ACTIVE on the next tick; the SDK's waiter would poll every 20 s.
      for (let i = 0; i < 100; i += 1) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
        if (Table?.TableStatus === 'ACTIVE') return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`dynalite table ${name} did not become ACTIVE`);
    },
    async close() {
      client.destroy();
      // Keep-alive sockets would hold server.close() open until they time out.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
