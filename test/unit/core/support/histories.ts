import fc from 'fast-check';
import type { MskEventRecord } from '../../../../functions/core/msk-event.js';
import { mskRecord } from './msk.js';
import type { FaultSchedule } from './sinks.js';

export const KEYS = ['a', 'b', 'c', 'd'] as const;
/** Keys never move partitions (DESIGN §3.1): a fixed key → partition map. */
export const partitionOf = (key: string): number => (key === 'a' || key === 'c' ? 0 : 1);

export type Step =
  | {
      readonly kind: 'upsert' | 'patch';
      readonly key: string;
      readonly version: number;
      readonly n: number;
    }
  | { readonly kind: 'delete'; readonly key: string; readonly version: number }
  | { readonly kind: 'tombstone'; readonly key: string }
  | { readonly kind: 'poison'; readonly key: string; readonly variant: number }
  /** the producer sent an earlier record again (same id, same bytes) */
  | { readonly kind: 'dup'; readonly of: number };

const key = fc.constantFrom(...KEYS);
const version = fc.nat({ max: 8 });

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('upsert' as const),
      key,
      version,
      n: fc.nat({ max: 99 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('patch' as const),
      key,
      version,
      n: fc.nat({ max: 99 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key, version }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tombstone' as const), key }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('poison' as const),
      key,
      variant: fc.nat({ max: 5 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('dup' as const), of: fc.nat({ max: 40 }) }),
  },
);

export interface Log {
  readonly byPartition: Map<number, MskEventRecord[]>;
  /** offsets (per partition) of the records built to be poison */
  readonly poison: Set<string>;
}

/** Poison that is poison whatever the topic's versioning. */
function poisonValue(
  variant: number,
  k: string,
  i: number,
): { key: string; value: Buffer | string | object } | 'bad-base64' {
  switch (variant) {
    case 0:
      return { key: `customer:${k}`, value: '{"id":' };
    case 1:
      return { key: `customer:${k}`, value: [1, 2] };
    case 2:
      return {
        key: `customer:${k}`,
        value: {
          id: `p${i}`,
          entity: 'customer',
          key: k,
          op: 'merge',
          version: 1,
          ts: '2026-11-26T10:00:00Z',
          data: {},
        },
      };
    case 3:
      return {
        key: `customer:${k}`,
        value: {
          id: `p${i}`,
          entity: 'customer',
          key: `${k}x`,
          op: 'upsert',
          version: 1,
          ts: '2026-11-26T10:00:00Z',
          data: {},
        },
      };
    case 4:
      return { key: `customer:${k}`, value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) };
    default:
      return 'bad-base64';
  }
}

/**
 * Builds the Kafka log of a history: native envelopes keyed `customer:<key>`, tombstones,
 * poison, producer duplicates; partition offsets start at `base`.
 */
export function buildLog(steps: readonly Step[], topic: string, base = 0): Log {
  const byPartition = new Map<number, MskEventRecord[]>([
    [0, []],
    [1, []],
  ]);
  const poison = new Set<string>();
  const built: { partition: number; record: MskEventRecord; poison: boolean }[] = [];
  steps.forEach((step, i) => {
    let partition: number;
    let record: MskEventRecord;
    let isPoison = false;
    const next = (p: number) => base + (byPartition.get(p)?.length ?? 0);
    if (step.kind === 'dup') {
      const original = built[step.of % Math.max(1, built.length)];
      if (original === undefined) return;
      partition = original.partition;
      record = { ...structuredClone(original.record), offset: next(partition) };
      isPoison = original.poison;
    } else if (step.kind === 'poison') {
      partition = partitionOf(step.key);
      const spec = poisonValue(step.variant, step.key, i);
      record =
        spec === 'bad-base64'
          ? {
              ...mskRecord({
                topic,
                partition,
                offset: next(partition),
                key: `customer:${step.key}`,
                value: 'x',
              }),
              value: 'eyJ*',
            }
          : mskRecord({
              topic,
              partition,
              offset: next(partition),
              key: spec.key,
              value: spec.value,
            });
      isPoison = true;
    } else {
      partition = partitionOf(step.key);
      const k = `customer:${step.key}`;
      const value =
        step.kind === 'tombstone'
          ? null
          : {
              id: `e${i}`,
              entity: 'customer',
              key: step.key,
              op: step.kind,
              version: step.version,
              ts: '2026-11-26T10:00:00Z',
              ...(step.kind === 'delete'
                ? {}
                : {
                    data: step.kind === 'upsert' ? { n: step.n, [`u${i}`]: true } : { p: step.n },
                  }),
            };
      record = mskRecord({ topic, partition, offset: next(partition), key: k, value });
    }
    byPartition.get(partition)?.push(record);
    built.push({ partition, record, poison: isPoison });
    if (isPoison) poison.add(`${partition}/${record.offset}`);
  });
  return { byPartition, poison };
}

export const scheduleArb = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
  rewinds: fc.array(fc.option(fc.tuple(fc.nat({ max: 1 }), fc.nat({ max: 30 })), { freq: 4 }), {
    maxLength: 12,
  }),
  masks: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 8 }),
});

/**
 * A fault schedule (see sinks.ts `FaultPlan.target`): a first fault on a store call drawn
 * uniformly over the calls of the run, then runs of faults (a throttled table stays
 * throttled for a while), so that some outlast the engine's retries and end as batch item
 * failures.
 */
export const faultScheduleArb: fc.Arbitrary<FaultSchedule> = fc.record({
  // unbiased: fast-check favours small numbers, which would crash the first call most
  at: fc.noBias(fc.integer({ min: 0, max: 2 ** 30 - 1 })).map((n) => n / 2 ** 30),
  first: fc.constantFrom(
    'retry-before' as const,
    'retry-after' as const,
    'crash-before' as const,
    'crash-after' as const,
  ),
  after: fc
    .array(
      fc.tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.constant('ok' as const) },
          {
            weight: 2,
            arbitrary: fc.constantFrom('retry-before' as const, 'retry-after' as const),
          },
          {
            weight: 1,
            arbitrary: fc.constantFrom('crash-before' as const, 'crash-after' as const),
          },
        ),
        fc.integer({ min: 1, max: 5 }),
      ),
      { maxLength: 8 },
    )
    .map((runs) => runs.flatMap(([fault, n]) => Array.from({ length: n }, () => fault))),
});
