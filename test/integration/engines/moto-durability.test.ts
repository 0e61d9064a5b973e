import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { motoCommand, motoJournalPath, resetMoto } from '../../../local/stack/services/moto.js';
import { stackPaths } from '../../../local/stack/support/paths.js';
import { killNow, terminate } from '../../../local/stack/support/processes.js';
import { freePort, s3ClientFor, startServer } from './private-server.js';

// The stack's moto, started with the stack's own command (motoCommand: the launcher and
// its S3 journal) on a private port and data folder, killed with SIGKILL while writes are
// in flight: S3 must come back with every acknowledged write, as AWS S3 does after an
// outage. (`npm start -- --faults` kills the stack's server the same way.)
const running: number[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const pid of running.splice(0)) await terminate(pid, 5_000);
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

async function privateServer() {
  const data = mkdtempSync(path.join(tmpdir(), 'staysync-moto-'));
  folders.push(data);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const paths = { ...stackPaths(), data };
  const [command, args] = motoCommand(paths, port);
  const start = async (): Promise<number> => {
    const { pid } = await startServer(command, args, async () => (await fetch(endpoint)).ok);
    running.push(pid);
    return pid;
  };
  const kill9 = async (pid: number): Promise<void> => {
    await killNow(pid);
    running.splice(running.indexOf(pid), 1);
  };
  const journalLines = (): number =>
    readFileSync(motoJournalPath(paths), 'utf8').split('\n').filter(Boolean).length;
  return { endpoint, start, kill9, journalLines };
}

const Bucket = 'archive';
const WRITES = 300;
const KILL_AFTER = 120;

const rejectionOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );

describe('the stack’s moto killed with -9', () => {
  it('comes back with every acknowledged S3 write, conditions and deletes included', async () => {
    const server = await privateServer();
    const pid = await server.start();
    const s3 = s3ClientFor(server.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'doomed', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'doomed' }));
    // Objects written as the archive writes them (If-None-Match: *, end offset in the
    // metadata), 8 in flight; the kill lands once KILL_AFTER were acknowledged.
    const acknowledged: string[] = [];
    let killed: Promise<void> | undefined;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < WRITES && killed === undefined) {
        const key = `part-${String(next++).padStart(5, '0')}`;
        const written = await s3
          .send(
            new PutObjectCommand({
              Bucket,
              Key: key,
              Body: `body of ${key}`,
              IfNoneMatch: '*',
              Metadata: { 'end-offset': key },
            }),
          )
          .then(
            () => true,
            () => false,
          );
        if (!written) continue;
        acknowledged.push(key);
        if (acknowledged.length === KILL_AFTER) killed = server.kill9(pid);
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    await killed;
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acknowledged.length).toBeLessThan(WRITES);

    await server.start();

    const keys = new Set(
      (await s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 1000 }))).Contents?.map(
        (object) => object.Key,
      ),
    );
    for (const key of acknowledged) expect(keys.has(key), key).toBe(true);
    expect(keys.has('doomed')).toBe(false);
    const sample = acknowledged[KILL_AFTER - 1] as string;
    const object = await s3.send(new GetObjectCommand({ Bucket, Key: sample }));
    expect(await object.Body?.transformToString()).toBe(`body of ${sample}`);
    expect(object.Metadata?.['end-offset']).toBe(sample);
    // The condition holds across the restart: the object exists, a second write is refused.
    const again = await rejectionOf(
      s3.send(new PutObjectCommand({ Bucket, Key: sample, Body: 'second', IfNoneMatch: '*' })),
    );
    expect(again).toBeInstanceOf(S3ServiceException);
    expect((again as S3ServiceException).$metadata.httpStatusCode).toBe(412);
    s3.destroy();
  });

  it('comes back after a reset with only what was written since', async () => {
    const server = await privateServer();
    const pid = await server.start();
    const s3 = s3ClientFor(server.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'before-reset' }));
    await resetMoto(server.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'after-reset' }));
    await s3.send(new PutObjectCommand({ Bucket: 'after-reset', Key: 'k', Body: 'v' }));
    await server.kill9(pid);

    await server.start();

    const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets.map((bucket) => bucket.Name)).toEqual(['after-reset']);
    await s3.send(new HeadObjectCommand({ Bucket: 'after-reset', Key: 'k' }));
    s3.destroy();
  });

  it('forgets the writes of deleted buckets at restart, but not of one a copy read from', async () => {
    const server = await privateServer();
    const pid = await server.start();
    const s3 = s3ClientFor(server.endpoint);
    const put = (bucket: string, key: string) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${bucket}/${key}` }));
    // A bucket made, filled, emptied and deleted, then made again under the same name.
    await s3.send(new CreateBucketCommand({ Bucket: 'gone' }));
    for (const key of ['k0', 'k1', 'k2']) await put('gone', key);
    for (const key of ['k0', 'k1', 'k2'])
      await s3.send(new DeleteObjectCommand({ Bucket: 'gone', Key: key }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'gone' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'gone' }));
    await put('gone', 'again');
    // A deleted bucket an object was copied from: replaying the copy needs its writes.
    await s3.send(new CreateBucketCommand({ Bucket: 'src' }));
    await put('src', 'a');
    await s3.send(new CreateBucketCommand({ Bucket: 'dst' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: 'a', CopySource: 'src/a' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'src', Key: 'a' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'src' }));
    expect(server.journalLines()).toBe(16);
    await server.kill9(pid);

    await server.start();

    // gone: made again + 1 put; src: all 4 of its writes; dst: made + the copy.
    expect(server.journalLines()).toBe(8);
    const keys = await s3.send(new ListObjectsV2Command({ Bucket: 'gone' }));
    expect(keys.Contents?.map((object) => object.Key)).toEqual(['again']);
    const copy = await s3.send(new GetObjectCommand({ Bucket: 'dst', Key: 'a' }));
    expect(await copy.Body?.transformToString()).toBe('src/a');
    const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets.map((bucket) => bucket.Name).sort()).toEqual(['dst', 'gone']);
    s3.destroy();
  });
});
