import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PipelineConfig } from '../../../functions/contract/pipeline.js';
import {
  Metric,
  type MetricName,
  silentLogger,
} from '../../../functions/core/engine/observability.js';
import {
  InvalidEventError,
  PoisonError,
  RetriableError,
  StaysyncError,
} from '../../../functions/core/errors.js';
import type { MskEvent } from '../../../functions/core/msk-event.js';
import type { Sink, SinkBatch, SinkResult } from '../../../functions/core/sink.js';
import {
  createSinkHandler,
  type SinkHandlerDeps,
} from '../../../functions/runtime/sink-handler.js';
import { FakeClock, InMemoryLedger, InMemoryQuarantine } from '../core/support/in-memory.js';
import { envelope, loadMskFixture, mskEvent, mskRecord } from '../core/support/msk.js';
import { FaultPlan, InMemoryAggregateSink, InMemoryStateSink } from '../core/support/sinks.js';

const PIPELINE: PipelineConfig = { topics: {} };
const ref = (partition = 0, sink = 'view', topic = 'customers') => ({ sink, topic, partition });

function setup(sink: Sink = new InMemoryStateSink(), over: Partial<SinkHandlerDeps> = {}) {
  const ledger = new InMemoryLedger();
  const quarantine = new InMemoryQuarantine();
  const clock = new FakeClock();
  const published: Map<MetricName, number>[] = [];
  const handler = createSinkHandler({
    sink,
    ledger,
    quarantine,
    pipeline: PIPELINE,
    logger: silentLogger,
    metrics: { publish: (counts) => published.push(new Map(counts)) },
    clock,
    ...over,
  });
  return { handler, ledger, quarantine, clock, published, sink };
}

const upsert = (offset: number, key: string, version: number, partition = 0) =>
  mskRecord({
    offset,
    partition,
    key: `customer:${key}`,
    value: envelope({ id: `e${offset}`, key, version, data: { v: version } }),
  });

/** A sink that records the batches it got and answers from a script. */
class ScriptedSink implements Sink {
  readonly name = 'scripted';
  readonly decodes = true;
  readonly batches: SinkBatch[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    private readonly answer: (batch: SinkBatch, call: number) => SinkResult | Promise<SinkResult>,
  ) {}
  async apply(batch: SinkBatch): Promise<SinkResult> {
    this.batches.push(batch);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      return await this.answer(batch, this.batches.length);
    } finally {
      this.inFlight--;
    }
  }
}

const allApplied = (batch: SinkBatch): SinkResult => ({
  outcomes: batch.entries.map((e) =>
    e.poison
      ? { offset: e.record.offset, status: 'poison', error: e.poison }
      : { offset: e.record.offset, status: 'applied' },
  ),
});

describe('createSinkHandler', () => {
  it('applies every record in offset order and checkpoints the last offset', async () => {
    const { handler, ledger, sink } = setup();
    const response = await handler(
      mskEvent([upsert(3, '42', 2), upsert(1, '42', 1), upsert(2, '7', 1)]),
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect((sink as InMemoryStateSink).store.get('customer#42')?.data).toEqual({ v: 2 });
    expect(await ledger.readCheckpoint(ref())).toBe(3);
  });

  it('applies the staysync fixture: patch over upsert, then the tombstone deletes it', async () => {
    const { handler, ledger, quarantine, sink } = setup();
    const response = await handler(loadMskFixture('staysync-customers.json'));
    expect(response.batchItemFailures).toEqual([]);
    const store = (sink as InMemoryStateSink).store;
    expect(store.get('customer#42')).toMatchObject({
      deleted: true,
      data: null,
      offset: 102,
      ev: 5,
    });
    expect(store.get('customer#7')?.data).toEqual({ name: 'Ada' });
    // The keyless tombstone of partition 1 names nothing to delete: quarantined.
    expect(quarantine.reasons()).toEqual({ 8: 'missing-kafka-key' });
    expect(await ledger.readCheckpoint(ref(1))).toBe(8);
  });

  it('skips records at or below the checkpoint without handing them to the sink', async () => {
    const sink = new ScriptedSink(allApplied);
    const { handler, ledger, published } = setup(sink);
    await ledger.advanceCheckpoint(ref(0, 'scripted'), 2);
    await handler(mskEvent([upsert(1, '1', 1), upsert(2, '2', 1), upsert(3, '3', 1)]));
    expect(sink.batches[0]?.entries.map((e) => e.record.offset)).toEqual([3]);
    expect(sink.batches[0]?.checkpoint).toBe(2);
    expect(published[0]?.get(Metric.skipped)).toBe(2);
  });

  it('does not call the sink at all when the whole batch is at or below the checkpoint', async () => {
    const sink = new ScriptedSink(allApplied);
    const { handler, ledger } = setup(sink);
    await ledger.advanceCheckpoint(ref(0, 'scripted'), 5);
    expect(await handler(mskEvent([upsert(4, '1', 1), upsert(5, '2', 1)]))).toEqual({
      batchItemFailures: [],
    });
    expect(sink.batches).toHaveLength(0);
  });

  it('quarantines a poison record with its reason and applies the records around it', async () => {
    const { handler, ledger, quarantine, sink } = setup();
    const bad = mskRecord({ offset: 2, key: 'customer:9', value: '{not json' });
    const response = await handler(mskEvent([upsert(1, '1', 1), bad, upsert(3, '3', 1)]));
    expect(response.batchItemFailures).toEqual([]);
    const [entry] = quarantine.entries.values();
    expect(entry).toMatchObject({
      sink: 'view',
      topic: 'customers',
      partition: 0,
      offset: 2,
      reason: 'invalid-json',
      raw: bad,
    });
    expect(entry?.error.message).toMatch(/^value: is not valid JSON/);
    expect((sink as InMemoryStateSink).store.size).toBe(2);
    expect(await ledger.readCheckpoint(ref())).toBe(3);
  });

  it('quarantines records the sink itself finds poison', async () => {
    const sink = new ScriptedSink((batch) => ({
      outcomes: batch.entries.map((e) =>
        e.record.offset === 2
          ? {
              offset: 2,
              status: 'poison',
              error: new PoisonError('mapping', 'data.size: not a number'),
            }
          : { offset: e.record.offset, status: 'applied' },
      ),
    }));
    const { handler, quarantine, ledger } = setup(sink);
    expect(
      (await handler(mskEvent([upsert(1, '1', 1), upsert(2, '2', 1)]))).batchItemFailures,
    ).toEqual([]);
    expect(quarantine.reasons()).toEqual({ 2: 'mapping' });
    expect(await ledger.readCheckpoint(ref(0, 'scripted'))).toBe(2);
  });

  it('retries only the records that failed retriably, with growing jittered backoff', async () => {
    const sink = new ScriptedSink((batch, call) => ({
      outcomes: batch.entries.map((e) =>
        e.record.offset === 2 && call < 3
          ? { offset: 2, status: 'retry', error: new RetriableError('throttled') }
          : { offset: e.record.offset, status: 'applied' },
      ),
    }));
    const { handler, ledger, clock, published } = setup(sink);
    expect(
      (await handler(mskEvent([upsert(1, '1', 1), upsert(2, '2', 1), upsert(3, '3', 1)])))
        .batchItemFailures,
    ).toEqual([]);
    expect(sink.batches.map((b) => b.entries.map((e) => e.record.offset))).toEqual([
      [1, 2, 3],
      [2],
      [2],
    ]);
    expect(clock.slept).toEqual([50, 100]);
    expect(await ledger.readCheckpoint(ref(0, 'scripted'))).toBe(3);
    expect(published[0]?.get(Metric.retries)).toBe(2);
  });

  it('reports the lowest unapplied offset when retries run out, and checkpoints just below it', async () => {
    const sink = new ScriptedSink((batch) => ({
      outcomes: batch.entries.map((e) =>
        e.record.offset >= 2 && e.record.partition === 0
          ? { offset: e.record.offset, status: 'retry', error: new RetriableError('throttled') }
          : { offset: e.record.offset, status: 'applied' },
      ),
    }));
    const { handler, ledger, published } = setup(sink, { retry: { maxAttempts: 3 } });
    const response = await handler(
      mskEvent([
        upsert(1, '1', 1),
        upsert(2, '2', 1),
        upsert(3, '3', 1),
        upsert(10, '4', 1, 1),
        upsert(11, '5', 1, 1),
      ]),
    );
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'customers-0', offset: 2 } }],
    });
    expect(await ledger.readCheckpoint(ref(0, 'scripted'))).toBe(1);
    // The other partition keeps its progress.
    expect(await ledger.readCheckpoint(ref(1, 'scripted'))).toBe(11);
    expect(published[0]?.get(Metric.failedPartitions)).toBe(1);
    expect(published[0]?.get(Metric.unapplied)).toBe(2);
  });

  it('answers in the Kafka partial batch response shape the AWS Lambda guide defines', async () => {
    // test/fixtures/msk/partial-batch-response.json follows "Configuring error handling
    // controls for Kafka event sources" (docs.aws.amazon.com/lambda/latest/dg/
    // kafka-retry-configurations.html): itemIdentifier { partition: "<topic>-<n>", offset }.
    // Any other shape is malformed and Lambda retries the whole batch.
    const documented: unknown = JSON.parse(
      readFileSync(
        new URL('../../fixtures/msk/partial-batch-response.json', import.meta.url),
        'utf8',
      ),
    );
    const sink = new ScriptedSink((batch) => ({
      outcomes: batch.entries.map((e) =>
        e.record.offset >= 2
          ? { offset: e.record.offset, status: 'retry', error: new RetriableError('throttled') }
          : { offset: e.record.offset, status: 'applied' },
      ),
    }));
    const { handler } = setup(sink, { retry: { maxAttempts: 1 } });
    const response = await handler(mskEvent([upsert(1, '1', 1), upsert(2, '2', 1)]));
    expect(response).toStrictEqual(documented);
  });

  it('stops retrying before the Lambda deadline minus the safety margin', async () => {
    const sink = new ScriptedSink((batch) => ({
      outcomes: batch.entries.map((e) => ({
        offset: e.record.offset,
        status: 'retry',
        error: new RetriableError('5xx'),
      })),
    }));
    const { handler, clock } = setup(sink);
    const response = await handler(mskEvent([upsert(5, '1', 1)]), {
      getRemainingTimeInMillis: () => 3_040,
    });
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'customers-0', offset: 5 } },
    ]);
    expect(sink.batches).toHaveLength(1);
    expect(clock.slept).toEqual([]);
  });

  it('treats a retriable error thrown by the sink as a failure of the whole partition batch', async () => {
    const sink = new ScriptedSink(() => {
      throw new RetriableError('OpenSearch 503');
    });
    const { handler, ledger } = setup(sink, { retry: { maxAttempts: 2 } });
    const response = await handler(mskEvent([upsert(7, '1', 1), upsert(8, '2', 1)]));
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'customers-0', offset: 7 } },
    ]);
    expect(sink.batches).toHaveLength(2);
    expect(await ledger.readCheckpoint(ref(0, 'scripted'))).toBeNull();
  });

  it('rethrows anything else the sink throws: a bug fails the invocation', async () => {
    const sink = new ScriptedSink(() => {
      throw new TypeError('cannot read properties of undefined');
    });
    const { handler } = setup(sink);
    await expect(handler(mskEvent([upsert(1, '1', 1)]))).rejects.toThrow(TypeError);
  });

  it('fails the invocation when the sink breaks its contract by leaving out an outcome', async () => {
    const sink = new ScriptedSink(() => ({ outcomes: [] }));
    const { handler } = setup(sink);
    await expect(handler(mskEvent([upsert(1, '1', 1)]))).rejects.toThrow(/no outcome for offset 1/);
  });

  it('never checkpoints past a poison record it could not quarantine', async () => {
    const { handler, ledger, quarantine, sink } = setup(new InMemoryStateSink(), {
      retry: { maxAttempts: 2 },
    });
    quarantine.beforePut = () => {
      throw new RetriableError('S3 503 SlowDown');
    };
    const bad = mskRecord({ offset: 2, key: 'customer:9', value: '[]' });
    const response = await handler(mskEvent([upsert(1, '1', 1), bad, upsert(3, '3', 1)]));
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'customers-0', offset: 2 } },
    ]);
    expect(await ledger.readCheckpoint(ref())).toBe(1);
    expect([...(sink as InMemoryStateSink).store.keys()]).toEqual(['customer#1']);
  });

  it('reports a partition whose checkpoint cannot be read at its first offset', async () => {
    const { handler, ledger } = setup(new InMemoryStateSink(), { retry: { maxAttempts: 2 } });
    ledger.beforeEach = () => {
      throw new RetriableError('ProvisionedThroughputExceededException');
    };
    const response = await handler(mskEvent([upsert(4, '1', 1), upsert(5, '1', 2)]));
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'customers-0', offset: 4 } },
    ]);
  });

  it('fails the invocation on a non-retriable ledger error (misconfiguration)', async () => {
    const { handler, ledger } = setup();
    ledger.beforeEach = () => {
      throw new StaysyncError('ledger: AccessDeniedException', { retriable: false });
    };
    await expect(handler(mskEvent([upsert(1, '1', 1)]))).rejects.toThrow(/AccessDenied/);
  });

  it('has the batch redelivered when its checkpoint cannot be advanced, keeping the effects', async () => {
    const { handler, ledger, published, sink } = setup(new InMemoryStateSink(), {
      retry: { maxAttempts: 1 },
    });
    ledger.beforeEach = (op) => {
      if (op === 'advance') throw new RetriableError('throttled');
    };
    const response = await handler(mskEvent([upsert(1, '1', 1), upsert(2, '2', 1)]));
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'customers-0', offset: 1 } },
    ]);
    expect((sink as InMemoryStateSink).store.size).toBe(2);
    expect(published[0]?.get(Metric.checkpointFailures)).toBe(1);
  });

  it('does not advance the checkpoint again when the sink stored it atomically with its output', async () => {
    const ledger = new InMemoryLedger();
    const sink = new InMemoryAggregateSink(ledger, 'aggregates', new FaultPlan(), 2);
    const { handler } = setup(sink, { ledger });
    let advances = 0;
    ledger.beforeEach = (op) => {
      if (op === 'advance') advances++;
    };
    const order = (offset: number, amount: number) =>
      mskRecord({
        offset,
        key: 'customer:1',
        value: envelope({ id: `o${offset}`, key: '1', version: offset, data: { amount } }),
      });
    await handler(mskEvent([order(1, 5), order(2, 7), order(3, 1)]));
    expect(sink.totals.get('customer#1')).toBe(13);
    expect(await ledger.readCheckpoint(ref(0, 'aggregates'))).toBe(3);
    expect(advances).toBe(0);
  });

  it('processes at most `concurrency` partitions at once', async () => {
    const sink = new ScriptedSink(allApplied);
    const { handler } = setup(sink, { concurrency: 2 });
    const records = [0, 1, 2, 3, 4, 5].map((p) => upsert(1, `k${p}`, 1, p));
    expect((await handler(mskEvent(records))).batchItemFailures).toEqual([]);
    expect(sink.batches).toHaveLength(6);
    expect(sink.maxInFlight).toBe(2);
  });

  it('publishes one set of outcome counts per invocation', async () => {
    const { handler, published } = setup();
    const bad = mskRecord({ offset: 3, key: 'customer:1', value: envelope({ version: 'x' }) });
    await handler(mskEvent([upsert(1, '1', 2), upsert(2, '1', 1), bad]));
    expect(published).toHaveLength(1);
    expect(Object.fromEntries(published[0] ?? [])).toEqual({
      [Metric.applied]: 1,
      [Metric.stale]: 1,
      [Metric.poison]: 1,
    });
  });

  it('throws for an event that is not a Kafka event, and still publishes metrics', async () => {
    const { handler, published } = setup();
    await expect(
      handler({ eventSource: 'aws:sqs', records: {} } as unknown as MskEvent),
    ).rejects.toThrow(InvalidEventError);
    expect(published).toHaveLength(1);
  });

  it('answers an empty event with no failures', async () => {
    const { handler } = setup();
    expect(await handler({ eventSource: 'SelfManagedKafka', records: {} })).toEqual({
      batchItemFailures: [],
    });
  });

  it('refuses a concurrency below one', () => {
    expect(() => setup(new InMemoryStateSink(), { concurrency: 0 })).toThrow(RangeError);
  });
});
