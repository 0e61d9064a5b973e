import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaimsHandler } from '../../../functions/claims/create-handler.js';
import type { Decision } from '../../../functions/core/claims/decide.js';
import { buildMskEvent, type FetchedRecord } from '../../../local/esm/event-builder.js';
import { listAllKeys, quietLocalStack } from '../../support/aws.js';
import { readTopic } from '../../support/kafka-topic.js';
import { claimsResources, request } from './support.js';

// The real claims handler against the real broker, Dynoxide and moto: requests produced
// to a claims topic are read back from offset 0, delivered as MSK events (redelivered
// too), and the decisions it publishes are read from the decisions topic.
const { stack, ddb, s3 } = quietLocalStack();
const kafka = new Kafka({ brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer();
let res: Awaited<ReturnType<typeof claimsResources>>;
let log: FetchedRecord[];

const identity = { bootstrapServers: stack.kafkaBrokers.join(',') };
const NS = 'username';

// alice: a wins, b and c lose; a releases; c wins; b's release is refused (not holder).
// bob: d wins, then d claims again (granted, already held); a producer duplicate of e.
const script = [
  request('claim', NS, 'alice', 'a', 'r1'),
  request('claim', NS, 'alice', 'b', 'r2'),
  request('claim', NS, 'bob', 'd', 'r3'),
  request('claim', NS, 'alice', 'c', 'r4'),
  request('release', NS, 'alice', 'b', 'r5'),
  request('release', NS, 'alice', 'a', 'r6'),
  request('claim', NS, 'alice', 'c', 'r7'),
  request('claim', NS, 'bob', 'e', 'r8'),
  request('claim', NS, 'bob', 'e', 'r8'),
  request('claim', NS, 'bob', 'd', 'r9'),
];
const poison = [
  { key: `${NS}:carol`, value: '{not json' },
  { key: `${NS}:mallory`, value: request('claim', NS, 'carol', 'x', 'r10').value },
];
const expected: Record<string, [boolean, string, string | null]> = {
  r1: [true, 'free', 'a'],
  r2: [false, 'held-by-other', 'a'],
  r3: [true, 'free', 'd'],
  r4: [false, 'held-by-other', 'a'],
  r5: [false, 'not-holder', 'a'],
  r6: [true, 'released', null],
  r7: [true, 'free', 'c'],
  r8: [false, 'held-by-other', 'd'],
  r9: [true, 'already-held', 'd'],
};

beforeAll(async () => {
  await admin.connect();
  await producer.connect();
  res = await claimsResources(stack, ddb, s3, admin, 'claims-it');
  await producer.send({ topic: res.claimsTopic, messages: [...script, ...poison] });
  log = await readTopic(kafka, res.claimsTopic, script.length + poison.length);
});

afterAll(async () => {
  await producer.disconnect();
  await res?.drop();
  await admin.disconnect();
  ddb.destroy();
  s3.destroy();
});

/** Delivers the log in batches of `size` per partition, as the mapping would. */
async function deliver(handler: ReturnType<typeof createClaimsHandler>, size: number) {
  for (const partition of new Set(log.map((r) => r.partition))) {
    const records = log.filter((r) => r.partition === partition);
    for (let i = 0; i < records.length; i += size) {
      const response = await handler(buildMskEvent(identity, records.slice(i, i + size)));
      expect(response.batchItemFailures).toEqual([]);
    }
  }
}

/** Every decision record of `topic`, as (requestId → the distinct values published). */
async function decisionsOf(topic: string, expectedRecords: number) {
  const records = await readTopic(kafka, topic, expectedRecords);
  const byRequest = new Map<string, Set<string>>();
  for (const r of records) {
    const text = r.value?.toString('utf8') ?? '';
    const d = JSON.parse(text) as Decision;
    expect(r.key?.toString()).toBe(`${d.namespace}:${d.value}`);
    expect(Object.fromEntries(r.headers.map(([k, v]) => [k, v.toString()]))).toMatchObject({
      'staysync-decision-id': `decision:${d.requestId}`,
    });
    byRequest.set(d.requestId, (byRequest.get(d.requestId) ?? new Set()).add(text));
  }
  return { records, byRequest };
}

describe('the claims handler on the local stack', () => {
  let first: Map<string, Set<string>>;

  it('decides first come, first served in offset order and quarantines poison', async () => {
    const stores = await res.stores();
    await deliver(createClaimsHandler(stores.env), 3);
    // 10 good requests (one a producer duplicate) → 10 decision records, 9 decisions
    const { byRequest } = await decisionsOf(stores.decisionsTopic, script.length);
    first = byRequest;
    const got = Object.fromEntries(
      [...byRequest].map(([id, texts]) => {
        expect(texts.size, `${id}: one distinct decision`).toBe(1);
        const d = JSON.parse([...texts][0] as string) as Decision;
        return [id, [d.granted, d.reason, d.holder]];
      }),
    );
    expect(got).toEqual(expected);
    const keys = await listAllKeys(s3, res.bucket);
    const reasons = await Promise.all(
      keys.map(async (Key) => {
        const out = await s3.send(new GetObjectCommand({ Bucket: res.bucket, Key }));
        return JSON.parse(await (out.Body?.transformToString() ?? '')).reason as string;
      }),
    );
    expect(reasons.sort()).toEqual(['invalid-json', 'key-mismatch']);
  });

  it('republishes the identical decision when a batch is redelivered after its decisions were stored', async () => {
    const stores = await res.stores();
    // a ledger that never finds a checkpoint: every delivery is a redelivery of stored work
    const amnesic = createClaimsHandler(stores.env, {
      ledger: (ledger) => ({
        ...ledger,
        readCheckpoint: async () => null,
        advanceCheckpoint: ledger.advanceCheckpoint.bind(ledger),
      }),
    });
    await deliver(amnesic, 4);
    await deliver(amnesic, 2);
    const { records, byRequest } = await decisionsOf(stores.decisionsTopic, 2 * script.length);
    expect(records).toHaveLength(2 * script.length);
    for (const [id, texts] of byRequest) {
      expect(texts, id).toEqual(first.get(id));
    }
  });

  it('gives identical decisions when the claims topic is replayed from offset 0 into empty stores', async () => {
    const stores = await res.stores('claims-replay');
    await deliver(createClaimsHandler(stores.env), 1);
    const { byRequest } = await decisionsOf(stores.decisionsTopic, script.length);
    expect(byRequest).toEqual(first);
  });
});
