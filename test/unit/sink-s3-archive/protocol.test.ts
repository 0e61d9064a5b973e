/**
 * The archive protocol under every failure the pipeline can throw at it, run through the
 * real engine (processEvent) with an in-memory bucket and ledger: random logs (offset
 * holes, timestamps across days), random batch boundaries, crashes after any S3 or ledger
 * operation, redelivery from behind the checkpoint, concurrent invocations for one
 * partition (rebalances) interleaved at every await, deliveries that skip records, and a
 * lost ledger. The archive must end up holding every delivered offset exactly once, with
 * the bytes that were sent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArchiveKey } from '../../../functions/core/archive/key.js';
import { decodeArchiveObject } from '../../../functions/core/archive/object.js';
import { ArchiveVerifier } from '../../../functions/core/archive/verify.js';
import { noMetrics, silentLogger } from '../../../functions/core/engine/observability.js';
import { processEvent } from '../../../functions/core/engine/process-event.js';
import { DEFAULT_RETRY_POLICY } from '../../../functions/core/engine/retry-policy.js';
import { DEFAULT_DECODE_LIMITS } from '../../../functions/core/limits.js';
import type { MskBatchResponse } from '../../../functions/core/msk-event.js';
import { S3ArchiveSink } from '../../../functions/sink-s3-archive/s3-archive-sink.js';
import { buildMskEvent, type FetchedRecord } from '../../../local/esm/event-builder.js';
import {
  Crash,
  type Gate,
  MemoryArchiveStore,
  MemoryLedger,
  MemoryQuarantine,
  World,
} from './memory-world.js';

const TOPIC = 'orders';
/** Reproduce a failure with FC_SEED=<the seed printed> (and the path fast-check prints). */
const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FC_RUNS ?? 250);
console.info(`archive protocol properties: FC_SEED=${SEED} FC_RUNS=${RUNS}`);

/** A partition's log: ascending offsets with holes, timestamps that cross days and jitter. */
const logArb = fc
  .record({
    base: fc.nat({ max: 30 }),
    steps: fc.array(
      fc.record({
        gap: fc.oneof(fc.constant(1), fc.constant(1), fc.integer({ min: 2, max: 4 })),
        dt: fc.integer({ min: -2 * 3_600_000, max: 9 * 3_600_000 }),
      }),
      { minLength: 1, maxLength: 90 },
    ),
    values: fc.array(
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? null),
        fc.constant(null),
        fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a).toString('latin1')),
      ),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map(({ base, steps, values }): FetchedRecord[] => {
    let offset = base;
    let ts = Date.UTC(2026, 10, 26, 20);
    return steps.map((s, i) => {
      if (i > 0) offset += s.gap;
      ts += s.dt;
      const v = values[i % values.length] ?? null;
      return {
        topic: TOPIC,
        partition: 0,
        offset,
        timestamp: ts,
        timestampType: 'CREATE_TIME',
        key: Buffer.from(`customer:${i % 7}`),
        value: v === null ? null : Buffer.from(v, i % 3 === 0 ? 'latin1' : 'utf8'),
        headers: i % 4 === 0 ? [['trace', Buffer.from([i & 0xff, 0xc3])]] : [],
      };
    });
  });

/** Half the logs without offset holes: every batch that follows the checkpoint takes the normal path. */
const anyLogArb = fc.oneof(
  logArb,
  logArb.map((log) => log.map((r, i) => ({ ...r, offset: (log[0]?.offset ?? 0) + i }))),
);

type Action =
  | { kind: 'deliver'; size: number; crashAt: number | null; warm: boolean }
  | {
      kind: 'rebalance';
      sizeA: number;
      sizeB: number;
      crashA: number | null;
      crashB: number | null;
    }
  | { kind: 'rewind'; by: number }
  | { kind: 'skip'; n: number }
  | { kind: 'lose-ledger' };

const crashArb = fc.option(fc.integer({ min: 1, max: 9 }), { nil: null, freq: 2 });
const actionArb = (withSkips: boolean): fc.Arbitrary<Action> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('deliver' as const),
        size: fc.integer({ min: 1, max: 30 }),
        crashAt: crashArb,
        warm: fc.boolean(),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('rebalance' as const),
        sizeA: fc.integer({ min: 1, max: 30 }),
        sizeB: fc.integer({ min: 1, max: 30 }),
        crashA: crashArb,
        crashB: crashArb,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('rewind' as const),
        by: fc.integer({ min: 1, max: 20 }),
      }),
    },
    ...(withSkips
      ? [
          {
            weight: 2,
            arbitrary: fc.record({
              kind: fc.constant('skip' as const),
              n: fc.integer({ min: 1, max: 10 }),
            }),
          },
          { weight: 2, arbitrary: fc.constant({ kind: 'lose-ledger' as const }) },
        ]
      : []),
  );

const noWait = { now: () => 0, sleep: async () => {}, random: () => 0 };

/** A Lambda execution environment: the sink (and its caches) live as long as it does. */
interface Container {
  readonly sink: S3ArchiveSink;
  readonly ledger: MemoryLedger;
  gate: Gate;
}

class Pipeline {
  readonly world = new World();
  pos = 0;
  ledgerGeneration = 0;
  readonly skipped = new Set<number>();
  private warm: Container | null = null;

  constructor(
    readonly log: readonly FetchedRecord[],
    readonly scheduler: fc.Scheduler | null,
  ) {}

  private container(): Container {
    const c: Container = { gate: async () => {} } as unknown as Container;
    const gate: Gate = (op) => c.gate(op);
    const ledger = new MemoryLedger(this.world, gate);
    const store = new MemoryArchiveStore(this.world, gate);
    const name = `archive${this.ledgerGeneration}`;
    return Object.assign(c, {
      ledger,
      sink: new S3ArchiveSink({ name, prefix: 'arch', store, ledger }),
    });
  }

  /** one Lambda invocation for `records`, in a warm or fresh container */
  async invoke(
    records: readonly FetchedRecord[],
    crashAt: number | null,
    warm: boolean,
  ): Promise<MskBatchResponse | 'crashed'> {
    const reuse =
      warm && this.warm !== null && this.warm.sink.name === `archive${this.ledgerGeneration}`;
    const c = reuse && this.warm !== null ? this.warm : this.container();
    let ops = 0;
    c.gate = async () => {
      ops++;
      if (this.scheduler !== null) await this.scheduler.schedule(Promise.resolve());
      if (crashAt !== null && ops === crashAt) throw new Crash(`crash after operation ${ops}`);
    };
    const run = processEvent(buildMskEvent({ bootstrapServers: 'b:9092' }, records), {
      sink: c.sink,
      ledger: c.ledger,
      quarantine: new MemoryQuarantine(this.world),
      pipeline: { topics: {} },
      concurrency: 2,
      limits: DEFAULT_DECODE_LIMITS,
      retry: DEFAULT_RETRY_POLICY,
      clock: noWait,
      logger: silentLogger,
      metrics: noMetrics,
    });
    try {
      const res = await run;
      this.warm = c;
      return res;
    } catch (err) {
      if (!(err instanceof Crash)) throw err;
      if (this.warm === c) this.warm = null;
      return 'crashed';
    }
  }

  private settle<T>(p: Promise<T>): Promise<T> {
    return this.scheduler === null ? p : this.scheduler.waitFor(p);
  }

  /** where the consumer resumes after an invocation's answer */
  nextPos(
    from: number,
    batch: readonly FetchedRecord[],
    res: MskBatchResponse | 'crashed',
  ): number {
    if (res === 'crashed') return from;
    const failure = res.batchItemFailures[0];
    if (failure === undefined) return from + batch.length;
    return this.log.findIndex((r) => r.offset === failure.itemIdentifier.offset);
  }

  async run(action: Action): Promise<void> {
    const at = this.pos;
    switch (action.kind) {
      case 'deliver': {
        const batch = this.log.slice(at, at + action.size);
        if (batch.length === 0) return;
        this.pos = this.nextPos(
          at,
          batch,
          await this.settle(this.invoke(batch, action.crashAt, action.warm)),
        );
        return;
      }
      case 'rebalance': {
        const a = this.log.slice(at, at + action.sizeA);
        const b = this.log.slice(at, at + action.sizeB);
        if (a.length === 0) return;
        const both = Promise.all([
          this.invoke(a, action.crashA, false),
          this.invoke(b, action.crashB, false),
        ]);
        const [ra, rb] = await this.settle(both);
        this.pos = Math.max(this.nextPos(at, a, ra), this.nextPos(at, b, rb));
        return;
      }
      case 'rewind':
        this.pos = Math.max(0, at - action.by);
        return;
      case 'skip':
        // the mapping gave up on these records (retries exhausted) and moved on
        for (const r of this.log.slice(at, at + action.n)) this.skipped.add(r.offset);
        this.pos = Math.min(this.log.length, at + action.n);
        return;
      case 'lose-ledger':
        // a new ledger (or sink name) replays the topic from the start over the same archive,
        // holes left by skipped records included
        this.ledgerGeneration++;
        this.pos = 0;
        return;
    }
  }

  async drain(): Promise<void> {
    for (let guard = 0; this.pos < this.log.length && guard < 200; guard++) {
      await this.run({ kind: 'deliver', size: 25, crashAt: null, warm: true });
    }
    expect(this.pos).toBe(this.log.length);
  }

  /** offset → how many times archived, and every archived line equals the record sent */
  async archived(): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    const byOffset = new Map(this.log.map((r) => [r.offset, r]));
    const verifier = new ArchiveVerifier(TOPIC);
    const keys = [...this.world.objects.keys()].sort(
      (x, y) => (parseArchiveKey(x)?.startOffset ?? 0) - (parseArchiveKey(y)?.startOffset ?? 0),
    );
    for (const key of keys) {
      const obj = this.world.objects.get(key);
      const id = parseArchiveKey(key);
      if (obj === undefined || id === null) throw new Error(`unexpected key ${key}`);
      verifier.beginObject({
        key,
        id,
        declared: {
          startOffset: Number(obj.metadata['start-offset']),
          endOffset: Number(obj.metadata['end-offset']),
          recordCount: Number(obj.metadata['record-count']),
        },
      });
      for (const rec of await decodeArchiveObject(obj.body)) {
        verifier.record(rec);
        counts.set(rec.offset, (counts.get(rec.offset) ?? 0) + 1);
        const sent = byOffset.get(rec.offset);
        expect(sent, `offset ${rec.offset} was never sent`).toBeDefined();
        expect(rec.value).toEqual(sent?.value);
        expect(rec.key).toEqual(sent?.key);
        expect(rec.timestamp).toBe(sent?.timestamp);
        expect(rec.headers.map((h) => [h.key, h.value])).toEqual(
          sent?.headers.map(([k, v]) => [k, v]),
        );
      }
      verifier.endObject();
    }
    // objects agree with their keys and metadata (duplicates/gaps are checked by the caller)
    expect(verifier.finish().problems.filter((p) => !/duplicate|gap/.test(p))).toEqual([]);
    return counts;
  }
}

describe('the S3 archive protocol', () => {
  it('archives every offset exactly once through crashes, redeliveries with new boundaries and rebalances', async () => {
    await fc.assert(
      fc.asyncProperty(
        logArb,
        fc.array(actionArb(false), { maxLength: 14 }),
        fc.scheduler(),
        async (log, actions, s) => {
          const p = new Pipeline(log, s);
          for (const action of actions) await p.run(action);
          await p.drain();
          const counts = await p.archived();
          expect([...counts.keys()].sort((a, b) => a - b)).toEqual(log.map((r) => r.offset));
          expect([...counts.values()].every((n) => n === 1)).toBe(true);
          expect(p.world.quarantined).toEqual([]);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('never archives an offset twice, even when deliveries skip records or the ledger is lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyLogArb,
        fc.array(actionArb(true), { maxLength: 14 }),
        fc.scheduler(),
        async (log, actions, s) => {
          const p = new Pipeline(log, s);
          for (const action of actions) await p.run(action);
          await p.drain();
          const counts = await p.archived();
          for (const [offset, n] of counts) expect(n, `offset ${offset}`).toBe(1);
          for (const r of log)
            if (!p.skipped.has(r.offset))
              expect(counts.get(r.offset), `offset ${r.offset}`).toBe(1);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('a replay from offset 0 with a new ledger over an archive with holes fills them and archives every offset once, whatever its batch boundaries', async () => {
    const liveArb = fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant('deliver' as const),
          size: fc.integer({ min: 1, max: 30 }),
          crashAt: crashArb,
          warm: fc.boolean(),
        }),
        fc.record({ kind: fc.constant('skip' as const), n: fc.integer({ min: 1, max: 10 }) }),
      ),
      { minLength: 1, maxLength: 12 },
    );
    // the replay skips nothing: at the end every offset of the log must be archived once
    const replayArb = fc.array(actionArb(false), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        anyLogArb,
        liveArb,
        replayArb,
        fc.scheduler(),
        async (log, live, replay, s) => {
          const p = new Pipeline(log, s);
          for (const action of live) await p.run(action);
          await p.run({ kind: 'lose-ledger' });
          for (const action of replay) await p.run(action);
          await p.drain();
          const counts = await p.archived();
          expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
          expect([...counts.keys()].sort((a, b) => a - b)).toEqual(log.map((r) => r.offset));
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('replays from offset 0 with a new ledger over an archive with a hole without archiving an offset twice', async () => {
    const log = (await fc.sample(logArb, { numRuns: 1, seed: 7 }))[0] as FetchedRecord[];
    const contiguous = Array.from({ length: 60 }, (_, i) => ({
      ...(log[i % log.length] as FetchedRecord),
      offset: i,
      timestamp: Date.UTC(2026, 10, 26, 12) + i,
    }));
    const p = new Pipeline(contiguous, null);
    for (const action of [
      { kind: 'deliver', size: 20, crashAt: null, warm: true },
      { kind: 'skip', n: 5 },
      { kind: 'deliver', size: 35, crashAt: null, warm: true },
      { kind: 'lose-ledger' },
      { kind: 'deliver', size: 10, crashAt: null, warm: false },
      { kind: 'deliver', size: 30, crashAt: null, warm: false },
    ] as const satisfies readonly Action[])
      await p.run(action);
    await p.drain();
    const counts = await p.archived();
    // 20..24 were skipped by the live run and archived by the replay: every offset once
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(counts.size).toBe(60);
  });

  it('writes exactly one object per partition batch on the normal path', async () => {
    await fc.assert(
      fc.asyncProperty(
        logArb,
        fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 10 }),
        async (log, sizes) => {
          const contiguous = log.map((r, i) => ({ ...r, offset: 1_000 + i }));
          const p = new Pipeline(contiguous, null);
          let batches = 0;
          for (const size of sizes) {
            if (p.pos >= contiguous.length) break;
            await p.run({ kind: 'deliver', size, crashAt: null, warm: false });
            batches++;
          }
          // the first batch has no checkpoint yet and lists the (empty) folder once; then none
          expect(p.world.puts).toBe(batches);
          expect(p.world.objects.size).toBe(batches);
        },
      ),
      { numRuns: 100, seed: SEED },
    );
  });
});
