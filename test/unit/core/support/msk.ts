import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MskEvent, MskEventRecord } from '../../../../functions/core/msk-event.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/msk/', import.meta.url));

/** A fresh deep copy of a fixture from test/fixtures/msk (tests may mutate it). */
export const loadMskFixture = (name: string): MskEvent =>
  JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8')) as MskEvent;

export const b64 = (data: string | Buffer): string =>
  (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');

export interface RecordSpec {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset: number;
  /** text (UTF-8 encoded), raw bytes, or null/undefined for no key */
  readonly key?: string | Buffer | null;
  /** an object (JSON encoded), text, raw bytes, or null for a tombstone */
  readonly value?: object | string | Buffer | null;
  readonly headers?: MskEventRecord['headers'];
  readonly timestamp?: number;
}

/** One record shaped exactly as Lambda delivers it. */
export function mskRecord(spec: RecordSpec): MskEventRecord {
  const { value } = spec;
  const encoded =
    value === null || value === undefined
      ? null
      : Buffer.isBuffer(value) || typeof value === 'string'
        ? b64(value)
        : b64(JSON.stringify(value));
  return {
    topic: spec.topic ?? 'customers',
    partition: spec.partition ?? 0,
    offset: spec.offset,
    timestamp: spec.timestamp ?? 1_795_687_200_000 + spec.offset,
    timestampType: 'CREATE_TIME',
    key: spec.key === null || spec.key === undefined ? null : b64(spec.key),
    value: encoded,
    headers: spec.headers ?? [],
  };
}

/** An MSK event grouping `records` by `<topic>-<partition>` as Lambda does. */
export function mskEvent(records: readonly MskEventRecord[], eventSource = 'aws:kafka'): MskEvent {
  const groups: Record<string, MskEventRecord[]> = {};
  for (const r of records) {
    const id = `${r.topic}-${r.partition}`;
    let list = groups[id];
    if (list === undefined) {
      list = [];
      groups[id] = list;
    }
    list.push(r);
  }
  return {
    eventSource,
    eventSourceArn:
      'arn:aws:kafka:eu-west-1:123456789012:cluster/staysync/11111111-2222-3333-4444-555555555555-1',
    records: groups,
  };
}

/** A valid native envelope for `customer:<key>`. */
export const envelope = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'evt-1',
  entity: 'customer',
  key: '42',
  op: 'upsert',
  version: 1,
  ts: '2026-11-26T10:00:00Z',
  data: { name: 'Zoë' },
  ...over,
});
