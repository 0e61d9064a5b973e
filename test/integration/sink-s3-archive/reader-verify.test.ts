/**
 * The archive reader and `archive:verify` on archives written by the real handler
 * (moto S3), including archives damaged by hand.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveReader } from '../../../functions/adapters/archive-reader.js';
import { encodeArchiveObject } from '../../../functions/core/archive/object.js';
import { DEFAULT_DECODE_LIMITS } from '../../../functions/core/limits.js';
import { decodeRecord } from '../../../functions/core/msk-decode.js';
import { dynamoDbClient, s3Client } from '../../../functions/runtime/aws-clients.js';
import { createHandler } from '../../../functions/sink-s3-archive/create-handler.js';
import { runArchiveVerify } from '../../../local/cli/archive-verify.js';
import { type FetchedRecord, toMskRecord } from '../../../local/esm/event-builder.js';
import { uniqueName } from '../../support/aws.js';
import { loadStackEnv } from '../../support/stack-env.js';
import { createResources, expectExactlyOnce, makeRecords, mskEvent } from './support.js';

const stack = loadStackEnv();
const baseEnv = { ...stack.vars };
const s3 = s3Client(baseEnv);
let resources: Awaited<ReturnType<typeof createResources>>;

beforeAll(async () => {
  resources = await createResources(dynamoDbClient(baseEnv), s3);
});
afterAll(async () => {
  await resources?.drop();
});

const HOUR = 3_600_000;

/** Archives three partitions whose records span two UTC days, in batches of 25. */
async function archiveTopic() {
  const topic = uniqueName('events');
  const prefix = uniqueName('arch');
  const handler = createHandler({
    ...baseEnv,
    LEDGER_TABLE: resources.ledger,
    ARCHIVE_BUCKET: resources.archive,
    ARCHIVE_PREFIX: prefix,
    QUARANTINE_BUCKET: resources.quarantine,
  });
  const start = Date.UTC(2026, 10, 26, 20);
  const sent = [2, 0, 1].flatMap((p) =>
    makeRecords(topic, p, 10 * p, 100, { startMs: start, stepMs: 0.1 * HOUR }),
  );
  for (let i = 0; i < 100; i += 25) {
    const batch = sent.filter(
      (r) => r.offset - 10 * r.partition >= i && r.offset - 10 * r.partition < i + 25,
    );
    expect(await handler(mskEvent(batch))).toEqual({ batchItemFailures: [] });
  }
  const verify = async (...args: string[]) => {
    const out: string[] = [];
    const run = await runArchiveVerify(
      ['--topic', topic, '--bucket', resources.archive, '--prefix', prefix, ...args],
      baseEnv,
      (l) => out.push(l),
      (l) => out.push(l),
    );
    return { ...run, text: out.join('\n') };
  };
  const put = async (records: FetchedRecord[], date: string, metadata?: Record<string, string>) => {
    const first = records[0] as FetchedRecord;
    const encoded = await encodeArchiveObject(
      records.map((r) => decodeRecord(toMskRecord(r), DEFAULT_DECODE_LIMITS).record),
    );
    const key = `${prefix}/topic=${topic}/dt=${date}/partition=${first.partition}/${topic}+${first.partition}+${String(first.offset).padStart(20, '0')}.jsonl.gz`;
    await s3.send(
      new PutObjectCommand({
        Bucket: resources.archive,
        Key: key,
        Body: encoded.body,
        Metadata: metadata ?? { ...encoded.metadata },
      }),
    );
    return key;
  };
  return { topic, prefix, sent, verify, put };
}

describe('the archive reader', () => {
  it('streams every record in (partition, offset) order across dt= days', async () => {
    const { topic, prefix, sent } = await archiveTopic();
    const reader = new ArchiveReader({ client: s3, bucket: resources.archive, prefix, topic });
    expect(await reader.dates()).toEqual(['2026-11-26', '2026-11-27']);
    expect(await reader.partitions()).toEqual([0, 1, 2]);
    const records = [];
    for await (const r of reader.records()) records.push(r);
    expectExactlyOnce(records, sent);
  });

  it('reads only the partitions and days asked for', async () => {
    const { topic, prefix } = await archiveTopic();
    const reader = new ArchiveReader({
      client: s3,
      bucket: resources.archive,
      prefix,
      topic,
      partitions: [1],
      fromDate: '2026-11-27',
    });
    const objects = await reader.objects(1);
    expect(objects.every((o) => o.id.date === '2026-11-27' && o.id.partition === 1)).toBe(true);
    const offsets = [];
    for await (const r of reader.records()) offsets.push(r.offset);
    expect(offsets.length).toBeGreaterThan(0);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(await reader.partitions()).toEqual([1]);
  });
});

describe('archive:verify', () => {
  it('passes a clean archive and reports its offset ranges per partition', async () => {
    const { verify } = await archiveTopic();
    const result = await verify();
    expect(result.exitCode).toBe(0);
    expect(result.text).toContain(
      'partition 0: 4 object(s), 100 record(s), offsets 0..99; ranges 0..99',
    );
    expect(result.text).toContain(
      'partition 2: 4 object(s), 100 record(s), offsets 20..119; ranges 20..119',
    );
    expect(result.text).toContain('OK: no gaps, no duplicates');
  });

  it('fails on an object that duplicates offsets', async () => {
    const { verify, put, sent } = await archiveTopic();
    await put(
      sent.filter((r) => r.partition === 0 && r.offset >= 30 && r.offset <= 34),
      '2026-11-26',
    );
    const result = await verify();
    expect(result.exitCode).toBe(1);
    expect(result.text).toMatch(/partition=0: 5 duplicate offset\(s\), e\.g\. 30, 31, 32, 33, 34/);
    expect(result.report?.partitions[0]?.duplicates.count).toBe(5);
  });

  it('fails on a gap unless the topic is compacted or Kafka no longer holds the missing offsets', async () => {
    const { topic, verify, put } = await archiveTopic();
    // partition 7: offsets 0..4 and 8..9, as if 5..7 were never archived (or compacted away)
    const records = makeRecords(topic, 7, 0, 10).filter((r) => r.offset < 5 || r.offset > 7);
    await put(records.slice(0, 5), '2026-11-27');
    await put(records.slice(5), '2026-11-27');
    const strict = await verify('--partitions', '7');
    expect(strict.exitCode).toBe(1);
    expect(strict.text).toMatch(/gap\(s\) of 3 offset\(s\), e\.g\. 5\.\.7/);
    expect((await verify('--partitions', '7', '--compacted')).exitCode).toBe(0);
    const file = join(tmpdir(), `${uniqueName('expected')}.json`);
    writeFileSync(file, JSON.stringify({ 7: [[0, 4], 8, 9] }));
    expect((await verify('--partitions', '7', '--expected', file)).exitCode).toBe(0);
    writeFileSync(file, JSON.stringify({ 7: [[0, 9]] }));
    const missing = await verify('--partitions', '7', '--expected', file);
    expect(missing.exitCode).toBe(1);
    expect(missing.text).toMatch(/3 offset\(s\) Kafka holds are missing/);
  });

  it('fails on an object whose metadata disagrees with its lines', async () => {
    const { topic, verify, put } = await archiveTopic();
    const records = makeRecords(topic, 9, 0, 3);
    const key = await put(records, '2026-11-26', {
      'start-offset': '0',
      'end-offset': '5',
      'record-count': '3',
    });
    const result = await verify('--partitions', '9', '--json');
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.text).problems).toEqual([
      `${key}: metadata end-offset 5 but last record is 2`,
    ]);
  });

  it('answers usage errors with exit code 2', async () => {
    const out: string[] = [];
    expect(
      (
        await runArchiveVerify(
          ['--bucket', 'b'],
          {},
          () => {},
          (l) => out.push(l),
        )
      ).exitCode,
    ).toBe(2);
    expect(out.join()).toMatch(/--topic is required/);
    expect(
      (
        await runArchiveVerify(
          ['--topic', 't', '--bucket', 'b', '--from', 'yesterday'],
          {},
          () => {},
          () => {},
        )
      ).exitCode,
    ).toBe(2);
  });
});
