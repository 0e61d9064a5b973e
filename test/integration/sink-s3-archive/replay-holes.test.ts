/**
 * Replaying a partition from offset 0 with a new ledger (a new SINK_NAME, or a lost or
 * rebuilt ledger) over an archive that has holes: records the mapping once gave up on, so
 * they never reached the archive. The real handler against moto S3 and Dynoxide DynamoDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbClient, s3Client } from '../../../functions/runtime/aws-clients.js';
import { createHandler } from '../../../functions/sink-s3-archive/create-handler.js';
import { runArchiveVerify } from '../../../local/cli/archive-verify.js';
import type { FetchedRecord } from '../../../local/esm/event-builder.js';
import { listAllKeys, uniqueName } from '../../support/aws.js';
import { loadStackEnv } from '../../support/stack-env.js';
import {
  createResources,
  expectExactlyOnce,
  type Handler,
  makeRecords,
  mskEvent,
  readArchive,
} from './support.js';

const stack = loadStackEnv();
const baseEnv = { ...stack.vars };
const s3 = s3Client(baseEnv);
const dynamo = dynamoDbClient(baseEnv);
let resources: Awaited<ReturnType<typeof createResources>>;

beforeAll(async () => {
  resources = await createResources(dynamo, s3);
});
afterAll(async () => {
  await resources?.drop();
});

const slice = (records: readonly FetchedRecord[], from: number, to: number) =>
  records.filter((r) => r.offset >= from && r.offset <= to);

describe('sink-s3-archive replaying over an archive with holes', () => {
  it('a replay from offset 0 with a new ledger fills the hole once and never archives an offset twice', async () => {
    const topic = uniqueName('orders');
    const prefix = uniqueName('archive');
    const env = (sinkName: string) => ({
      ...baseEnv,
      SINK_NAME: sinkName,
      LEDGER_TABLE: resources.ledger,
      ARCHIVE_BUCKET: resources.archive,
      ARCHIVE_PREFIX: prefix,
      QUARANTINE_BUCKET: resources.quarantine,
      QUARANTINE_PREFIX: prefix,
    });
    const log = makeRecords(topic, 0, 0, 60);

    // the live run: 0..19, then the mapping gives up on 20..24 and moves on to 25..59
    const live: Handler = createHandler(env('s3-archive'));
    expect(await live(mskEvent(slice(log, 0, 19)))).toEqual({ batchItemFailures: [] });
    expect(await live(mskEvent(slice(log, 25, 59)))).toEqual({ batchItemFailures: [] });
    const objectsBefore = await listAllKeys(s3, resources.archive, `${prefix}/`);
    expect(objectsBefore).toHaveLength(2);

    // the replay: a new ledger, other batch boundaries, one batch starting in the hole
    // and reaching into the object after it, each batch in a fresh execution environment
    for (const [from, to] of [
      [0, 9],
      [10, 39],
      [40, 59],
    ] as const) {
      const replay: Handler = createHandler(env('s3-archive-replay'));
      expect(await replay(mskEvent(slice(log, from, to)))).toEqual({ batchItemFailures: [] });
    }

    // 20..24 are archived once (a new object between the two), nothing else twice
    expectExactlyOnce(await readArchive(s3, resources.archive, prefix, topic), log);
    const objectsAfter = (await listAllKeys(s3, resources.archive, `${prefix}/`)).sort();
    expect(objectsAfter).toHaveLength(3);
    expect(objectsAfter[1]).toMatch(
      new RegExp(`${topic}\\+0\\+00000000000000000020\\.jsonl\\.gz$`),
    );
    const out: string[] = [];
    const verify = await runArchiveVerify(
      ['--topic', topic, '--bucket', resources.archive, '--prefix', prefix],
      baseEnv,
      (l) => out.push(l),
      (l) => out.push(l),
    );
    expect(verify.exitCode, out.join('\n')).toBe(0);
  });
});
