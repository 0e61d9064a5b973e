import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ArchiveStore } from '../../../functions/adapters/s3-archive-store.js';
import { PoisonError, RetriableError, StaysyncError } from '../../../functions/core/errors.js';

// S3 answers that moto cannot be made to give (a corrupted body, an overlong key):
// a client whose send rejects with the SDK's error shape for that answer.
const rejectingWith = (name: string, status: number) =>
  ({
    send: async () => {
      throw Object.assign(new Error(`${name} from S3`), {
        name,
        $fault: 'client',
        $metadata: { httpStatusCode: status },
      });
    },
  }) as unknown as S3Client;

const put = (name: string, status: number) =>
  new S3ArchiveStore(rejectingWith(name, status), 'bucket', {}, async () => {}).putIfAbsent(
    'archive/topic=t/dt=2026-11-26/partition=0/t+0+00000000000000000000.jsonl.gz',
    new Uint8Array([1]),
    {},
  );

describe('S3 archive PutObject failures', () => {
  it.each(['BadDigest', 'IncompleteBody', 'XAmzContentSHA256Mismatch'])(
    'retries %s, a body damaged in transit',
    async (name) => {
      await expect(put(name, 400)).rejects.toBeInstanceOf(RetriableError);
    },
  );

  it.each([
    ['KeyTooLongError', 400],
    ['AccessDenied', 403],
    ['NoSuchBucket', 404],
  ])('fails the invocation on %s instead of quarantining the batch', async (name, status) => {
    const err = await put(name, status).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaysyncError);
    expect(err).not.toBeInstanceOf(PoisonError);
    expect((err as StaysyncError).retriable).toBe(false);
  });

  it('quarantines the batch when S3 refuses this object itself', async () => {
    const err = await put('EntityTooLarge', 400).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoisonError);
    expect((err as PoisonError).reason).toBe('s3-write-rejected');
  });

  it('reads 412 as the object already being there', async () => {
    await expect(put('PreconditionFailed', 412)).resolves.toBe('exists');
  });
});
