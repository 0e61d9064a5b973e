import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Conversion,
  convert,
  MAX_APPLICATION_VERSION,
} from '../../../functions/relay-dynamodb-streams/convert.js';
import type { CdcSource, OutboxSource } from '../../../functions/relay-dynamodb-streams/source.js';
import { cdcCustomers, streamRecord, TTL_IDENTITY } from './stream-records.js';

const cdc: CdcSource = cdcCustomers;
const outbox: OutboxSource = {
  mode: 'outbox',
  table: 'Shop',
  topic: 'orders',
  envelopeAttribute: 'envelope',
};

const item = (pk: string, v: number, extra: Record<string, unknown> = {}) => ({
  pk: { S: pk },
  v: { N: String(v) },
  ...extra,
});

function published(c: Conversion) {
  if (c.kind !== 'publish') throw new Error(`expected publish, got ${JSON.stringify(c)}`);
  return { ...c.message, envelope: JSON.parse(c.message.value) as Record<string, unknown> };
}

function poisonOf(c: Conversion) {
  if (c.kind !== 'poison') throw new Error(`expected poison, got ${JSON.stringify(c)}`);
  return { reason: c.error.reason, message: c.error.message };
}

describe('table CDC: a stream record becomes a native envelope', () => {
  it('publishes an INSERT as an upsert of the new image at twice the item version', () => {
    const record = streamRecord('INSERT', { newImage: item('42', 3, { name: { S: 'Ada' } }) });

    const out = published(convert(record, cdc));

    expect(out.topic).toBe('customers');
    expect(out.key).toBe('customer:42');
    expect(out.envelope).toEqual({
      id: 'ddb:Shop/customer/42@6',
      entity: 'customer',
      key: '42',
      op: 'upsert',
      version: 6,
      ts: '2025-12-01T00:00:00.000Z',
      data: { pk: '42', v: 3, name: 'Ada' },
    });
    expect(out.headers).toMatchObject({
      'staysync-source': 'dynamodb-streams',
      'staysync-sequence-number': record.dynamodb.SequenceNumber,
      'staysync-event-name': 'INSERT',
    });
  });

  it('publishes a REMOVE as a delete one above the removed version, keyed by the old image', () => {
    const out = published(convert(streamRecord('REMOVE', { oldImage: item('42', 3) }), cdc));

    expect(out.key).toBe('customer:42');
    expect(out.envelope).toMatchObject({ op: 'delete', version: 7, id: 'ddb:Shop/customer/42@7' });
    expect(out.envelope).not.toHaveProperty('data');
  });

  it('relays a TTL expiry as a delete, or skips it when told to ignore them', () => {
    const expired = streamRecord(
      'REMOVE',
      { oldImage: item('9', 1) },
      { userIdentity: TTL_IDENTITY },
    );
    const byUser = streamRecord('REMOVE', { oldImage: item('9', 1) });

    expect(published(convert(expired, cdc)).envelope.op).toBe('delete');
    expect(convert(expired, { ...cdc, ttlDeletes: 'ignore' })).toEqual({
      kind: 'skip',
      why: 'ttl-expiry-ignored',
    });
    expect(published(convert(byUser, { ...cdc, ttlDeletes: 'ignore' })).envelope.op).toBe('delete');
  });

  it('joins a composite key by attribute name, escaping the separator', () => {
    const source = { ...cdc, keyAttributes: ['sku', 'tenant'] };
    const record = streamRecord('INSERT', {
      newImage: { tenant: { N: '7' }, sku: { S: 'a:b' }, v: { N: '1' } },
    });

    expect(published(convert(record, source)).key).toBe('customer:a%3Ab:7');
  });

  it('quarantines a record it cannot turn into a change, naming the field', () => {
    expect(poisonOf(convert(streamRecord('INSERT', { newImage: { v: { N: '1' } } }), cdc))).toEqual(
      {
        reason: 'missing-key-attribute',
        message: expect.stringMatching(/^dynamodb\.NewImage\.pk: /),
      },
    );
    expect(
      poisonOf(convert(streamRecord('INSERT', { newImage: { pk: { S: 'a' } } }), cdc)).reason,
    ).toBe('missing-version');
    expect(poisonOf(convert(streamRecord('MODIFY', { newImage: item('a', -1) }), cdc)).reason).toBe(
      'invalid-version',
    );
    expect(
      poisonOf(
        convert(streamRecord('MODIFY', { newImage: item('a', MAX_APPLICATION_VERSION + 1) }), cdc),
      ).reason,
    ).toBe('invalid-version');
    expect(
      poisonOf(convert(streamRecord('MODIFY', { newImage: item('a', 1.5) }), cdc)).reason,
    ).toBe('invalid-version');
    expect(
      poisonOf(convert(streamRecord('INSERT', { keys: { pk: { S: 'a' } } }), cdc)).reason,
    ).toBe('missing-image');
    expect(
      poisonOf(
        convert(streamRecord('INSERT', { newImage: item('a', 1, { bad: { Q: '1' } }) }), cdc),
      ),
    ).toEqual({ reason: 'invalid-image', message: expect.stringMatching(/NewImage\.bad/) });
  });

  it('gives every write, delete and re-creation of an item a higher version than the one before', () => {
    // A history of one item as the application makes it: writes raise its version by at
    // least one; a delete removes it; a re-creation continues above the deleted version.
    const step = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), raise: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('delete' as const), raise: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        let version = 0;
        let exists = false;
        const versions: number[] = [];
        for (const s of steps) {
          if (s.kind === 'delete') {
            if (!exists) continue;
            const out = convert(streamRecord('REMOVE', { oldImage: item('k', version) }), cdc);
            versions.push(published(out).envelope.version as number);
            exists = false;
          } else {
            version += s.raise;
            const out = convert(
              streamRecord(exists ? 'MODIFY' : 'INSERT', { newImage: item('k', version) }),
              cdc,
            );
            versions.push(published(out).envelope.version as number);
            exists = true;
          }
        }
        for (let i = 1; i < versions.length; i++) {
          expect(versions[i]).toBeGreaterThan(versions[i - 1] as number);
        }
      }),
      { seed: Number(process.env.FC_SEED ?? 7), numRuns: 300 },
    );
  });
});

describe('outbox: the envelope an application wrote in its transaction, as written', () => {
  const envelope = {
    id: 'order-7-v2',
    entity: 'order',
    key: '7',
    op: 'upsert',
    version: 2,
    ts: '2026-12-01T10:00:00Z',
    data: { status: 'paid' },
  };

  it('publishes an outbox item’s envelope text unchanged, keyed by its entity and key', () => {
    const text = JSON.stringify(envelope);
    const record = streamRecord('INSERT', {
      newImage: { pk: { S: 'outbox#1' }, envelope: { S: text } },
    });

    const out = published(convert(record, outbox));

    expect(out.value).toBe(text);
    expect(out.key).toBe('order:7');
    expect(out.topic).toBe('orders');
  });

  it('publishes an envelope stored as a map as its JSON', () => {
    const record = streamRecord('INSERT', {
      newImage: {
        pk: { S: 'outbox#2' },
        envelope: {
          M: {
            id: { S: 'o-1' },
            entity: { S: 'order' },
            key: { S: '8' },
            op: { S: 'delete' },
            version: { N: '4' },
            ts: { S: '2026-12-01T10:00:00Z' },
          },
        },
      },
    });

    expect(published(convert(record, outbox)).envelope).toEqual({
      id: 'o-1',
      entity: 'order',
      key: '8',
      op: 'delete',
      version: 4,
      ts: '2026-12-01T10:00:00Z',
    });
  });

  it('quarantines an envelope the sinks would refuse, with the decoder’s reason', () => {
    const bad = (value: string) =>
      convert(
        streamRecord('INSERT', { newImage: { pk: { S: 'outbox#3' }, envelope: { S: value } } }),
        outbox,
      );

    expect(poisonOf(bad('{not json')).reason).toBe('invalid-json');
    expect(poisonOf(bad(JSON.stringify({ ...envelope, version: undefined }))).reason).toBe(
      'missing-version',
    );
    expect(poisonOf(bad(JSON.stringify({ ...envelope, op: 'merge' }))).reason).toBe('unknown-op');
  });

  it('ignores application items, removals (TTL expiry of outbox items) and refuses a modified outbox item', () => {
    const text = JSON.stringify(envelope);

    expect(convert(streamRecord('INSERT', { newImage: { pk: { S: 'order#7' } } }), outbox)).toEqual(
      {
        kind: 'skip',
        why: 'not-an-outbox-item',
      },
    );
    expect(
      convert(
        streamRecord(
          'REMOVE',
          { oldImage: { pk: { S: 'outbox#1' }, envelope: { S: text } } },
          {
            userIdentity: TTL_IDENTITY,
          },
        ),
        outbox,
      ),
    ).toEqual({ kind: 'skip', why: 'outbox-remove' });
    expect(
      poisonOf(
        convert(
          streamRecord('MODIFY', { newImage: { pk: { S: 'outbox#1' }, envelope: { S: text } } }),
          outbox,
        ),
      ).reason,
    ).toBe('outbox-modified');
  });
});
