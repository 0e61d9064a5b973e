import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyAndDeleteBucket, localS3, uniqueName } from '../../support/aws.js';
import { loadStackEnv } from '../../support/stack-env.js';

// Proves the local S3 (moto) honours conditional writes, which the archive relies on
// to write each object once.
const stack = loadStackEnv();
const client = localS3(stack);
const bucket = uniqueName('engine-s3');

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  await emptyAndDeleteBucket(client, bucket);
  client.destroy();
});

describe('the local S3', () => {
  it('refuses with 412 a PutObject with If-None-Match: * on a key that exists, keeping the first body', async () => {
    const key = 'archive/part-0001.json';
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
