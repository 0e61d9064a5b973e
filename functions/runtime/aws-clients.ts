import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';

/**
 * One SDK client per service, endpoint and region, shared by everything in the process:
 * connections are reused across invocations, and tests attach middleware (e.g.
 * `test/support/aws-request-counter.ts`) to the very instance the handler uses.
 *
 * - Endpoint: `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL` (the SDK's standard
 *   variables), read from the `env` passed in, so tests can target the local stack
 *   without touching `process.env`. With an override (local emulator) the static
 *   credentials of that `env` are used when present, and S3 uses path-style addressing.
 * - Retries: the SDK's `standard` mode with 3 attempts and short timeouts; the engine
 *   owns the longer, deadline-aware retries.
 */
const SDK_MAX_ATTEMPTS = 3;
const REQUEST_HANDLER = { connectionTimeout: 3_000, requestTimeout: 10_000 } as const;

const dynamoClients = new Map<string, DynamoDBClient>();
const s3Clients = new Map<string, S3Client>();

export interface ClientTarget {
  readonly region: string;
  readonly endpoint?: string;
}

/** Region and endpoint a client for `service` targets under `env`. */
export function clientTarget(env: NodeJS.ProcessEnv, service: 'DYNAMODB' | 'S3'): ClientTarget {
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1';
  const endpoint = nonEmpty(env[`AWS_ENDPOINT_URL_${service}`]) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  return endpoint === undefined ? { region } : { region, endpoint };
}

export function dynamoDbClient(env: NodeJS.ProcessEnv = process.env): DynamoDBClient {
  const target = clientTarget(env, 'DYNAMODB');
  const id = cacheKey(target);
  let client = dynamoClients.get(id);
  if (client === undefined) {
    client = new DynamoDBClient({ ...baseConfig(env, target) });
    dynamoClients.set(id, client);
  }
  return client;
}

export function s3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const target = clientTarget(env, 'S3');
  const id = cacheKey(target);
  let client = s3Clients.get(id);
  if (client === undefined) {
    client = new S3Client({
      ...baseConfig(env, target),
      forcePathStyle: target.endpoint !== undefined,
    });
    s3Clients.set(id, client);
  }
  return client;
}

function baseConfig(env: NodeJS.ProcessEnv, target: ClientTarget) {
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  const localCredentials =
    target.endpoint !== undefined && accessKeyId !== undefined && secretAccessKey !== undefined
      ? {
          credentials: {
            accessKeyId,
            secretAccessKey,
            ...(sessionToken === undefined ? {} : { sessionToken }),
          },
        }
      : {};
  return {
    region: target.region,
    ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint }),
    ...localCredentials,
    maxAttempts: SDK_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: REQUEST_HANDLER,
  };
}

const cacheKey = (t: ClientTarget): string => `${t.endpoint ?? 'aws'}|${t.region}`;

const nonEmpty = (v: string | undefined): string | undefined =>
  v === undefined || v.trim() === '' ? undefined : v.trim();
