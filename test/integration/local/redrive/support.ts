import { encodeMskRecord } from '../../../../functions/core/msk-encode.js';
import type { MskEventRecord } from '../../../../functions/core/msk-event.js';

/** A record of partition 0 of `topic` as Lambda delivers it. */
export const record = (topic: string, offset: number, key: string, value: string): MskEventRecord =>
  encodeMskRecord({
    topic,
    partition: 0,
    offset,
    timestamp: 1_700_000_000_000 + offset,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(key),
    value: Buffer.from(value),
    headers: [],
  });

/** A customer upsert envelope, without a version when `version` is undefined. */
export const envelope = (key: string, data: object, version?: number) =>
  JSON.stringify({
    id: `e-${key}-${JSON.stringify(data)}`,
    entity: 'customer',
    key,
    op: 'upsert',
    ...(version === undefined ? {} : { version }),
    ts: '2026-12-01T10:00:00Z',
    data,
  });

/**
 * The live sink's batch before the fix, on a source-versioned topic: offset 0 is
 * applied, 1 and 2 carry no version (missing-version), 3 is not JSON (invalid-json).
 */
export const beforeTheFix = (topic: string): MskEventRecord[] => [
  record(topic, 0, 'customer:1', envelope('1', { name: 'Ann' }, 1)),
  record(topic, 1, 'customer:2', envelope('2', { name: 'Bo' })),
  record(topic, 2, 'customer:2', envelope('2', { name: 'Bob' })),
  record(topic, 3, 'customer:3', '{not json'),
];
