import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../../functions/contract/pipeline.js';
import {
  buildRecord,
  type ChangeInput,
  PublishError,
} from '../../../../local/publisher/envelope.js';
import { createVersionClock } from '../../../../local/publisher/version-clock.js';

const options = { clock: createVersionClock(() => 1_800_000_000_000), topic: 'customers' };
const build = (input: ChangeInput, extra: Partial<typeof options> = {}) =>
  buildRecord(input, 0, { ...options, ...extra });
const errorOf = (input: ChangeInput): PublishError => {
  try {
    build(input);
  } catch (err) {
    if (err instanceof PublishError) return err;
    throw err;
  }
  throw new Error('no error');
};

describe('the publisher envelope', () => {
  it('keys the record by entity and key and fills id, version and ts', () => {
    const record = build({ entity: 'customer', key: '42', op: 'upsert', data: { name: 'Zoë' } });
    expect(record.kafkaKey).toBe('customer:42');
    expect(record.envelope).toMatchObject({
      entity: 'customer',
      key: '42',
      op: 'upsert',
      data: { name: 'Zoë' },
    });
    expect(record.envelope.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.envelope.version).toBe(1_800_000_000_000_000);
    expect(JSON.parse(record.value.toString('utf8'))).toEqual(record.envelope);
  });

  it('keeps an explicit id, version and timestamp', () => {
    const record = build({
      entity: 'order',
      key: 'o-1',
      op: 'patch',
      data: { status: 'paid' },
      id: 'evt-1',
      version: 7,
      ts: new Date('2026-11-26T10:00:00Z'),
    });
    expect(record.envelope).toMatchObject({
      id: 'evt-1',
      version: 7,
      ts: '2026-11-26T10:00:00.000Z',
    });
  });

  it('versions changes of one process strictly upward even within one millisecond', () => {
    const clock = createVersionClock(() => 5);
    expect([clock.next(), clock.next(), clock.next()]).toEqual([5000, 5001, 5002]);
  });

  it('refuses what the sinks would quarantine, naming the field', () => {
    expect(errorOf({ entity: 'customer', key: '1', op: 'upsert' })).toMatchObject({
      reason: 'missing-field',
      field: 'data',
    });
    expect(
      errorOf({ entity: 'customer', key: '1', op: 'upsert', data: {}, version: -1 }).field,
    ).toBe('version');
    expect(errorOf({ entity: 'bad entity', key: '1', op: 'delete' }).field).toBe('entity');
    expect(errorOf({ entity: 'customer', key: '', op: 'delete' }).field).toBe('key');
    expect(errorOf({ entity: 'customer', key: '1', op: 'merge' as 'upsert', data: {} }).field).toBe(
      'op',
    );
    expect(errorOf({ entity: 'customer', key: '1', op: 'delete', data: {} }).field).toBe('data');
    expect(
      errorOf({ entity: 'customer', key: '1', op: 'upsert', data: {}, ts: 'yesterday' }).field,
    ).toBe('ts');
    expect(() => build({ entity: 'customer', key: '1', op: 'upsert', data: {} })).not.toThrow();
  });

  it('refuses a value larger than the sinks accept', () => {
    const err = errorOf({
      entity: 'customer',
      key: '1',
      op: 'upsert',
      data: { blob: 'x'.repeat(1_100_000) },
    });
    expect(err).toMatchObject({ reason: 'too-large', field: 'data' });
  });

  it('validates against the topic settings the sinks use', () => {
    const pipeline = parsePipelineConfig(
      JSON.stringify({ topics: { customers: { format: 'debezium' } } }),
    );
    expect(() =>
      build({ entity: 'customer', key: '1', op: 'upsert', data: {} }, { pipeline } as never),
    ).toThrow(PublishError);
  });
});
