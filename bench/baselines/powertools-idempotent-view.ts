/**
 * The cost baseline: how a team would build the DynamoDB view with Powertools alone.
 * Each record is decoded (base64 + JSON.parse), then processed through
 * `makeIdempotent` (DynamoDBPersistenceLayer, keyed by the envelope id) whose function
 * does one unconditional PutItem of the view item. Records run one after the other, the
 * way Powertools' Kafka + idempotency examples do; a failure reports that record and the
 * rest of its partition.
 */

import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { EnvVar } from '../../functions/contract/env.js';
import type { MskBatchResponse, MskEvent } from '../../functions/core/index.js';
import { clientTarget } from '../../functions/runtime/aws-clients.js';

/** The baseline's own variable: the Powertools idempotency table. */
export const IDEMPOTENCY_TABLE_ENV = 'IDEMPOTENCY_TABLE';

interface ChangeEnvelope {
  readonly id: string;
  readonly entity: string;
  readonly key: string;
  readonly version: number;
  readonly data?: Record<string, unknown>;
}

export interface BaselineHandler {
  readonly handler: (
    event: MskEvent,
    context?: { getRemainingTimeInMillis(): number },
  ) => Promise<MskBatchResponse>;
  /** the one SDK client both the persistence layer and the view writes use */
  readonly client: DynamoDBClient;
}

export function createBaselineHandler(env: NodeJS.ProcessEnv): BaselineHandler {
  const viewTable = required(env, EnvVar.viewTable);
  const idempotencyTable = required(env, IDEMPOTENCY_TABLE_ENV);
  const { region, endpoint } = clientTarget(env, 'DYNAMODB');
  const client = new DynamoDBClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          },
        }
      : {}),
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: idempotencyTable,
    awsSdkV3Client: client,
  });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'id' });
  const writeView = async (change: ChangeEnvelope): Promise<void> => {
    await client.send(
      new PutItemCommand({
        TableName: viewTable,
        Item: marshall(
          { pk: `${change.entity}#${change.key}`, _v: change.version, data: change.data ?? {} },
          { removeUndefinedValues: true },
        ),
      }),
    );
  };
  const processRecord = makeIdempotent(writeView, { persistenceStore, config });

  const handler: BaselineHandler['handler'] = async (event, context) => {
    if (context !== undefined) config.registerLambdaContext(context as never);
    const failures: MskBatchResponse['batchItemFailures'] = [];
    for (const [partition, records] of Object.entries(event.records)) {
      for (const record of records) {
        try {
          const text = Buffer.from(record.value ?? '', 'base64').toString('utf8');
          await processRecord(JSON.parse(text) as ChangeEnvelope);
        } catch {
          failures.push({ itemIdentifier: { partition, offset: record.offset } });
          break;
        }
      }
    }
    return { batchItemFailures: failures };
  };
  return { handler, client };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`baseline: ${name} is required`);
  return v;
}
