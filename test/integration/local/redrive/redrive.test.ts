import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvVar } from '../../../../functions/contract/index.js';
import { createHandler } from '../../../../functions/sink-dynamodb/create-handler.js';
import { redrive } from '../../../../local/redrive/redrive.js';
import { formatSummary } from '../../../../local/redrive/summary.js';
import {
  emptyAndDeleteBucket,
  listAllKeys,
  quietLocalStack,
  uniqueName,
} from '../../../support/aws.js';
import { checkpointOf, createTables, viewStates } from '../../sink-dynamodb/support.js';
import { beforeTheFix } from './support.js';

// Redrive after a fix (docs/rebuild-redrive.md, "Redrive after a bug fix"): records a
// source-versioned configuration quarantined as `missing-version` decode once the topic is
// declared log-ordered; the real DynamoDB sink applies them at their original offsets.
const { stack, ddb, s3 } = quietLocalStack();
const bucket = uniqueName('redrive-quarantine');
const topic = uniqueName('redrive-customers');
let tables: Awaited<ReturnType<typeof createTables>>;

const envOf = (versioning: 'source' | 'log') => ({
  ...stack.vars,
  [EnvVar.sinkName]: 'dynamodb',
  [EnvVar.viewTable]: tables.view,
  [EnvVar.ledgerTable]: tables.ledger,
  [EnvVar.quarantineBucket]: bucket,
  [EnvVar.pipeline]: JSON.stringify({ topics: { [topic]: { versioning } } }),
});

async function snapshot() {
  const keys = (await listAllKeys(s3, bucket)).sort();
  const bodies = await Promise.all(
    keys.map(async (Key) => {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      return (await got.Body?.transformToString()) ?? '';
    }),
  );
  return { keys, bodies, view: await viewStates(ddb, tables.view) };
}

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  tables = await createTables(ddb, 'redrive');
  // The live sink, before the fix: offsets 1 and 2 carry no version, 3 is not JSON.
  const live = createHandler(envOf('source'));
  const response = await live({
    eventSource: 'aws:kafka',
    records: {
      [`${topic}-0`]: beforeTheFix(topic),
    },
  });
  expect(response.batchItemFailures).toEqual([]);
});
afterAll(async () => {
  await tables?.drop();
  await emptyAndDeleteBucket(s3, bucket);
});

describe('redrive (DynamoDB sink, local stack)', () => {
  it('quarantined three records before the fix, with their reasons', async () => {
    const keys = await listAllKeys(s3, bucket);
    expect(keys.sort()).toEqual(
      [1, 2, 3].map(
        (o) =>
          `quarantine/sink=dynamodb/topic=${topic}/partition=0/${String(o).padStart(20, '0')}.json`,
      ),
    );
    expect((await viewStates(ddb, tables.view)).has('customer#2')).toBe(false);
  });

  it('--dry-run tells what would happen and writes nothing', async () => {
    const before = await snapshot();
    const report = await redrive({ kind: 'dynamodb', env: envOf('log'), dryRun: true });
    expect(report.rows.map((r) => [r.offset, r.reason, r.outcome])).toEqual([
      [1, 'missing-version', 'would-apply'],
      [2, 'missing-version', 'would-apply'],
      [3, 'invalid-json', 'would-stay-poison'],
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it('--reason selects only the records quarantined for that reason', async () => {
    const before = await snapshot();
    const report = await redrive({ kind: 'dynamodb', env: envOf('log'), reason: 'invalid-json' });
    expect(report.rows.map((r) => [r.offset, r.outcome, r.newReason])).toEqual([
      [3, 'still-poison', 'invalid-json'],
    ]);
    // still poison for the same reason: its entry is left exactly as it was
    expect(await snapshot()).toEqual(before);
  });

  it('applies the records that now decode at their offsets, moves them under redriven/, leaves the poison', async () => {
    const report = await redrive({
      kind: 'dynamodb',
      env: envOf('log'),
      now: () => new Date('2026-12-03T12:00:00Z'),
    });
    expect(report.rows.map((r) => [r.offset, r.reason, r.outcome])).toEqual([
      [1, 'missing-version', 'applied'],
      [2, 'missing-version', 'applied'],
      [3, 'invalid-json', 'still-poison'],
    ]);
    const view = await viewStates(ddb, tables.view);
    // log-ordered: the offset is the version (ev = 2 × offset); offset 2 is the last word
    expect(view.get('customer#2')).toMatchObject({ ev: 4, deleted: false, data: { name: 'Bob' } });
    expect(view.get('customer#1')).toMatchObject({ data: { name: 'Ann' } });
    const keys = (await listAllKeys(s3, bucket)).sort();
    expect(keys).toEqual([
      `quarantine/redriven/sink=dynamodb/topic=${topic}/partition=0/${'1'.padStart(20, '0')}.json`,
      `quarantine/redriven/sink=dynamodb/topic=${topic}/partition=0/${'2'.padStart(20, '0')}.json`,
      `quarantine/sink=dynamodb/topic=${topic}/partition=0/${'3'.padStart(20, '0')}.json`,
    ]);
    const moved = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }));
    expect(JSON.parse((await moved.Body?.transformToString()) ?? '')).toMatchObject({
      offset: 1,
      reason: 'missing-version',
      redrive: { outcome: 'applied', redrivenAt: '2026-12-03T12:00:00.000Z' },
    });
    // the live sink's checkpoint did not move
    expect(await checkpointOf(ddb, tables.ledger, `ckpt#dynamodb#${topic}#0`)).toBe(3);
    expect(formatSummary(report.rows)).toMatch(/missing-version\s+2\s+0/);
  });

  it('running it again changes nothing', async () => {
    const before = await snapshot();
    const report = await redrive({ kind: 'dynamodb', env: envOf('log') });
    expect(report.rows.map((r) => [r.offset, r.outcome])).toEqual([[3, 'still-poison']]);
    expect(await snapshot()).toEqual(before);
  });

  it('a record applied but not yet moved (a crash in between) is re-applied as a no-op and moved', async () => {
    // put the applied entry of offset 2 back where it was, as if the move had not happened
    const redrivenKey = `quarantine/redriven/sink=dynamodb/topic=${topic}/partition=0/${'2'.padStart(20, '0')}.json`;
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: redrivenKey }));
    const { redrive: _mark, ...entry } = JSON.parse((await got.Body?.transformToString()) ?? '');
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: redrivenKey.replace('quarantine/redriven/', 'quarantine/'),
        Body: JSON.stringify(entry),
      }),
    );
    const view = await viewStates(ddb, tables.view);
    const report = await redrive({ kind: 'dynamodb', env: envOf('log') });
    expect(report.rows.map((r) => [r.offset, r.outcome])).toEqual([
      [2, 'already-applied'],
      [3, 'still-poison'],
    ]);
    expect(await viewStates(ddb, tables.view)).toEqual(view);
  });
});
