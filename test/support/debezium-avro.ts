/**
 * Debezium's Avro setup for tests: the Postgres connector's key and envelope schemas for
 * `shop.public.customers` (test/fixtures/avro), and an encoder that writes a change event
 * given in the JSON converter's payload form as Confluent-framed Avro, the way Debezium
 * with Confluent's AvroConverter does. Independent of local/schema-registry's decoder: it
 * only shares the wire format's definition (magic byte, 4-byte id).
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { frame } from '../../local/schema-registry/wire-format.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/avro/${name}`, import.meta.url), 'utf8');

export const debeziumSchemas = {
  key: fixture('debezium-customers-key.avsc'),
  valueV1: fixture('debezium-customers-value-v1.avsc'),
  valueV2: fixture('debezium-customers-value-v2.avsc'),
} as const;

/** The JSON converter's rendering of one update (with its `{schema, payload}` wrappers). */
export const jsonConverterUpdate = (): {
  key: unknown;
  value: { payload: Record<string, unknown> };
} => JSON.parse(fixture('debezium-customers-update.json-converter.json'));

interface TypeShape {
  readonly typeName: string;
  readonly types?: readonly avro.Type[];
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly type: avro.Type }>;
  readonly itemsType?: avro.Type;
  readonly valuesType?: avro.Type;
}

/** JSON converter data (base64 bytes, plain unions) to avsc's value for `type`. */
function fromConnectJson(type: avro.Type, json: unknown): unknown {
  const t = type as unknown as TypeShape;
  switch (t.typeName) {
    case 'union:unwrapped': {
      if (json === null || json === undefined) return null;
      const branch = t.types?.find((b) => (b as unknown as TypeShape).typeName !== 'null');
      return fromConnectJson(branch as avro.Type, json);
    }
    case 'record':
      return Object.fromEntries(
        (t.fields ?? []).map((f) => [
          f.name,
          fromConnectJson(f.type, (json as Record<string, unknown>)[f.name]),
        ]),
      );
    case 'bytes':
      return Buffer.from(json as string, 'base64');
    default:
      return json;
  }
}

/** Confluent-framed Avro of `json` (JSON converter form) written with `schema` under `id`. */
export function encodeConnectJson(schema: string, id: number, json: unknown): Buffer {
  // Debezium's unions are all ["null", X]: unambiguous, so avsc takes plain values.
  const type = avro.Type.forSchema(JSON.parse(schema), { wrapUnions: false });
  return frame(id, type.toBuffer(fromConnectJson(type, json)));
}

/** `source` of a Postgres change event at `lsn` (Debezium 2.7's fields). */
export const debeziumSource = (lsn: number, tsMs: number) => ({
  version: '2.7.0.Final',
  connector: 'postgresql',
  name: 'shop',
  ts_ms: tsMs,
  snapshot: 'false',
  db: 'shop',
  sequence: null,
  schema: 'public',
  table: 'customers',
  txId: lsn,
  lsn,
  xmin: null,
});

/** A `shop.public.customers` row in the JSON converter's form. */
export const customerRow = (id: number, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  name,
  email: `c${id}@example.com`,
  balance: 'AeJA',
  created_at: 1795687200123456,
  updated_on: 1795687200123,
  ...extra,
});

/** A change event (`c`, `u`, `d`, `t`) at `lsn`, its timestamps derived from it. */
export const debeziumEvent = (op: string, lsn: number, before: unknown, after: unknown) => ({
  before,
  after,
  source: debeziumSource(lsn, 1795687200000 + lsn),
  op,
  ts_ms: 1795687200000 + lsn,
  transaction: null,
});
