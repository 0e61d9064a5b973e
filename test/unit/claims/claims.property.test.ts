import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ClaimsSink } from '../../../functions/claims/claims-sink.js';
import type { Decision } from '../../../functions/core/claims/decide.js';
import { silentLogger } from '../../../functions/core/engine/observability.js';
import type { MskEventRecord } from '../../../functions/core/msk-event.js';
import { createSinkHandler } from '../../../functions/runtime/sink-handler.js';
import { modelClaims } from '../../support/claims-model.js';
import { FaultStats } from '../../support/fault-stats.js';
import { drive, type Schedule } from '../core/support/esm-sim.js';
import { faultScheduleArb, scheduleArb } from '../core/support/histories.js';
import {
  FakeClock,
  FaultyLedger,
  FaultyQuarantine,
  InMemoryLedger,
  InMemoryQuarantine,
} from '../core/support/in-memory.js';
import { mskRecord } from '../core/support/msk.js';
import { FaultPlan, type FaultSchedule } from '../core/support/sinks.js';
import { faultyClaimStore, faultyPublisher, MemoryClaimStore, MemoryDecisions } from './memory.js';

/**
 * Claims decided by the single consumer of each value's partition (docs/claims.md):
 * random claims and releases of few values by few owners, with producer duplicates,
 * reused request ids and poison, delivered through the real engine with redelivery and
 * varying batches under a fault schedule over every call (reads, the commit, publishing,
 * the ledger, quarantine). The stored and published decisions equal the reference model
 * (test/support/claims-model.ts); every copy of a decision published is byte-identical;
 * a fault-free replay of the same log into empty stores stores the same bytes.
 * Reproduce a failure with FC_SEED=<seed printed below>.
 */
const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FC_RUNS ?? 400);
console.info(`claims properties: FC_SEED=${SEED} FC_RUNS=${RUNS}`);

const TOPIC = 'claims';
const SINK = 'claims';
const RETRY = { maxAttempts: 3, baseDelayMs: 10, safetyMarginMs: 0 };
const stats = new FaultStats();
afterAll(() => stats.flush());

const partitionOf = (key: string): number => (key.endsWith('a') || key.endsWith('c') ? 0 : 1);

type Drawn = {
  type: 'claim' | 'release';
  value: string;
  owner: string;
  reuse: number | null;
  twice: boolean;
  poison: boolean;
};
const historyArb: fc.Arbitrary<Drawn[]> = fc.array(
  fc.record({
    type: fc.constantFrom('claim' as const, 'claim' as const, 'release' as const),
    value: fc.constantFrom('a', 'b', 'c'),
    owner: fc.constantFrom('o1', 'o2', 'o3'),
    // some requests reuse an earlier request's id (a client retry, or a client bug)
    reuse: fc.option(fc.nat({ max: 20 }), { freq: 7 }),
    twice: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    poison: fc.integer({ min: 0, max: 12 }).map((n) => n === 0),
  }),
  { minLength: 1, maxLength: 16 },
);

function buildLog(history: readonly Drawn[]): Map<number, MskEventRecord[]> {
  const log = new Map<number, MskEventRecord[]>([
    [0, []],
    [1, []],
  ]);
  const append = (key: string, value: string) => {
    const partition = partitionOf(key);
    const list = log.get(partition) as MskEventRecord[];
    list.push(mskRecord({ topic: TOPIC, partition, offset: list.length, key, value }));
  };
  history.forEach((h, i) => {
    const key = `u:${h.value}`;
    if (h.poison) {
      append(key, i % 2 === 0 ? '{"type":' : JSON.stringify({ type: 'claim', requestId: `p${i}` }));
      return;
    }
    // an id is reused only on the same value (one partition): across partitions, which
    // use of an id comes first is a race no model can fix (docs/claims.md)
    const earlier = h.reuse !== null && h.reuse < i ? history[h.reuse] : undefined;
    const requestId =
      earlier !== undefined && earlier.value === h.value && !earlier.poison
        ? `r${h.reuse}`
        : `r${i}`;
    const body = JSON.stringify({
      type: h.type,
      requestId,
      namespace: 'u',
      value: h.value,
      owner: h.owner,
      requestedAt: '2026-12-03T10:00:00Z',
    });
    append(key, body);
    if (h.twice) append(key, body);
  });
  return log;
}

async function run(log: Map<number, MskEventRecord[]>, schedule: Schedule, plan: FaultPlan) {
  const store = new MemoryClaimStore();
  const decisions = new MemoryDecisions();
  const quarantine = new InMemoryQuarantine();
  const clock = new FakeClock();
  const handler = createSinkHandler({
    sink: new ClaimsSink({
      name: SINK,
      store: faultyClaimStore(store, plan),
      publisher: faultyPublisher(decisions, plan),
    }),
    ledger: new FaultyLedger(new InMemoryLedger(), plan),
    quarantine: new FaultyQuarantine(quarantine, plan),
    pipeline: { topics: {} },
    logger: silentLogger,
    metrics: { publish: () => {} },
    clock,
    retry: RETRY,
    concurrency: 2,
  });
  await drive(handler, log, schedule, clock);
  return { store, decisions, quarantine };
}

const text = (b64: string | null | undefined) =>
  b64 == null ? null : Buffer.from(b64, 'base64').toString();

describe('claims decided in log order by the consumer of their partition', () => {
  it('match the reference model, publish byte-identical copies and replay identically, under crashes between any two steps', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyArb,
        scheduleArb,
        scheduleArb,
        faultScheduleArb,
        async (history, schedule, replaySchedule, faults: FaultSchedule) => {
          const log = buildLog(history);
          const dry = new FaultPlan();
          await run(log, schedule, dry);
          const plan = FaultPlan.target(faults, dry.calls);
          const { store, decisions, quarantine } = await run(log, schedule, plan);
          stats.record(plan.points);
          expect(plan.log.length, 'the first fault of the schedule fired').toBeGreaterThan(0);

          const model = modelClaims(
            new Map(
              [...log].map(([p, rs]) => [
                p,
                rs.map((r) => ({ key: text(r.key), value: text(r.value) })),
              ]),
            ),
          );
          const stored = new Map(
            [...store.decisions].map(([id, json]) => [id, JSON.parse(json) as Decision]),
          );
          expect(
            Object.fromEntries(
              [...stored].map(([id, d]) => [id, { granted: d.granted, holder: d.holder }]),
            ),
          ).toEqual(Object.fromEntries(model.decisions));
          for (const [key, { holder }] of store.holders) {
            expect(holder?.owner, key).toBe(model.holders.get(key));
          }
          // every decision published, each copy the stored bytes
          const published = new Set(decisions.published);
          expect(published).toEqual(new Set(store.decisions.values()));
          expect(
            new Set([...quarantine.entries.values()].map((e) => `${e.partition}/${e.offset}`)),
          ).toEqual(model.poison);

          const replay = await run(log, replaySchedule, new FaultPlan());
          expect(replay.store.decisions).toEqual(store.decisions);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
