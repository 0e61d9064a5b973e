import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { PipelineConfig } from '../../../../functions/contract/pipeline.js';
import { silentLogger } from '../../../../functions/core/engine/observability.js';
import { checkpointKey } from '../../../../functions/core/ledger.js';
import type { MskEventRecord } from '../../../../functions/core/msk-event.js';
import type { Sink } from '../../../../functions/core/sink.js';
import { createSinkHandler } from '../../../../functions/runtime/sink-handler.js';
import { FaultStats } from '../../../support/fault-stats.js';
import { modelRun, modelTotals, type Versioning } from '../../../support/reference-model.js';
import { drive, type Schedule } from '../support/esm-sim.js';
import {
  buildLog,
  faultScheduleArb,
  type Log,
  scheduleArb,
  stepArb,
} from '../support/histories.js';
import {
  FakeClock,
  FaultyLedger,
  FaultyQuarantine,
  InMemoryLedger,
  InMemoryQuarantine,
} from '../support/in-memory.js';
import { mskRecord } from '../support/msk.js';
import {
  FaultPlan,
  type FaultSchedule,
  InMemoryAggregateSink,
  InMemoryStateSink,
} from '../support/sinks.js';

/**
 * The effectively-once rules (DESIGN §4): random non-empty histories over few keys,
 * producer duplicates, poison, redelivery from arbitrary offsets with varying batch
 * boundaries, and one fault schedule per run whose first fault strikes a store call drawn
 * uniformly over the run's calls (so every run fires one, on every kind of call), then
 * more. Every store is compared with the reference model (test/support/reference-model.ts).
 * Reproduce a failure with FC_SEED=<seed printed below> (and the path fast-check prints).
 */
const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FC_RUNS ?? 2_700);
console.info(`effectively-once properties: FC_SEED=${SEED} FC_RUNS=${RUNS}`);

const TOPIC = 'customers';
/** Big FC_RUNS (bug hunts) need more than the unit project's 60 s. */
const TIMEOUT_MS = Math.max(60_000, RUNS * 60);
const RETRY = { maxAttempts: 3, baseDelayMs: 10, safetyMarginMs: 0 };
const stats = new FaultStats();
afterAll(() => stats.flush());

interface World {
  readonly ledger: InMemoryLedger;
  readonly quarantine: InMemoryQuarantine;
}

/**
 * Delivers `log` once without faults to count the store calls, then again under the
 * schedule (its first fault lands on one of those calls), and asserts faults fired.
 */
async function deliverUnderFaults<W extends World>(
  log: ReadonlyMap<number, readonly MskEventRecord[]>,
  schedule: Schedule,
  faults: FaultSchedule,
  build: (plan: FaultPlan) => W & { sink: Sink; pipeline: PipelineConfig },
): Promise<W> {
  const run = async (plan: FaultPlan) => {
    const world = build(plan);
    const clock = new FakeClock();
    const handler = createSinkHandler({
      sink: world.sink,
      ledger: new FaultyLedger(world.ledger, plan),
      quarantine: new FaultyQuarantine(world.quarantine, plan),
      pipeline: world.pipeline,
      logger: silentLogger,
      metrics: { publish: () => {} },
      clock,
      retry: RETRY,
      concurrency: 2,
    });
    await drive(handler, log, schedule, clock);
    return world;
  };
  const dry = new FaultPlan();
  await run(dry);
  const plan = FaultPlan.target(faults, dry.calls);
  const world = await run(plan);
  stats.record(plan.points);
  expect(plan.log.length, 'the first fault of the schedule fired').toBeGreaterThan(0);
  return world;
}

const allRecords = (log: Log) => [...log.byPartition.values()].flat();

/** Quarantined records of `sink` by `partition/offset`, with their reason. */
const quarantined = (q: InMemoryQuarantine, sink: string): Map<string, string> =>
  new Map(
    [...q.entries.values()]
      .filter((e) => e.sink === sink)
      .map((e) => [`${e.partition}/${e.offset}`, e.reason]),
  );

function expectCheckpointsAtEnd(ledger: InMemoryLedger, sink: string, log: Log): void {
  for (const [partition, records] of log.byPartition) {
    const last = records[records.length - 1];
    if (last === undefined) continue;
    expect(ledger.checkpoints.get(checkpointKey({ sink, topic: TOPIC, partition }))).toBe(
      last.offset,
    );
  }
}

describe.each([
  ['source-versioned', 'source'],
  ['log-ordered', 'log'],
] as const)('a state sink on a %s topic', (_label, versioning: Versioning) => {
  const pipeline: PipelineConfig = { topics: { [TOPIC]: { versioning } } };

  it(
    'ends equal to the reference model with every poison record quarantined exactly once, with its reason, whatever the delivery and faults',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc
            .array(stepArb, { minLength: 1, maxLength: 30 })
            .filter((steps) => steps.some((s) => s.kind !== 'dup')),
          fc.nat({ max: 3 }),
          scheduleArb,
          faultScheduleArb,
          async (steps, base, schedule, faults) => {
            const log = buildLog(steps, TOPIC, base * 1000);
            const world = await deliverUnderFaults(log.byPartition, schedule, faults, (plan) => ({
              sink: new InMemoryStateSink('view', plan),
              ledger: new InMemoryLedger(),
              quarantine: new InMemoryQuarantine(),
              pipeline,
            }));
            const model = modelRun(allRecords(log), versioning);
            expect((world.sink as InMemoryStateSink).store).toEqual(model.view);
            expect(quarantined(world.quarantine, 'view')).toEqual(model.poison);
            expect(new Set(model.poison.keys())).toEqual(log.poison);
            expectCheckpointsAtEnd(world.ledger, 'view', log);
          },
        ),
        { seed: SEED, numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});

describe('an aggregate (delta) sink', () => {
  const pipeline: PipelineConfig = { topics: {} };
  const amountStep = fc.record({
    key: fc.constantFrom('a', 'b', 'c', 'd'),
    amount: fc.integer({ min: -50, max: 100 }),
    dupOf: fc.option(fc.nat({ max: 30 }), { freq: 4 }),
    poison: fc.nat({ max: 9 }).map((n) => n < 2),
  });
  type AmountStep = typeof amountStep extends fc.Arbitrary<infer T> ? T : never;

  /** Upserts of `{ amount }` (producer duplicates re-send an earlier record's bytes). */
  function amountLog(steps: readonly AmountStep[]): Log {
    const byPartition = new Map<number, MskEventRecord[]>([
      [0, []],
      [1, []],
    ]);
    const poison = new Set<string>();
    const values: { id: string; key: string; amount: number; poison: boolean; version: number }[] =
      [];
    steps.forEach((s, i) => {
      const original = s.dupOf === null ? undefined : values[s.dupOf % Math.max(1, values.length)];
      const v = original ?? {
        id: `o${i}`,
        key: s.key,
        amount: s.amount,
        poison: s.poison,
        version: i,
      };
      values.push(v);
      const partition = v.key === 'a' || v.key === 'c' ? 0 : 1;
      const list = byPartition.get(partition) as MskEventRecord[];
      const offset = list.length;
      const value = v.poison
        ? '{"truncated'
        : {
            id: v.id,
            entity: 'customer',
            key: v.key,
            op: 'upsert',
            version: v.version,
            ts: '2026-11-26T10:00:00Z',
            data: { amount: v.amount },
          };
      list.push(
        mskRecord({
          topic: TOPIC,
          partition,
          offset,
          key: `customer:${v.key}`,
          value,
          timestamp: 1_795_687_200_000,
        }),
      );
      if (v.poison) poison.add(`${partition}/${offset}`);
    });
    return { byPartition, poison };
  }

  it(
    'ends with the reference model totals over distinct event ids, whatever the delivery and faults',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(amountStep, { minLength: 1, maxLength: 30 }),
          fc.integer({ min: 1, max: 4 }),
          scheduleArb,
          faultScheduleArb,
          async (steps, chunkSize, schedule, faults) => {
            const log = amountLog(steps);
            const world = await deliverUnderFaults(log.byPartition, schedule, faults, (plan) => {
              const ledger = new InMemoryLedger();
              const sink = new InMemoryAggregateSink(ledger, 'aggregates', plan, chunkSize);
              return { sink, ledger, quarantine: new InMemoryQuarantine(), pipeline };
            });
            const model = modelRun(allRecords(log), 'source');
            expect((world.sink as InMemoryAggregateSink).totals).toEqual(
              modelTotals(model.changes, 'amount'),
            );
            expect(quarantined(world.quarantine, 'aggregates')).toEqual(model.poison);
            expectCheckpointsAtEnd(world.ledger, 'aggregates', log);
          },
        ),
        { seed: SEED, numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});
