import { describe, expect, it } from 'vitest';
import { clientTarget, dynamoDbClient, s3Client } from '../../../functions/runtime/aws-clients.js';

const LOCAL = {
  AWS_REGION: 'eu-west-1',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:5999',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
};

describe('aws-clients', () => {
  it('returns the same DynamoDB client for the same endpoint and region', () => {
    expect(dynamoDbClient(LOCAL)).toBe(dynamoDbClient({ ...LOCAL }));
  });

  it('returns distinct clients for distinct endpoints', () => {
    expect(dynamoDbClient(LOCAL)).not.toBe(
      dynamoDbClient({ ...LOCAL, AWS_ENDPOINT_URL: 'http://127.0.0.1:6000' }),
    );
  });

  it('prefers the service-specific endpoint variable', () => {
    const env = { ...LOCAL, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:7000' };
    expect(clientTarget(env, 'DYNAMODB')).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:7000',
    });
    expect(clientTarget(env, 'S3')).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:5999',
    });
  });

  it('targets AWS itself when no endpoint override is set', () => {
    expect(clientTarget({ AWS_REGION: 'us-west-2' }, 'S3')).toEqual({ region: 'us-west-2' });
  });

  it('uses path-style S3 addressing against an endpoint override (moto)', async () => {
    const client = s3Client({ ...LOCAL, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5998' });
    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.region()).toBe('eu-west-1');
    expect(await client.config.maxAttempts()).toBe(3);
  });

  it('uses the static credentials of the env it is given for a local endpoint', async () => {
    const client = dynamoDbClient({ ...LOCAL, AWS_ENDPOINT_URL: 'http://127.0.0.1:6111' });
    const credentials = await client.config.credentials();
    expect(credentials.accessKeyId).toBe('test');
  });
});
