import avro from 'avsc';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { avroTypeForJson, avroValueToJson } from '../../../../local/schema-registry/avro-json.js';
import { ConfluentRecordDecoder } from '../../../../local/schema-registry/decoder.js';
import { encodeMessageIndexes } from '../../../../local/schema-registry/protobuf-json.js';
import { frame, unframe } from '../../../../local/schema-registry/wire-format.js';
import { inMemoryRegistry } from '../../../support/schema-registry.js';

const SCHEMA = JSON.stringify({
  type: 'record',
  name: 'R',
  fields: [
    { name: 'n', type: ['null', 'long', 'double', 'string'] },
    { name: 'b', type: 'bytes' },
    { name: 'm', type: { type: 'map', values: ['null', 'boolean', 'string'] } },
    { name: 'e', type: { type: 'enum', name: 'E', symbols: ['X', 'Y'] } },
    { name: 'a', type: { type: 'array', items: ['null', 'int'] } },
  ],
});

describe('the Confluent wire format', () => {
  it('frames with magic byte 0 and the big-endian schema id', () => {
    const framed = frame(258, Buffer.from([7, 8]));
    expect([...framed]).toEqual([0, 0, 0, 1, 2, 7, 8]);
    expect(unframe(framed)).toEqual({ ok: true, schemaId: 258, payload: Buffer.from([7, 8]) });
  });

  it('rejects a short buffer and another magic byte', () => {
    expect(unframe(Buffer.from([0, 0, 1]))).toMatchObject({ ok: false });
    expect(unframe(Buffer.from('{"a":1}'))).toMatchObject({
      ok: false,
      message: /magic byte is 123/,
    });
  });
});

describe('Avro to JSON as the mapping delivers it', () => {
  it('unwraps every union (ambiguous ones too), base64s bytes and keeps maps, enums, arrays', () => {
    const type = avroTypeForJson(SCHEMA);
    const value = type.fromBuffer(
      type.toBuffer({
        n: { double: 1.5 },
        b: Buffer.from([1, 226, 64]),
        m: { x: { boolean: true }, y: null, z: { string: 'é' } },
        e: 'Y',
        a: [{ int: 3 }, null],
      }),
    );
    expect(avroValueToJson(type, value)).toEqual({
      n: 1.5,
      b: 'AeJA',
      m: { x: true, y: null, z: 'é' },
      e: 'Y',
      a: [3, null],
    });
  });
});

describe('ConfluentRecordDecoder', () => {
  async function setup() {
    const registry = inMemoryRegistry();
    const id = await registry.register('t-value', SCHEMA);
    const writer = avro.Type.forSchema(JSON.parse(SCHEMA), { wrapUnions: true });
    const payload = writer.toBuffer({
      n: { long: 5 },
      b: Buffer.alloc(0),
      m: {},
      e: 'X',
      a: [],
    });
    return { decoder: new ConfluentRecordDecoder(registry), id, payload, registry };
  }

  it('delivers JSON text and the schema metadata', async () => {
    const { decoder, id, payload } = await setup();
    const decoded = await decoder.decode(frame(id, payload));
    expect(decoded).toEqual({
      ok: true,
      json: Buffer.from('{"n":5,"b":"","m":{},"e":"X","a":[]}'),
      metadata: { dataFormat: 'AVRO', schemaId: String(id) },
    });
  });

  it('answers SCHEMA_NOT_FOUND for an id the registry does not have, and finds it once registered', async () => {
    const { decoder, payload, registry } = await setup();
    expect(await decoder.decode(frame(2, payload))).toMatchObject({
      ok: false,
      reason: 'SCHEMA_NOT_FOUND',
    });
    const other = await registry.register('u-value', JSON.stringify({ type: 'long' }));
    expect(other).toBe(2);
    expect(await decoder.decode(frame(2, Buffer.from([4])))).toMatchObject({ ok: true });
  });

  it('answers DESERIALIZATION_ERROR for unframed, truncated and over-long data', async () => {
    const { decoder, id, payload } = await setup();
    for (const bytes of [
      Buffer.from('{"n":5}'),
      frame(id, payload.subarray(0, 1)),
      frame(id, Buffer.concat([payload, Buffer.from([0])])),
    ]) {
      expect(await decoder.decode(bytes)).toMatchObject({
        ok: false,
        reason: 'DESERIALIZATION_ERROR',
      });
    }
  });
});

describe('Confluent-framed Protobuf', () => {
  const PROTO = `syntax = "proto3";
package shop;
message Customer {
  int32 id = 1;
  string full_name = 2;
  int64 balance_cents = 3;
  bytes avatar = 4;
  enum Tier { BRONZE = 0; GOLD = 1; }
  Tier tier = 5;
  message Address { string city = 1; }
  Address address = 6;
}
message Order { string id = 1; }`;

  async function setup() {
    const registry = inMemoryRegistry();
    const id = await registry.register('shop-value', PROTO, 'PROTOBUF');
    const root = protobuf.parse(PROTO).root;
    return { registry, id, decoder: new ConfluentRecordDecoder(registry), root };
  }

  const framed = (id: number, indexes: number[], payload: Uint8Array) =>
    frame(id, Buffer.concat([encodeMessageIndexes(indexes), payload]));

  it('decodes the message the indexes name to Protobuf JSON with its metadata', async () => {
    const { id, decoder, root } = await setup();
    const customer = root.lookupType('shop.Customer');
    const bytes = customer
      .encode(
        customer.create({
          id: 42,
          fullName: 'Zoë',
          balanceCents: 123456789012,
          avatar: Buffer.from([1, 226, 64]),
          tier: 1,
          address: { city: 'Lyon' },
        }),
      )
      .finish();
    const decoded = await decoder.decode(framed(id, [0], bytes));
    expect(decoded.ok && JSON.parse(decoded.json.toString())).toEqual({
      id: 42,
      fullName: 'Zoë',
      balanceCents: '123456789012',
      avatar: 'AeJA',
      tier: 'GOLD',
      address: { city: 'Lyon' },
    });
    expect(decoded.ok && decoded.metadata).toEqual({
      dataFormat: 'PROTOBUF',
      schemaId: String(id),
    });
    const order = root.lookupType('shop.Order');
    const second = await decoder.decode(
      framed(id, [1], order.encode(order.create({ id: 'o-1' })).finish()),
    );
    expect(second.ok && JSON.parse(second.json.toString())).toEqual({ id: 'o-1' });
    const nested = root.lookupType('shop.Customer.Address');
    const third = await decoder.decode(
      framed(id, [0, 0], nested.encode(nested.create({ city: 'Nice' })).finish()),
    );
    expect(third.ok && JSON.parse(third.json.toString())).toEqual({ city: 'Nice' });
  });

  it('answers DESERIALIZATION_ERROR for indexes naming no message and for bytes that are not the message', async () => {
    const { id, decoder } = await setup();
    expect(await decoder.decode(framed(id, [5], Buffer.alloc(0)))).toMatchObject({
      ok: false,
      reason: 'DESERIALIZATION_ERROR',
      message: /name no message/,
    });
    expect(await decoder.decode(framed(id, [0], Buffer.from([0x0a, 0xff])))).toMatchObject({
      ok: false,
      reason: 'DESERIALIZATION_ERROR',
    });
  });
});
