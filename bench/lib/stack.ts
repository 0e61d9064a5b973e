/**
 * Resources on the shared local stack, named uniquely per run and removed afterwards
 * (other helpers use the same stack at the same time).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { emptyAndDeleteBucket } from '../../local/aws/resources.js';
import { loadStackEnv, type StackEnv } from '../../test/support/stack-env.js';

export interface BenchStack {
  readonly stack: StackEnv;
  readonly ddb: DynamoDBClient;
  readonly s3: S3Client;
  readonly suffix: () => string;
  createTable(name: string, key?: string): Promise<string>;
  createBucket(name: string): Promise<string>;
  /** registers a clean-up step; `cleanup()` runs them in reverse order */
  defer(step: () => Promise<unknown>): void;
  cleanup(): Promise<void>;
}

export function benchStack(): BenchStack {
  const stack = loadStackEnv();
  const common = { region: stack.awsRegion, credentials: stack.credentials };
  const ddb = new DynamoDBClient({ ...common, endpoint: stack.dynamodbEndpoint });
  const s3 = new S3Client({ ...common, endpoint: stack.s3Endpoint, forcePathStyle: true });
  const steps: Array<() => Promise<unknown>> = [];
  const defer = (step: () => Promise<unknown>) => {
    steps.push(step);
  };
  return {
    stack,
    ddb,
    s3,
    suffix: () => randomUUID().slice(0, 8),
    defer,
    async createTable(name, key = 'pk') {
      await ddb.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        }),
      );
      await waitUntilTableExists({ client: ddb, maxWaitTime: 60 }, { TableName: name });
      defer(() => ddb.send(new DeleteTableCommand({ TableName: name })));
      return name;
    },
    async createBucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
      defer(() => emptyAndDeleteBucket(s3, name));
      return name;
    },
    async cleanup() {
      while (steps.length > 0) {
        const step = steps.pop() as () => Promise<unknown>;
        await step().catch((err: unknown) =>
          console.warn(`bench: clean-up step failed: ${(err as Error).message}`),
        );
      }
    },
  };
}

/** Deletes every index and index template under `prefix` on the OpenSearch node. */
export async function deleteIndices(endpoint: string, prefix: string): Promise<void> {
  const base = endpoint.replace(/\/$/, '');
  await fetch(`${base}/${prefix}-*?expand_wildcards=all`, { method: 'DELETE' }).catch(
    () => undefined,
  );
  await fetch(`${base}/_index_template/${prefix}-*`, { method: 'DELETE' }).catch(() => undefined);
}
