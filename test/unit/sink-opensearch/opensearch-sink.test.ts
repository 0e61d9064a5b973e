import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Change } from '../../../functions/core/change.js';
import { PoisonError, RetriableError } from '../../../functions/core/errors.js';
import { fromDocument } from '../../../functions/core/opensearch/document.js';
import { RequestTooLargeError } from '../../../functions/core/opensearch/store.js';
import type { RecordOutcome } from '../../../functions/core/sink.js';
import { OpenSearchSink } from '../../../functions/sink-opensearch/opensearch-sink.js';
import { FaultStats } from '../../support/fault-stats.js';
import { modelFold } from '../../support/reference-model.js';
import { batch, change, entry } from './support/changes.js';
import { MemoryStore } from './support/memory-store.js';

const W = 'p-customer-write';
/** Reproduce a property failure with FC_SEED=<the seed printed> (and the path printed). */
const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FC_RUNS ?? 1_000);
console.info(`OpenSearch sink properties: FC_SEED=${SEED} FC_RUNS=${RUNS}`);
const stats = new FaultStats();
afterAll(() => stats.flush());
/** where the first fault strikes: a share of the bulk items a fault-free run sends */
const atArb = fc.noBias(fc.integer({ min: 0, max: 2 ** 30 - 1 })).map((n) => n / 2 ** 30);

function setup(options: { maxActions?: number; maxBytes?: number } = {}) {
  const store = new MemoryStore();
  const sink = new OpenSearchSink({
    name: 'opensearch',
    store,
    indexPrefix: 'p',
    layout: { numberOfShards: 1, numberOfReplicas: 0 },
    bulkLimits: {
      maxActions: options.maxActions ?? 1000,
      maxBytes: options.maxBytes ?? 5 * 1024 * 1024,
    },
  });
  return { store, sink };
}

const byOffset = (outcomes: readonly RecordOutcome[]) =>
  Object.fromEntries(
    [...outcomes].sort((a, b) => a.offset - b.offset).map((o) => [o.offset, o.status]),
  );

const stored = (store: MemoryStore, id: string, index = W) => {
  const doc = store.docs.get(`${index}/${id}`);
  return doc === undefined ? undefined : fromDocument(doc.source, doc.version);
};

describe('OpenSearchSink', () => {
  it('writes each key once per batch, at its last version, in one bulk request', async () => {
    const { store, sink } = setup();
    const changes = [
      change({ offset: 0, key: 'a', version: 1 }),
      change({ offset: 1, key: 'b', version: 1 }),
      change({ offset: 2, key: 'a', version: 2, data: { name: 'A2' } }),
    ];
    const result = await sink.apply(batch(changes));
    expect(byOffset(result.outcomes)).toEqual({ 0: 'applied', 1: 'applied', 2: 'applied' });
    expect(store.bulkBodies).toHaveLength(1);
    expect(store.actionsSent()).toBe(2);
    expect(store.docs.get(`${W}/a`)?.version).toBe(4);
    expect(stored(store, 'a')?.data).toEqual({ name: 'A2' });
    expect(store.ensured).toEqual([W]);
  });

  it('reports a redelivered batch as duplicates and changes nothing', async () => {
    const { store, sink } = setup();
    const changes = [
      change({ offset: 0, version: 1 }),
      change({ offset: 1, key: 'b', version: 5 }),
    ];
    await sink.apply(batch(changes));
    const before = structuredClone([...store.docs]);
    const again = await sink.apply(batch(changes));
    expect(byOffset(again.outcomes)).toEqual({ 0: 'duplicate', 1: 'duplicate' });
    expect([...store.docs]).toEqual(before);
  });

  it('reports an older version arriving late as stale', async () => {
    const { store, sink } = setup();
    await sink.apply(batch([change({ offset: 5, version: 9 })]));
    const late = await sink.apply(batch([change({ offset: 6, version: 3, data: { old: true } })]));
    expect(byOffset(late.outcomes)).toEqual({ 6: 'stale' });
    expect(stored(store, '42')?.sourceVersion).toBe(9);
  });

  it('keeps a deleted key as a tombstone that rejects a late older upsert', async () => {
    const { store, sink } = setup();
    await sink.apply(
      batch([change({ offset: 0, version: 1 }), change({ offset: 1, version: 2, op: 'delete' })]),
    );
    expect(stored(store, '42')?.deleted).toBe(true);
    const late = await sink.apply(batch([change({ offset: 2, version: 1, eventId: 'replayed' })]));
    expect(byOffset(late.outcomes)).toEqual({ 2: 'stale' });
    expect(stored(store, '42')).toMatchObject({ deleted: true, ev: 4 });
  });

  it('folds patches over the stored document read with one mget', async () => {
    const { store, sink } = setup();
    await sink.apply(batch([change({ offset: 0, version: 1, data: { name: 'Ada', age: 36 } })]));
    const result = await sink.apply(
      batch([
        change({ offset: 1, version: 2, op: 'patch', data: { age: 37 } }),
        change({ offset: 2, key: 'x', version: 1 }),
        change({ offset: 3, version: 3, op: 'patch', data: { city: 'London' } }),
      ]),
    );
    expect(byOffset(result.outcomes)).toEqual({ 1: 'applied', 2: 'applied', 3: 'applied' });
    expect(store.mgets).toBe(1);
    expect(store.bulkBodies).toHaveLength(2);
    expect(stored(store, '42')).toMatchObject({
      ev: 6,
      data: { name: 'Ada', age: 37, city: 'London' },
    });
  });

  it('deletes with a Kafka tombstone only state written earlier in the same partition', async () => {
    const { store, sink } = setup();
    await sink.apply(batch([change({ offset: 10, version: 7 })]));
    const result = await sink.apply(batch([change({ offset: 11, tombstone: true })]));
    expect(byOffset(result.outcomes)).toEqual({ 11: 'applied' });
    expect(stored(store, '42')).toMatchObject({ deleted: true, ev: 15 });
    // the next real version still wins over the odd tombstone version
    await sink.apply(batch([change({ offset: 12, version: 8 })]));
    expect(stored(store, '42')).toMatchObject({ deleted: false, ev: 16 });
    // a redelivered tombstone does not delete state written after it
    const again = await sink.apply(batch([change({ offset: 11, tombstone: true })]));
    expect(byOffset(again.outcomes)).toEqual({ 11: 'stale' });
    expect(stored(store, '42')?.deleted).toBe(false);
  });

  it('quarantines a rejected document and indexes the rest of the batch', async () => {
    const { store, sink } = setup();
    store.intercept = (a) =>
      typeof (a.source.data as Record<string, unknown> | undefined)?.age === 'object'
        ? {
            status: 400,
            error: {
              type: 'mapper_parsing_exception',
              reason: 'failed to parse field [data.age] of type [long]',
            },
          }
        : undefined;
    const result = await sink.apply(
      batch([
        change({ offset: 0, key: 'bad', version: 1, data: { age: { years: 3 } } }),
        change({ offset: 1, key: 'ok', version: 1 }),
      ]),
    );
    expect(byOffset(result.outcomes)).toEqual({ 0: 'poison', 1: 'applied' });
    const poison = result.outcomes.find((o) => o.offset === 0);
    expect(poison?.status === 'poison' && poison.error).toBeInstanceOf(PoisonError);
    expect(poison?.status === 'poison' && poison.error.message).toMatch(
      /mapper_parsing_exception.*data\.age/,
    );
    expect(poison?.status === 'poison' && poison.error.context).toMatchObject({
      topic: 'changes',
      partition: 0,
      offset: 0,
      sink: 'opensearch',
    });
    expect(store.docs.has(`${W}/bad`)).toBe(false);
  });

  it('falls back to the newest indexable version of a key when its last one is rejected', async () => {
    const { store, sink } = setup();
    store.intercept = (a) =>
      a.version === 6 ? { status: 400, error: { type: 'mapper_parsing_exception' } } : undefined;
    const result = await sink.apply(
      batch([
        change({ offset: 0, version: 1 }),
        change({ offset: 1, version: 2 }),
        change({ offset: 2, version: 3 }),
      ]),
    );
    expect(byOffset(result.outcomes)).toEqual({ 0: 'applied', 1: 'applied', 2: 'poison' });
    expect(stored(store, '42')?.sourceVersion).toBe(2);
  });

  it('falls back to an older version the batch dropped when the newer one before it is rejected', async () => {
    const { store, sink } = setup();
    store.intercept = (a) =>
      a.version === 6 ? { status: 400, error: { type: 'mapper_parsing_exception' } } : undefined;
    const result = await sink.apply(
      batch([change({ offset: 0, version: 3 }), change({ offset: 1, version: 2 })]),
    );
    expect(byOffset(result.outcomes)).toEqual({ 0: 'poison', 1: 'applied' });
    expect(stored(store, '42')?.sourceVersion).toBe(2);
  });

  it('keeps a dropped older version unsettled while the newer one before it is retried, so it is indexed if that one turns out rejected', async () => {
    const { store, sink } = setup();
    store.intercept = (a) =>
      a.version === 6
        ? { status: 429, error: { type: 'es_rejected_execution_exception' } }
        : undefined;
    const log = [change({ offset: 0, version: 3 }), change({ offset: 1, version: 2 })];
    const first = await sink.apply(batch(log));
    expect(byOffset(first.outcomes)).toEqual({ 0: 'retry', 1: 'retry' });
    // what the engine does next: re-apply only the records reported as retry
    store.intercept = (a) =>
      a.version === 6 ? { status: 400, error: { type: 'mapper_parsing_exception' } } : undefined;
    const retried = new Set(
      first.outcomes.filter((o) => o.status === 'retry').map((o) => o.offset),
    );
    const again = await sink.apply(batch(log.filter((c) => retried.has(c.coords.offset))));
    expect(byOffset(again.outcomes)).toEqual({ 0: 'poison', 1: 'applied' });
    expect(stored(store, '42')?.sourceVersion).toBe(2);
  });

  it('quarantines only the patch that cannot be indexed when a fold is rejected', async () => {
    const { store, sink } = setup();
    await sink.apply(batch([change({ offset: 0, version: 1, data: { age: 1 } })]));
    store.intercept = (a) =>
      typeof (a.source.data as Record<string, unknown> | undefined)?.age === 'object'
        ? { status: 400, error: { type: 'mapper_parsing_exception' } }
        : undefined;
    const result = await sink.apply(
      batch([
        change({ offset: 1, version: 2, op: 'patch', data: { city: 'Paris' } }),
        change({ offset: 2, version: 3, op: 'patch', data: { age: { years: 2 } } }),
        change({ offset: 3, version: 4, op: 'patch', data: { zip: '75001' } }),
      ]),
    );
    expect(byOffset(result.outcomes)).toEqual({ 1: 'applied', 2: 'poison', 3: 'applied' });
    expect(stored(store, '42')).toMatchObject({
      ev: 8,
      data: { age: 1, city: 'Paris', zip: '75001' },
    });
  });

  it('re-reads when another writer stores a newer version between the read and the write', async () => {
    const { store, sink } = setup();
    await sink.apply(batch([change({ offset: 0, version: 1, data: { a: 1 } })]));
    let raced = false;
    store.beforeBulk = () => {
      if (raced) return;
      raced = true;
      const other = {
        data: { b: 2 },
        _deleted: false,
        _v: 10,
        _sv: 5,
        _eid: 'other',
        _ts: '',
        _topic: 'changes',
        _partition: 0,
        _offset: 9,
      };
      store.put({ index: W, id: '42', version: 10, source: other });
    };
    const result = await sink.apply(
      batch([change({ offset: 1, version: 4, op: 'patch', data: { c: 3 } })]),
    );
    expect(byOffset(result.outcomes)).toEqual({ 1: 'stale' });
    expect(store.mgets).toBe(2);
    expect(stored(store, '42')).toMatchObject({ ev: 10, data: { b: 2 } });
  });

  it('reports transiently failed items as retry and the rest as settled', async () => {
    const { store, sink } = setup();
    store.intercept = (a) =>
      a.id === 'busy'
        ? { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } }
        : undefined;
    const result = await sink.apply(
      batch([
        change({ offset: 0, key: 'busy', version: 1 }),
        change({ offset: 1, key: 'ok', version: 1 }),
      ]),
    );
    expect(byOffset(result.outcomes)).toEqual({ 0: 'retry', 1: 'applied' });
    const retry = result.outcomes.find((o) => o.offset === 0);
    expect(retry?.status === 'retry' && retry.error).toBeInstanceOf(RetriableError);
    expect(retry?.status === 'retry' && retry.error.message).toMatch(
      /es_rejected_execution_exception/,
    );
  });

  it('reports every record of a failed bulk request as retry', async () => {
    const { store, sink } = setup();
    store.bulk = async () => {
      throw new RetriableError('bulk: ConnectionError: connect ECONNREFUSED');
    };
    const result = await sink.apply(
      batch([change({ offset: 0, version: 1 }), change({ offset: 1, key: 'b', version: 1 })]),
    );
    expect(byOffset(result.outcomes)).toEqual({ 0: 'retry', 1: 'retry' });
  });

  it('halves a bulk request the cluster finds too large, and quarantines a single document that still is', async () => {
    const { store, sink } = setup();
    const real = store.bulk.bind(store);
    store.bulk = async (ndjson) => {
      if (ndjson.includes('huge') || ndjson.split('\n').length > 5)
        throw new RequestTooLargeError('HTTP 413');
      return real(ndjson);
    };
    const result = await sink.apply(
      batch([
        change({ offset: 0, key: 'a', version: 1 }),
        change({ offset: 1, key: 'b', version: 1 }),
        change({ offset: 2, key: 'c', version: 1, data: { huge: true } }),
        change({ offset: 3, key: 'd', version: 1 }),
      ]),
    );
    expect(byOffset(result.outcomes)).toEqual({
      0: 'applied',
      1: 'applied',
      2: 'poison',
      3: 'applied',
    });
  });

  it('passes decoder poison through and quarantines entities that cannot name an index', async () => {
    const { store, sink } = setup();
    const decoded = entry(change({ offset: 0, version: 1 }));
    const poison = new PoisonError('invalid-json', 'bad');
    const result = await sink.apply({
      ...batch([]),
      entries: [
        decoded,
        { record: entry(change({ offset: 1 })).record, poison },
        entry(change({ offset: 2, entity: 'Customer', version: 1 })),
        entry(change({ offset: 3, key: 'x'.repeat(600), version: 1 })),
      ],
    });
    expect(byOffset(result.outcomes)).toEqual({
      0: 'applied',
      1: 'poison',
      2: 'poison',
      3: 'poison',
    });
    const reasons = result.outcomes.flatMap((o) => (o.status === 'poison' ? [o.error.reason] : []));
    expect(reasons.sort()).toEqual(['invalid-document-id', 'invalid-entity-name', 'invalid-json']);
    expect(store.ensured).toEqual([W]);
  });

  it('sends 2,000 distinct keys in two bulk requests of 1,000', async () => {
    const { store, sink } = setup();
    const changes = Array.from({ length: 2000 }, (_, i) =>
      change({ offset: i, key: `k${i}`, version: 1 }),
    );
    const result = await sink.apply(batch(changes));
    expect(result.outcomes.every((o) => o.status === 'applied')).toBe(true);
    expect(store.bulkBodies).toHaveLength(2);
  });

  it('writes one document per entity index through its write alias', async () => {
    const { store, sink } = setup();
    await sink.apply(
      batch([
        change({ offset: 0, entity: 'customer', version: 1 }),
        change({ offset: 1, entity: 'order', version: 1 }),
      ]),
    );
    expect([...store.docs.keys()].sort()).toEqual(['p-customer-write/42', 'p-order-write/42']);
    expect(store.ensured.sort()).toEqual(['p-customer-write', 'p-order-write']);
  });
});

describe('OpenSearchSink against the fold oracle', () => {
  type Op = {
    key: string;
    kind: 'upsert' | 'patch' | 'delete' | 'tombstone';
    version: number;
    field: number;
  };
  const opArb = fc.record({
    key: fc.constantFrom('a', 'b', 'c'),
    kind: fc.constantFrom('upsert', 'patch', 'delete', 'tombstone'),
    version: fc.integer({ min: 0, max: 12 }),
    field: fc.integer({ min: 0, max: 3 }),
  }) as fc.Arbitrary<Op>;

  const toChange = (op: Op, offset: number): Change =>
    op.kind === 'tombstone'
      ? change({ offset, key: op.key, tombstone: true })
      : change({
          offset,
          key: op.key,
          op: op.kind,
          version: op.version,
          data: { [`f${op.field}`]: offset },
          eventId: `e${offset}`,
        });

  it('ends every key at the oracle state whatever the batching, redelivery and transient failures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 50 }),
        atArb,
        async (ops, sizes, rewinds, flaky, at) => {
          const log = ops.map(toChange);
          // a fault-free delivery counts the bulk items; the faulted one fails the item at
          // `at` of them (it replays the same calls up to there), then follows `flaky`
          const run = async (firstFault: number) => {
            const { store, sink } = setup({ maxActions: 2 });
            let calls = 0;
            let fired = 0;
            store.intercept = () => {
              const i = calls++;
              if (
                i === firstFault ||
                (firstFault >= 0 && i > firstFault && flaky[i % flaky.length])
              ) {
                fired++;
                return { status: 503, error: { type: 'unavailable_shards_exception' } };
              }
              return undefined;
            };
            // deliver like an event source mapping: from the first unapplied offset, in
            // batches of varying size, sometimes rewinding (a crash before the checkpoint)
            let next = 0;
            let step = 0;
            while (next < log.length && step < 500) {
              const size = sizes[step % sizes.length] as number;
              const rewind = rewinds[step % rewinds.length] as number;
              step++;
              const start = Math.max(0, next - (step % 3 === 0 ? rewind : 0));
              const slice = log.slice(start, start + size);
              const result = await sink.apply(batch(slice));
              const retry = result.outcomes
                .filter((o) => o.status === 'retry')
                .map((o) => o.offset);
              next = retry.length > 0 ? Math.min(...retry) : Math.max(next, start + slice.length);
              if (step > 200) firstFault = -1;
            }
            expect(next).toBe(log.length);
            return { store, calls, fired };
          };
          const dry = await run(-1);
          const { store, fired } = await run(Math.floor(at * dry.calls));
          stats.record(fired > 0 ? ['bulk item'] : []);
          // a lone tombstone of a key never written sends nothing to fail
          if (dry.calls > 0) expect(fired, 'the first fault fired').toBeGreaterThan(0);
          const model = modelFold(log);
          for (const key of ['a', 'b', 'c']) {
            const expected = model.get(`customer#${key}`);
            const actual = stored(store, key);
            if (expected === undefined) expect(actual).toBeUndefined();
            else
              expect(actual).toMatchObject({
                ev: expected.ev,
                deleted: expected.deleted,
                data: expected.data,
                offset: expected.offset,
              });
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
  it('ends every key at the oracle state of the log without the changes reported poison, whatever the batching and transient failures', async () => {
    await fc.assert(
      fc.asyncProperty(
        // no Kafka tombstones: one erases a rejected upsert folded before it into an
        // accepted document, so that change is not poison in one batch and is in another
        fc.array(
          fc.record({ op: opArb.filter((op) => op.kind !== 'tombstone'), rejected: fc.boolean() }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 50 }),
        atArb,
        async (ops, sizes, flaky, at) => {
          const log = ops.map(({ op, rejected }, offset) => {
            const c = toChange(op, offset);
            return rejected && c.data !== undefined ? { ...c, data: { ...c.data, bad: true } } : c;
          });
          // as above: a fault-free delivery counts the items, the faulted one fails the
          // item at `at` of them, then follows `flaky`
          const run = async (firstFault: number) => {
            const { store, sink } = setup({ maxActions: 2 });
            let calls = 0;
            let fired = 0;
            let calm = false;
            store.intercept = (a) => {
              if ((a.source.data as Record<string, unknown> | undefined)?.bad === true)
                return { status: 400, error: { type: 'mapper_parsing_exception' } };
              const i = calls++;
              const flakyNow = firstFault >= 0 && i > firstFault && flaky[i % flaky.length];
              if (!calm && (i === firstFault || flakyNow)) {
                fired++;
                return { status: 503, error: { type: 'unavailable_shards_exception' } };
              }
              return undefined;
            };
            // the engine: from the first unapplied offset, re-applying what was retry
            let next = 0;
            const poison = new Set<number>();
            for (let step = 0; next < log.length && step < 300; step++) {
              const slice = log.slice(next, next + (sizes[step % sizes.length] as number));
              const result = await sink.apply(batch(slice));
              for (const o of result.outcomes) if (o.status === 'poison') poison.add(o.offset);
              calm = step > 200;
              const retry = result.outcomes
                .filter((o) => o.status === 'retry')
                .map((o) => o.offset);
              next = retry.length > 0 ? Math.min(...retry) : next + slice.length;
            }
            expect(next).toBe(log.length);
            return { store, calls, fired, poison };
          };
          const dry = await run(-1);
          const { store, fired, poison } = await run(Math.floor(at * dry.calls));
          stats.record(fired > 0 ? ['bulk item'] : []);
          // every document is rejected: no bulk item reaches the fault injection
          if (dry.calls > 0) expect(fired, 'the first fault fired').toBeGreaterThan(0);
          // only documents OpenSearch rejects are poison (a rejected change folded into a
          // document that is accepted, e.g. deleted by a tombstone after it, is not)
          for (const offset of poison) expect(log[offset]?.data?.bad).toBe(true);
          const model = modelFold(log.filter((c) => !poison.has(c.coords.offset)));
          for (const key of ['a', 'b', 'c']) {
            const expected = model.get(`customer#${key}`);
            const actual = stored(store, key);
            if (expected === undefined) expect(actual).toBeUndefined();
            else
              expect(actual).toMatchObject({
                ev: expected.ev,
                deleted: expected.deleted,
                data: expected.data,
                offset: expected.offset,
              });
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
