/**
 * Where the running local stack listens, read from `.local/stack.env` (written by
 * `npm run stack:up`; `STAYSYNC_LOCAL_DIR` moves `.local`). Integration tests take
 * endpoints from here, never from hard-coded ports.
 *
 * @example
 *   const stack = loadStackEnv();
 *   const kafka = new Kafka({ brokers: stack.kafkaBrokers });
 *   const handler = createHandler({ ...stack.vars, SINK_NAME: 'view', ... });
 */
import { readEnvFile } from '../../local/stack/env-file.js';
import { envFile, stackPaths } from '../../local/stack/support/paths.js';

export interface StackEnv {
  /** `host:port` of each broker, e.g. `['127.0.0.1:19092']` */
  readonly kafkaBrokers: readonly string[];
  /** e.g. `http://127.0.0.1:19200`; throws when the stack runs without OpenSearch */
  readonly opensearchEndpoint: string;
  /**
   * The Confluent-compatible schema registry's base URL (Apicurio's ccompat API), e.g.
   * `http://127.0.0.1:18081/apis/ccompat/v7`; throws when the stack runs without it
   */
  readonly schemaRegistryUrl: string;
  /** Dynoxide: DynamoDB and DynamoDB Streams, e.g. `http://127.0.0.1:18000` */
  readonly dynamodbEndpoint: string;
  /** moto: S3 (and SQS), e.g. `http://127.0.0.1:15000` */
  readonly s3Endpoint: string;
  readonly awsRegion: string;
  /** a new object on each read (the AWS SDK writes into the credentials it is given) */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** every KEY=VALUE of stack.env, to merge into an env object given to `createHandler` */
  readonly vars: Readonly<Record<string, string>>;
}

export class StackNotUpError extends Error {
  override readonly name = 'StackNotUpError';
}

export function loadStackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  const file = envFile(stackPaths(env));
  let vars: Record<string, string>;
  try {
    vars = readEnvFile(file);
  } catch (error) {
    throw new StackNotUpError(
      `The local stack is not up: ${file} cannot be read. Start it with \`npm run stack:up\` ` +
        '(integration tests run through vitest start it themselves).',
      { cause: error },
    );
  }
  const need = (key: string): string => {
    const value = vars[key];
    if (value === undefined || value === '') {
      throw new StackNotUpError(
        `${file} has no ${key}: is that service part of the running stack?`,
      );
    }
    return value;
  };
  const stack: StackEnv = {
    kafkaBrokers: need('KAFKA_BROKERS').split(','),
    get opensearchEndpoint(): string {
      return need('OPENSEARCH_ENDPOINT');
    },
    get schemaRegistryUrl(): string {
      return need('SCHEMA_REGISTRY_URL');
    },
    dynamodbEndpoint: need('AWS_ENDPOINT_URL_DYNAMODB'),
    s3Endpoint: need('AWS_ENDPOINT_URL_S3'),
    awsRegion: need('AWS_REGION'),
    // A fresh, unfrozen object per read: the AWS SDK tags the credentials it is given.
    get credentials() {
      return {
        accessKeyId: need('AWS_ACCESS_KEY_ID'),
        secretAccessKey: need('AWS_SECRET_ACCESS_KEY'),
      };
    },
    vars: Object.freeze({ ...vars }),
  };
  return Object.freeze(stack);
}
