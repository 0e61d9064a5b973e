import { randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackEnv } from '../../support/stack-env.js';

// Proves the local S3 (moto) honours conditional writes, which the archive relies on
// to write each object once.
const stack = loadStackEnv();
const client = new S3Client({
  endpoint: stack.awsEndpointUrl,
  region: stack.awsRegion,
  credentials: stack.credentials,
  // moto serves buckets by path; virtual-hosted names would need DNS for *.127.0.0.1.
  forcePathStyle: true,
});
const bucket = `engine-s3-${randomUUID().slice(0, 8)}`;
const keys: string[] = [];

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  for (const key of keys) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  client.destroy();
});

describe('the local S3', () => {
  it('refuses with 412 a PutObject with If-None-Match: * on a key that exists, keeping the first body', async () => {
    const key = 'archive/part-0001.json';
    keys.push(key);
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'first', IfNoneMatch: '*' }),
    );

    const second = await client
      .send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'second', IfNoneMatch: '*' }))
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );

    expect(second).toBeInstanceOf(S3ServiceException);
    expect((second as S3ServiceException).$metadata.httpStatusCode).toBe(412);
    const stored = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await stored.Body?.transformToString()).toBe('first');
  });
});
