import { describe, expect, it } from 'vitest';
import {
  InvalidEventError,
  RetriableError,
  StaysyncError,
} from '../../../functions/core/errors.js';
import type { RelayMessage } from '../../../functions/relay-dynamodb-streams/convert.js';
import {
  type LogProducer,
  type RelayQuarantine,
  type RelayQuarantineEntry,
  relayBatch,
} from '../../../functions/relay-dynamodb-streams/relay.js';
import type { CdcSource } from '../../../functions/relay-dynamodb-streams/source.js';
import { parseStreamEvent } from '../../../functions/relay-dynamodb-streams/stream-event.js';
import { cdcCustomers, streamRecord } from './stream-records.js';

const source: CdcSource = cdcCustomers;

const good = (pk: string, v = 1) =>
  streamRecord('INSERT', { newImage: { pk: { S: pk }, v: { N: String(v) } } });
const bad = (pk: string) => streamRecord('INSERT', { newImage: { pk: { S: pk } } }); // no version

/** Kafka as a list: what was sent, in order; fails the next sends with `failWith` while set. */
function memoryLog() {
  const sent: RelayMessage[] = [];
  let failWith: Error | undefined;
  const producer: LogProducer = {
    async send(messages) {
      if (failWith !== undefined) throw failWith;
      sent.push(...messages);
    },
  };
  return {
    producer,
    sent,
    fail: (e: Error | undefined) => {
      failWith = e;
    },
  };
}

function memoryQuarantine(failFor = new Set<string>()) {
  const entries: RelayQuarantineEntry[] = [];
  const quarantine: RelayQuarantine = {
    async put(list) {
      for (const e of list) {
        if (failFor.has(e.sequenceNumber)) throw new RetriableError('S3 SlowDown');
        entries.push(e);
      }
    },
  };
  return { quarantine, entries };
}

const deps = (log: ReturnType<typeof memoryLog>, q: ReturnType<typeof memoryQuarantine>) => ({
  name: 'relay',
  source,
  producer: log.producer,
  quarantine: q.quarantine,
  now: () => new Date('2026-12-03T00:00:00Z'),
});

describe('relayBatch', () => {
  it('publishes every record in stream order and reports nothing failed', async () => {
    const log = memoryLog();
    const records = [good('a', 1), good('b', 1), good('a', 2)];

    const outcome = await relayBatch({ Records: records }, deps(log, memoryQuarantine()));

    expect(outcome.response).toEqual({ batchItemFailures: [] });
    expect(log.sent.map((m) => `${m.key}@${JSON.parse(m.value).version}`)).toEqual([
      'customer:a@2',
      'customer:b@2',
      'customer:a@4',
    ]);
  });

  it('quarantines a bad record with its reason and the raw record, and the shard moves on', async () => {
    const log = memoryLog();
    const q = memoryQuarantine();
    const poisoned = bad('x');

    const outcome = await relayBatch({ Records: [good('a'), poisoned, good('b')] }, deps(log, q));

    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(log.sent.map((m) => m.key)).toEqual(['customer:a', 'customer:b']);
    expect(q.entries).toEqual([
      expect.objectContaining({
        relay: 'relay',
        table: 'Shop',
        sequenceNumber: poisoned.dynamodb.SequenceNumber,
        reason: 'missing-version',
        raw: poisoned,
        quarantinedAt: '2026-12-03T00:00:00.000Z',
      }),
    ]);
  });

  it('reports the first record to publish when Kafka fails retriably, so the whole rest is redelivered', async () => {
    const log = memoryLog();
    log.fail(new RetriableError('leader not available'));
    const records = [bad('x'), good('a'), good('b')];

    const outcome = await relayBatch({ Records: records }, deps(log, memoryQuarantine()));

    expect(outcome.response.batchItemFailures).toEqual([
      { itemIdentifier: records[1]?.dynamodb.SequenceNumber },
    ]);
    expect(outcome.failure?.retriable).toBe(true);
  });

  it('stops at a record whose quarantine could not be written, after publishing what came before', async () => {
    const log = memoryLog();
    const poisoned = bad('x');
    const records = [good('a'), poisoned, good('b')];

    const outcome = await relayBatch(
      { Records: records },
      deps(log, memoryQuarantine(new Set([poisoned.dynamodb.SequenceNumber]))),
    );

    expect(log.sent.map((m) => m.key)).toEqual(['customer:a']);
    expect(outcome.response.batchItemFailures).toEqual([
      { itemIdentifier: poisoned.dynamodb.SequenceNumber },
    ]);
  });

  it('throws a failure that no retry can fix, for the mapping to bisect and set aside', async () => {
    const log = memoryLog();
    log.fail(new StaysyncError('TOPIC_AUTHORIZATION_FAILED', { retriable: false }));

    await expect(
      relayBatch({ Records: [good('a')] }, deps(log, memoryQuarantine())),
    ).rejects.toThrow('TOPIC_AUTHORIZATION_FAILED');
  });
});

describe('parseStreamEvent', () => {
  it('refuses what is not a DynamoDB Streams event', () => {
    expect(() => parseStreamEvent({ records: {} })).toThrow(InvalidEventError);
    expect(() => parseStreamEvent({ Records: [{ eventName: 'INSERT', dynamodb: {} }] })).toThrow(
      /Records\[0\]/,
    );
    expect(parseStreamEvent({ Records: [] })).toEqual({ Records: [] });
  });
});
