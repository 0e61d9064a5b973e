import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../../functions/sink-dynamodb/create-handler.js';
import { EventSourceMapping } from '../../../../local/esm/event-source-mapping.js';
import { inProcessInvoker } from '../../../../local/esm/in-process-invoker.js';
import { avroValueWriter } from '../../../../local/publisher/avro.js';
import { createPublisher } from '../../../../local/publisher/publisher.js';
import { ConfluentRecordDecoder } from '../../../../local/schema-registry/decoder.js';
import { encodeMessageIndexes } from '../../../../local/schema-registry/protobuf-json.js';
import { RegistryRequestError } from '../../../../local/schema-registry/registry-client.js';
import { frame } from '../../../../local/schema-registry/wire-format.js';
import { createTables, sinkEnv, viewStates } from '../../sink-dynamodb/support.js';
import { registryRun, until } from './registry-run.js';

// The other formats through the mapping's schema registry step on the real stack: the
// publisher's Avro mode, Protobuf envelopes, and the registry's compatibility refusal.
const { stack, run, registry, admin, producer, dynamodb, quarantineBucket, drops } = registryRun();

describe('the schema registry step with other producers and formats', () => {
  it("carries the publisher's Avro mode (native envelopes, VALUE validated) into the view", async () => {
    const nativeTopic = `customers-avro-${run}`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: nativeTopic, numPartitions: 2 }],
    });
    const publisher = await createPublisher({
      brokers: stack.kafkaBrokers,
      avro: avroValueWriter(registry),
    });
    try {
      await publisher.publish(nativeTopic, [
        {
          entity: 'customer',
          key: '1',
          op: 'upsert',
          version: 1,
          data: { name: 'Zoë', visits: 3 },
        },
        { entity: 'customer', key: '2', op: 'upsert', version: 1, data: { name: 'Al', vip: true } },
        { entity: 'customer', key: '1', op: 'patch', version: 2, data: { visits: 4 } },
        { entity: 'customer', key: '2', op: 'delete', version: 2 },
      ]);
    } finally {
      await publisher.close();
    }
    const tables = await createTables(dynamodb, 'sr-native');
    drops.push(tables.drop);
    const handler = createHandler(
      sinkEnv(stack.vars, tables, quarantineBucket, JSON.stringify({ topics: {} })),
    );
    const mapping = new EventSourceMapping({
      functionName: `sr-native-${run}`,
      topics: [nativeTopic],
      brokers: stack.kafkaBrokers,
      invoker: inProcessInvoker(handler),
      schemaRegistry: { attributes: ['VALUE'], decoder: new ConfluentRecordDecoder(registry) },
      settings: { batchSize: 10, batchingWindowMs: 50 },
    });
    await mapping.start();
    try {
      // 4 changes + the tombstone after the delete
      await until(
        async () => [...mapping.stats.committed.values()].reduce((a, b) => a + b, 0) >= 5,
        'all 5 records',
      );
    } finally {
      await mapping.stop();
    }
    const view = await viewStates(dynamodb, tables.view);
    expect(view.get('customer#1')?.data).toEqual({ name: 'Zoë', visits: 4 });
    expect(view.get('customer#2')?.deleted).toBe(true);
    expect(mapping.stats.recordsRejected).toBe(0);
  });

  it('decodes Confluent-framed Protobuf envelopes into the view', async () => {
    const protoTopic = `customers-proto-${run}`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: protoTopic, numPartitions: 1 }],
    });
    const proto = `syntax = "proto3";
package staysync;
message Envelope {
  string id = 1; string entity = 2; string key = 3; string op = 4;
  uint32 version = 5; string ts = 6; map<string, string> data = 7;
}`;
    const id = await registry.register(`${protoTopic}-value`, proto, 'PROTOBUF');
    const envelope = protobuf.parse(proto).root.lookupType('staysync.Envelope');
    const value = (fields: Record<string, unknown>) =>
      frame(
        id,
        Buffer.concat([
          encodeMessageIndexes([0]),
          envelope
            .encode(envelope.create({ entity: 'customer', ts: '2026-12-03T10:00:00Z', ...fields }))
            .finish(),
        ]),
      );
    await producer.send({
      topic: protoTopic,
      acks: -1,
      messages: [
        {
          key: 'customer:1',
          value: value({ id: 'e1', key: '1', op: 'upsert', version: 1, data: { name: 'Zoë' } }),
        },
        {
          key: 'customer:1',
          value: value({ id: 'e2', key: '1', op: 'patch', version: 2, data: { tier: 'gold' } }),
        },
        {
          key: 'customer:2',
          value: value({ id: 'e3', key: '2', op: 'upsert', version: 1, data: { name: 'Al' } }),
        },
        { key: 'customer:2', value: value({ id: 'e4', key: '2', op: 'delete', version: 2 }) },
      ],
    });
    const tables = await createTables(dynamodb, 'sr-proto');
    drops.push(tables.drop);
    const handler = createHandler(
      sinkEnv(stack.vars, tables, quarantineBucket, JSON.stringify({ topics: {} })),
    );
    const mapping = new EventSourceMapping({
      functionName: `sr-proto-${run}`,
      topics: [protoTopic],
      brokers: stack.kafkaBrokers,
      invoker: inProcessInvoker(handler),
      schemaRegistry: { attributes: ['VALUE'], decoder: new ConfluentRecordDecoder(registry) },
      settings: { batchSize: 10, batchingWindowMs: 50 },
    });
    await mapping.start();
    try {
      await until(
        async () => (mapping.stats.committed.get(`${protoTopic}-0`) ?? 0) >= 4,
        'offset 4',
      );
    } finally {
      await mapping.stop();
    }
    const view = await viewStates(dynamodb, tables.view);
    expect(view.get('customer#1')?.data).toEqual({ name: 'Zoë', tier: 'gold' });
    expect(view.get('customer#2')?.deleted).toBe(true);
  });

  it('refuses an incompatible schema (a field added without a default) with 409', async () => {
    const subject = `incompatible-${run}-value`;
    const record = (fields: object[]) => JSON.stringify({ type: 'record', name: 'Row', fields });
    await registry.register(subject, record([{ name: 'a', type: 'int' }]));
    await expect(
      registry.register(
        subject,
        record([
          { name: 'a', type: 'int' },
          { name: 'b', type: 'string' },
        ]),
      ),
    ).rejects.toEqual(expect.objectContaining({ status: 409 }));
    await expect(
      registry.register(
        subject,
        record([
          { name: 'a', type: 'int' },
          { name: 'b', type: 'string' },
        ]),
      ),
    ).rejects.toBeInstanceOf(RegistryRequestError);
  });
});
