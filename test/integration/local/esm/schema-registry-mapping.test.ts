import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MskEvent } from '../../../../functions/core/msk-event.js';
import { createHandler } from '../../../../functions/sink-dynamodb/create-handler.js';
import { EventSourceMapping } from '../../../../local/esm/event-source-mapping.js';
import { inProcessInvoker } from '../../../../local/esm/in-process-invoker.js';
import { S3FailureDestination } from '../../../../local/esm/on-failure-destination.js';
import { ConfluentRecordDecoder } from '../../../../local/schema-registry/decoder.js';
import { confluentRegistryClient } from '../../../../local/schema-registry/registry-client.js';
import { frame } from '../../../../local/schema-registry/wire-format.js';
import {
  customerRow,
  debeziumEvent,
  debeziumSchemas,
  encodeConnectJson,
} from '../../../support/debezium-avro.js';
import { createTables, sinkEnv, viewStates } from '../../sink-dynamodb/support.js';
import { registryRun, until } from './registry-run.js';

// Debezium's usual setup end to end on the real stack: Avro key and value with a
// Confluent-compatible registry (the stack's), the Kafka mapping emulator decoding them
// to JSON as Lambda's schema registry integration does, the real DynamoDB sink behind it.
const {
  stack,
  run,
  registry,
  registryUrl,
  admin,
  producer,
  s3,
  dynamodb,
  failureBucket,
  quarantineBucket,
  drops,
} = registryRun();
const topic = `shop.public.customers-${run}`;

beforeAll(async () => {
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
});

interface StoredInvocationRecord {
  requestContext: { condition: string };
  payload: string;
}

async function destinationRecords(mappingId: string): Promise<StoredInvocationRecord[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: failureBucket, Prefix: `aws/lambda/${mappingId}/` }),
  );
  const out: StoredInvocationRecord[] = [];
  for (const { Key } of listed.Contents ?? []) {
    const object = await s3.send(new GetObjectCommand({ Bucket: failureBucket, Key }));
    out.push(JSON.parse((await object.Body?.transformToString()) ?? '{}'));
  }
  return out;
}

describe('a Debezium Avro topic through the mapping schema registry integration', () => {
  it('applies creates, updates, deletes, tombstones and an evolved schema; an unknown schema id and a corrupt payload go to the on-failure destination with their reasons and the partition moves on', async () => {
    const keyId = await registry.register(`${topic}-key`, debeziumSchemas.key);
    const v1 = await registry.register(`${topic}-value`, debeziumSchemas.valueV1);
    const key = (id: number) => encodeConnectJson(debeziumSchemas.key, keyId, { id });
    const value = (schema: string, id: number, json: unknown) =>
      encodeConnectJson(schema, id, json);

    const records: Array<{ key: Buffer; value: Buffer | null }> = [
      {
        key: key(1),
        value: value(
          debeziumSchemas.valueV1,
          v1,
          debeziumEvent('c', 100, null, customerRow(1, 'Ann')),
        ),
      },
      {
        key: key(2),
        value: value(
          debeziumSchemas.valueV1,
          v1,
          debeziumEvent('c', 101, null, customerRow(2, 'Bob')),
        ),
      },
      {
        key: key(1),
        value: value(
          debeziumSchemas.valueV1,
          v1,
          debeziumEvent('u', 102, customerRow(1, 'Ann'), customerRow(1, 'Anna')),
        ),
      },
      // offset 3: framed with a schema id the registry never gave
      { key: key(2), value: frame(987_654, Buffer.from([2, 4, 6])) },
      // offset 4: a known schema id over bytes that are not a v1 envelope
      { key: key(2), value: frame(v1, Buffer.from([0xff, 0xff, 0xff, 0xff])) },
    ];
    await producer.send({ topic, acks: -1, messages: records });

    const events: MskEvent[] = [];
    const tables = await createTables(dynamodb, 'sr');
    drops.push(tables.drop);
    const pipelineJson = JSON.stringify({
      topics: { [topic]: { format: 'debezium', versioning: 'source' } },
    });
    const handler = createHandler(sinkEnv(stack.vars, tables, quarantineBucket, pipelineJson));
    const mappingId = `sr-${run}`;
    const mapping = new EventSourceMapping({
      uuid: mappingId,
      functionName: `sr-${run}`,
      topics: [topic],
      brokers: stack.kafkaBrokers,
      invoker: inProcessInvoker(async (e: MskEvent) => {
        events.push(e);
        return handler(e);
      }),
      destination: new S3FailureDestination(s3, failureBucket, mappingId),
      schemaRegistry: {
        attributes: ['KEY', 'VALUE'],
        decoder: new ConfluentRecordDecoder(registry),
      },
      settings: { batchSize: 3, batchingWindowMs: 50, retryDelayMs: 20, maxRetryDelayMs: 100 },
    });
    let v2 = -1;
    await mapping.start();
    try {
      await until(async () => (mapping.stats.committed.get(`${topic}-0`) ?? 0) >= 5, 'offset 5');

      // Mid-stream, the table gains a column: Debezium registers v2 (BACKWARD compatible).
      v2 = await registry.register(`${topic}-value`, debeziumSchemas.valueV2);
      expect(v2).not.toBe(v1);
      await producer.send({
        topic,
        acks: -1,
        messages: [
          {
            key: key(2),
            value: value(
              debeziumSchemas.valueV2,
              v2,
              debeziumEvent(
                'u',
                103,
                customerRow(2, 'Bob', { phone: null }),
                customerRow(2, 'Bobby', { phone: '+33 1' }),
              ),
            ),
          },
          {
            key: key(1),
            value: value(
              debeziumSchemas.valueV1,
              v1,
              debeziumEvent('d', 104, customerRow(1, 'Anna'), null),
            ),
          },
          { key: key(1), value: null }, // Debezium's tombstone after the delete
          {
            key: key(3),
            value: value(
              debeziumSchemas.valueV2,
              v2,
              debeziumEvent('c', 105, null, customerRow(3, 'Cy', { phone: '+1' })),
            ),
          },
          // offset 9: valid Avro, but a truncate cannot be applied per key: the sink's poison
          {
            key: key(3),
            value: value(debeziumSchemas.valueV2, v2, debeziumEvent('t', 106, null, null)),
          },
        ],
      });
      await until(async () => (mapping.stats.committed.get(`${topic}-0`) ?? 0) >= 10, 'offset 10');
    } finally {
      await mapping.stop();
    }

    const view = await viewStates(dynamodb, tables.view);
    expect(view.get('customers#1')).toMatchObject({ deleted: true, sourceVersion: 104 });
    expect(view.get('customers#2')).toMatchObject({
      deleted: false,
      sourceVersion: 103,
      data: { id: 2, name: 'Bobby', phone: '+33 1', balance: 'AeJA' },
    });
    expect(view.get('customers#3')?.data).toMatchObject({ name: 'Cy', phone: '+1' });

    // The function saw decoded JSON with the schema metadata, never offsets 3 and 4.
    const delivered = events.flatMap((e) => Object.values(e.records).flat());
    expect(delivered.map((r) => r.offset)).toEqual([0, 1, 2, 5, 6, 7, 8, 9]);
    const evolved = delivered.find((r) => r.offset === 5);
    expect(evolved?.valueSchemaMetadata).toEqual({ dataFormat: 'AVRO', schemaId: String(v2) });
    expect(evolved?.keySchemaMetadata).toEqual({ dataFormat: 'AVRO', schemaId: String(keyId) });
    expect(JSON.parse(Buffer.from(evolved?.key ?? '', 'base64').toString())).toEqual({ id: 2 });
    const tombstone = delivered.find((r) => r.offset === 7);
    expect(tombstone?.value).toBeNull();
    expect(tombstone?.valueSchemaMetadata).toBeUndefined();

    const failures = await destinationRecords(mappingId);
    const byCondition = Object.fromEntries(
      failures.map((f) => [
        f.requestContext.condition,
        Object.values((JSON.parse(f.payload) as MskEvent).records)
          .flat()
          .map((r) => r.offset),
      ]),
    );
    expect(byCondition).toEqual({ SCHEMA_NOT_FOUND: [3], DESERIALIZATION_ERROR: [4] });
    expect(mapping.stats.recordsRejected).toBe(2);

    // The registry kept both versions of the value subject, over its REST API.
    const versions = await fetch(`${registryUrl}/subjects/${topic}-value/versions`);
    expect(await versions.json()).toEqual([1, 2]);
    const latest = await fetch(`${registryUrl}/subjects/${topic}-value/versions/latest`);
    expect(await latest.json()).toMatchObject({ version: 2, id: v2 });

    // The sink's poison keeps the schemas it was decoded with in its quarantine record.
    const quarantined = await s3.send(new ListObjectsV2Command({ Bucket: quarantineBucket }));
    const entries = await Promise.all(
      (quarantined.Contents ?? []).map(async ({ Key }) => {
        const object = await s3.send(new GetObjectCommand({ Bucket: quarantineBucket, Key }));
        return JSON.parse((await object.Body?.transformToString()) ?? '{}');
      }),
    );
    expect(entries.filter((e) => e.topic === topic)).toEqual([
      expect.objectContaining({
        offset: 9,
        reason: 'unsupported-op',
        schema: {
          key: { dataFormat: 'AVRO', schemaId: String(keyId) },
          value: { dataFormat: 'AVRO', schemaId: String(v2) },
        },
      }),
    ]);
  });

  it('waits while the registry cannot be reached, delivering and committing nothing, and still stops', async () => {
    const waitTopic = `registry-down-${run}`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: waitTopic, numPartitions: 1 }],
    });
    const v1 = await registry.register(`${waitTopic}-value`, debeziumSchemas.valueV1);
    await producer.send({
      topic: waitTopic,
      acks: -1,
      messages: [
        {
          value: encodeConnectJson(
            debeziumSchemas.valueV1,
            v1,
            debeziumEvent('c', 1, null, customerRow(1, 'A')),
          ),
        },
      ],
    });
    const lines: string[] = [];
    const delivered: MskEvent[] = [];
    const mapping = new EventSourceMapping({
      functionName: `sr-down-${run}`,
      topics: [waitTopic],
      brokers: stack.kafkaBrokers,
      invoker: inProcessInvoker(async (e: MskEvent) => {
        delivered.push(e);
        return { batchItemFailures: [] };
      }),
      // Nothing listens on port 1: every lookup fails to connect.
      schemaRegistry: {
        attributes: ['VALUE'],
        decoder: new ConfluentRecordDecoder(confluentRegistryClient('http://127.0.0.1:1')),
      },
      settings: { batchSize: 10, batchingWindowMs: 10 },
      log: (line) => lines.push(line),
    });
    await mapping.start();
    await until(async () => lines.filter((l) => l.includes('(retrying)')).length >= 2, 'retries');
    await mapping.stop();
    expect(delivered).toEqual([]);
    expect(mapping.stats.committed.size).toBe(0);
    expect(mapping.stats.recordsRejected).toBe(0);
  });
});
