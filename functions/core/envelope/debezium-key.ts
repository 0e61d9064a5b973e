import type { ParseContext } from './context.js';
import { isPlainObject, parseJson, poison, typeName, unwrapSchema } from './fields.js';

/**
 * The entity id of a Debezium record, from its Kafka key: a JSON struct of the primary-key
 * columns (`{"id":42}`, or `{"schema":…,"payload":{"id":42}}`).
 * - one column: its value as text (`42`);
 * - several: the values ordered by column name (so every serializer gives the same id),
 *   each with `%` and `:` percent-escaped, joined by `:` (`{"b":"x:y","a":1}` → `1:x%3Ay`).
 * Values must be strings, finite numbers or booleans.
 */
export function debeziumEntityKey(ctx: ParseContext): string {
  const { coords } = ctx;
  if (ctx.kafkaKey === null) {
    return poison(
      coords,
      'missing-kafka-key',
      'kafkaKey',
      'is required: Debezium keys records by primary key',
    );
  }
  const struct = unwrapSchema(parseJson(ctx.kafkaKey, coords, 'kafkaKey'));
  if (!isPlainObject(struct)) {
    return poison(
      coords,
      'invalid-field',
      'kafkaKey',
      `must be a JSON object of key columns, got ${typeName(struct)}`,
    );
  }
  const names = Object.keys(struct).sort();
  if (names.length === 0) return poison(coords, 'invalid-field', 'kafkaKey', 'has no key columns');
  const columns: Record<string, string> = {};
  for (const name of names) {
    const v = struct[name];
    if (typeof v === 'string') columns[name] = v;
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') {
      columns[name] = String(v);
    } else {
      return poison(
        coords,
        'invalid-field',
        `kafkaKey.${name}`,
        `must be a string, number or boolean, got ${typeName(v)}`,
      );
    }
  }
  const key = compositeEntityKey(columns);
  if (key.length === 0)
    return poison(coords, 'invalid-field', 'kafkaKey', 'gives an empty entity id');
  if (key.length > ctx.limits.maxEntityKeyLength) {
    return poison(
      coords,
      'invalid-field',
      'kafkaKey',
      `gives an id of ${key.length} characters, the limit is ${ctx.limits.maxEntityKeyLength}`,
    );
  }
  return key;
}

/**
 * The entity id of a key made of named columns (a Debezium key struct, a DynamoDB item's
 * key attributes): one column gives its value as is; several give their values ordered by
 * column name, each with `%` and `:` percent-escaped, joined by `:`. Two keys differ iff
 * their ids differ, whatever order the columns came in.
 */
export function compositeEntityKey(columns: Readonly<Record<string, string>>): string {
  const names = Object.keys(columns).sort();
  if (names.length === 1) return columns[names[0] as string] as string;
  return names.map((name) => escapePart(columns[name] as string)).join(':');
}

const escapePart = (part: string): string => part.replace(/%/g, '%25').replace(/:/g, '%3A');

/** Whether a Kafka key looks like a Debezium key struct (a JSON object). */
export const looksLikeKeyStruct = (kafkaKey: string | null): boolean =>
  kafkaKey?.trimStart().startsWith('{') === true;
