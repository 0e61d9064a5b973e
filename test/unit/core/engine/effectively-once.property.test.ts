import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PipelineConfig, TopicSettings } from '../../../../functions/contract/pipeline.js';
import type { Change } from '../../../../functions/core/change.js';
import { silentLogger } from '../../../../functions/core/engine/observability.js';
import { decodeChange } from '../../../../functions/core/envelope/decode-change.js';
import { PoisonError } from '../../../../functions/core/errors.js';
import { checkpointKey } from '../../../../functions/core/ledger.js';
import { DEFAULT_DECODE_LIMITS } from '../../../../functions/core/limits.js';
import { decodeRecord } from '../../../../functions/core/msk-decode.js';
import type { MskEventRecord } from '../../../../functions/core/msk-event.js';
import { entityKey, foldChanges, type ViewState } from '../../../../functions/core/view-state.js';
import { createSinkHandler } from '../../../../functions/runtime/sink-handler.js';
import { drive } from '../support/esm-sim.js';
import { buildLog, faultsArb, type Log, scheduleArb, stepArb } from '../support/histories.js';
import {
  FakeClock,
  FaultyLedger,
  FaultyQuarantine,
  InMemoryLedger,
  InMemoryQuarantine,
} from '../support/in-memory.js';
import { FaultPlan, InMemoryAggregateSink, InMemoryStateSink } from '../support/sinks.js';

/**
 * The effectively-once rules (DESIGN §4, issue §4): random histories over few keys,
 * producer duplicates, poison, redelivery from arbitrary offsets with varying batch
 * boundaries, retriable failures and crashes injected before/after any store call.
 * Reproduce a failure with FC_SEED=<seed printed below> (and the path fast-check prints).
 */
const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FC_RUNS ?? 700);
console.info(`effectively-once properties: FC_SEED=${SEED} FC_RUNS=${RUNS}`);

const TOPIC = 'customers';
/** Big FC_RUNS (bug hunts) need more than the unit project's 60 s. */
const TIMEOUT_MS = Math.max(60_000, RUNS * 60);
const RETRY = { maxAttempts: 3, baseDelayMs: 10, safetyMarginMs: 0 };

/** Oracle: every valid record decoded and folded per key in offset order. */
function oracle(log: Log, settings: TopicSettings): Map<string, ViewState> {
  const byKey = new Map<string, Change[]>();
  for (const records of log.byPartition.values()) {
    for (const raw of records) {
      const decoded = decodeRecord(raw, DEFAULT_DECODE_LIMITS);
      if (decoded.poison !== undefined) continue;
      let change: Change;
      try {
        change = decodeChange(decoded.record, settings, DEFAULT_DECODE_LIMITS);
      } catch (err) {
        if (err instanceof PoisonError) continue;
        throw err;
      }
      const k = entityKey(change);
      byKey.set(k, [...(byKey.get(k) ?? []), change]);
    }
  }
  const states = new Map<string, ViewState>();
  for (const [k, changes] of byKey) {
    const state = foldChanges(undefined, changes);
    if (state !== undefined) states.set(k, state);
  }
  return states;
}

const quarantinedSet = (q: InMemoryQuarantine, sink: string): Set<string> =>
  new Set(
    [...q.entries.values()].filter((e) => e.sink === sink).map((e) => `${e.partition}/${e.offset}`),
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
] as const)('a state sink on a %s topic', (_label, versioning) => {
  const settings: TopicSettings = { versioning };
  const pipeline: PipelineConfig = { topics: { [TOPIC]: settings } };

  it(
    'ends equal to the oracle with every poison record quarantined exactly once, whatever the delivery',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(stepArb, { maxLength: 30 }),
          fc.nat({ max: 3 }),
          scheduleArb,
          faultsArb,
          async (steps, base, schedule, faults) => {
            const log = buildLog(steps, TOPIC, base * 1000);
            const plan = new FaultPlan(faults);
            const ledger = new InMemoryLedger();
            const quarantine = new InMemoryQuarantine();
            const sink = new InMemoryStateSink('view', plan);
            const clock = new FakeClock();
            const handler = createSinkHandler({
              sink,
              ledger: new FaultyLedger(ledger, plan),
              quarantine: new FaultyQuarantine(quarantine, plan),
              pipeline,
              logger: silentLogger,
              metrics: { publish: () => {} },
              clock,
              retry: RETRY,
              concurrency: 2,
            });
            await drive(handler, log.byPartition, schedule, clock);

            expect(sink.store).toEqual(oracle(log, settings));
            expect(quarantinedSet(quarantine, 'view')).toEqual(log.poison);
            expectCheckpointsAtEnd(ledger, 'view', log);
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

  it(
    'ends with exact totals over distinct event ids, whatever the delivery',
    async () => {
      const amountStep = fc.record({
        key: fc.constantFrom('a', 'b', 'c', 'd'),
        amount: fc.integer({ min: -50, max: 100 }),
        dupOf: fc.option(fc.nat({ max: 30 }), { freq: 4 }),
        poison: fc.nat({ max: 9 }).map((n) => n < 2),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(amountStep, { maxLength: 30 }),
          fc.integer({ min: 1, max: 4 }),
          scheduleArb,
          faultsArb,
          async (steps, chunkSize, schedule, faults) => {
            const byPartition = new Map<number, MskEventRecord[]>([
              [0, []],
              [1, []],
            ]);
            const poison = new Set<string>();
            const expected = new Map<string, number>();
            const seen = new Set<string>();
            const values: { id: string; key: string; amount: number; poison: boolean }[] = [];
            steps.forEach((s, i) => {
              const original =
                s.dupOf === null ? undefined : values[s.dupOf % Math.max(1, values.length)];
              const v = original ?? { id: `o${i}`, key: s.key, amount: s.amount, poison: s.poison };
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
                    version: i,
                    ts: '2026-11-26T10:00:00Z',
                    data: { amount: v.amount },
                  };
              list.push({
                topic: TOPIC,
                partition,
                offset,
                timestamp: 1_795_687_200_000,
                timestampType: 'CREATE_TIME',
                key: Buffer.from(`customer:${v.key}`).toString('base64'),
                value: Buffer.from(
                  typeof value === 'string' ? value : JSON.stringify(value),
                ).toString('base64'),
                headers: [],
              });
              if (v.poison) poison.add(`${partition}/${offset}`);
              else if (!seen.has(v.id)) {
                seen.add(v.id);
                expected.set(
                  `customer#${v.key}`,
                  (expected.get(`customer#${v.key}`) ?? 0) + v.amount,
                );
              }
            });

            const plan = new FaultPlan(faults);
            const ledger = new InMemoryLedger();
            const quarantine = new InMemoryQuarantine();
            const sink = new InMemoryAggregateSink(ledger, 'aggregates', plan, chunkSize);
            const clock = new FakeClock();
            const handler = createSinkHandler({
              sink,
              ledger: new FaultyLedger(ledger, plan),
              quarantine: new FaultyQuarantine(quarantine, plan),
              pipeline,
              logger: silentLogger,
              metrics: { publish: () => {} },
              clock,
              retry: RETRY,
            });
            await drive(handler, byPartition, schedule, clock);

            expect(sink.totals).toEqual(expected);
            expect(quarantinedSet(quarantine, 'aggregates')).toEqual(poison);
            expectCheckpointsAtEnd(ledger, 'aggregates', { byPartition, poison });
          },
        ),
        { seed: SEED, numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});
