/**
 * A segment S3 refuses (4xx) is poison the engine quarantines *after* the apply: the
 * sink's own checkpoint (set when an existing object reaches past the batch) must never
 * pass it, or a failed quarantine would lose the record.
 */
import { describe, expect, it } from 'vitest';
import { parseArchiveKey } from '../../../functions/core/archive/key.js';
import { decodeArchiveObject } from '../../../functions/core/archive/object.js';
import { noMetrics, silentLogger } from '../../../functions/core/engine/observability.js';
import { processEvent } from '../../../functions/core/engine/process-event.js';
import { DEFAULT_RETRY_POLICY } from '../../../functions/core/engine/retry-policy.js';
import { PoisonError, RetriableError } from '../../../functions/core/errors.js';
import { checkpointKey } from '../../../functions/core/ledger.js';
import { DEFAULT_DECODE_LIMITS } from '../../../functions/core/limits.js';
import type { Quarantine } from '../../../functions/core/quarantine.js';
import { S3ArchiveSink } from '../../../functions/sink-s3-archive/s3-archive-sink.js';
import { buildMskEvent, type FetchedRecord } from '../../../local/esm/event-builder.js';
import { MemoryArchiveStore, MemoryLedger, World } from './memory-world.js';

const TOPIC = 'orders';
const noWait = { now: () => 0, sleep: async () => {}, random: () => 0 };
const open = async () => {};

const records = (from: number, to: number): FetchedRecord[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    topic: TOPIC,
    partition: 0,
    offset: from + i,
    timestamp: Date.UTC(2026, 10, 26, 12) + i,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(`customer:${i}`),
    value: Buffer.from(JSON.stringify({ n: from + i })),
    headers: [],
  }));

/** S3 refusing (4xx) every object that starts at `offset`. */
class RefusingStore extends MemoryArchiveStore {
  constructor(
    world: World,
    private readonly offset: number,
  ) {
    super(world, open);
  }
  override async putIfAbsent(
    key: string,
    body: Uint8Array,
    metadata: Readonly<Record<string, string>>,
  ) {
    if (parseArchiveKey(key)?.startOffset === this.offset)
      throw new PoisonError('s3-write-rejected', `S3 PutObject ${key}: InvalidArgument (400)`);
    return super.putIfAbsent(key, body, metadata);
  }
}

const run = (
  world: World,
  name: string,
  fetched: readonly FetchedRecord[],
  store: MemoryArchiveStore,
  quarantine: Quarantine,
) => {
  const ledger = new MemoryLedger(world, open);
  return processEvent(buildMskEvent({ bootstrapServers: 'b:9092' }, fetched), {
    sink: new S3ArchiveSink({ name, prefix: 'arch', store, ledger }),
    ledger,
    quarantine,
    pipeline: { topics: {} },
    concurrency: 1,
    limits: DEFAULT_DECODE_LIMITS,
    retry: DEFAULT_RETRY_POLICY,
    clock: noWait,
    logger: silentLogger,
    metrics: noMetrics,
  });
};

describe('the S3 archive sink with records S3 refuses', () => {
  it('keeps its own checkpoint below a refused record when an existing object reaches past the batch', async () => {
    const world = new World();
    // an earlier archive run (another sink name) already holds offsets 12..20
    await run(world, 'earlier', records(12, 20), new MemoryArchiveStore(world, open), {
      put: async () => {},
    });
    const failingQuarantine: Quarantine = {
      put: async () => {
        throw new RetriableError('quarantine bucket unreachable');
      },
    };
    const first = await run(
      world,
      'archive',
      records(10, 13),
      new RefusingStore(world, 10),
      failingQuarantine,
    );
    // offsets 10..11 were refused and could not be quarantined: nothing may pass them
    expect(first.batchItemFailures).toEqual([
      { itemIdentifier: { partition: `${TOPIC}-0`, offset: 10 } },
    ]);
    const ckpt = world.checkpoints.get(
      checkpointKey({ sink: 'archive', topic: TOPIC, partition: 0 }),
    );
    expect(ckpt === undefined || ckpt < 10).toBe(true);
  });

  it('never quarantines nor rewrites records of an existing object that starts inside a refused batch, and the archive stays duplicate-free after it', async () => {
    const world = new World();
    const working = new MemoryArchiveStore(world, open);
    // an earlier archive run (another sink name) already holds offsets 12..20
    await run(world, 'earlier', records(12, 20), working, { put: async () => {} });
    const quarantined: number[] = [];
    const quarantine: Quarantine = {
      put: async (entries) => {
        quarantined.push(...entries.map((e) => e.offset));
      },
    };
    const unreachable: Quarantine = {
      put: async () => {
        throw new RetriableError('quarantine bucket unreachable');
      },
    };
    const p = `${TOPIC}-0`;
    // this sink is at 9 when S3 starts refusing the object from offset 10
    expect(await run(world, 'archive', records(0, 9), working, quarantine)).toEqual({
      batchItemFailures: [],
    });
    const refusing = new RefusingStore(world, 10);
    expect(await run(world, 'archive', records(10, 13), refusing, unreachable)).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: p, offset: 10 } }],
    });
    // the redelivery (a new execution environment) from the reported offset, quarantine back
    expect(await run(world, 'archive', records(10, 13), refusing, quarantine)).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: p, offset: 12 } }],
    });
    expect(await run(world, 'archive', records(12, 25), refusing, quarantine)).toEqual({
      batchItemFailures: [],
    });

    expect(quarantined).toEqual([10, 11]);
    const counts = new Map<number, number>();
    for (const obj of world.objects.values())
      for (const r of await decodeArchiveObject(obj.body))
        counts.set(r.offset, (counts.get(r.offset) ?? 0) + 1);
    const want = [
      ...Array.from({ length: 10 }, (_, i) => i),
      ...records(12, 25).map((r) => r.offset),
    ];
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(want);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
});
