/**
 * Which requests the archive sink makes for a batch: the normal path is one PutObject;
 * listings only where the process cannot know what exists (docs/sink-s3-archive.md).
 */
import { describe, expect, it } from 'vitest';
import { noMetrics, silentLogger } from '../../../functions/core/engine/observability.js';
import { processEvent } from '../../../functions/core/engine/process-event.js';
import { DEFAULT_RETRY_POLICY } from '../../../functions/core/engine/retry-policy.js';
import { DEFAULT_DECODE_LIMITS } from '../../../functions/core/limits.js';
import { S3ArchiveSink } from '../../../functions/sink-s3-archive/s3-archive-sink.js';
import { buildMskEvent, type FetchedRecord } from '../../../local/esm/event-builder.js';
import { MemoryArchiveStore, MemoryLedger, MemoryQuarantine, World } from './memory-world.js';

const TOPIC = 'orders';
const noWait = { now: () => 0, sleep: async () => {}, random: () => 0 };

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

/** One execution environment: a sink whose S3 and ledger operations are recorded in order. */
function environment(world: World, clock: { now: number }) {
  const ops: string[] = [];
  const gate = async (op: string) => {
    ops.push(op);
  };
  const ledger = new MemoryLedger(world, gate);
  const sink = new S3ArchiveSink({
    name: 'archive',
    prefix: 'arch',
    store: new MemoryArchiveStore(world, gate),
    ledger,
    knowledgeTtlMs: 30_000,
    now: () => clock.now,
  });
  const deliver = async (fetched: readonly FetchedRecord[]) => {
    ops.length = 0;
    const res = await processEvent(buildMskEvent({ bootstrapServers: 'b:9092' }, fetched), {
      sink,
      ledger,
      quarantine: new MemoryQuarantine(world),
      pipeline: { topics: {} },
      concurrency: 1,
      limits: DEFAULT_DECODE_LIMITS,
      retry: DEFAULT_RETRY_POLICY,
      clock: noWait,
      logger: silentLogger,
      metrics: noMetrics,
    });
    expect(res).toEqual({ batchItemFailures: [] });
    return [...ops];
  };
  return { deliver, sink };
}

describe('the S3 archive sink’s requests', () => {
  it('a batch that follows the checkpoint costs one PutObject in a process that archived the one before', async () => {
    const world = new World();
    const env = environment(world, { now: 0 });
    // first batch of the partition: one listing of its day, from offset 0
    expect(await env.deliver(records(0, 9))).toEqual([
      'read-checkpoint',
      'list',
      'put',
      'advance-checkpoint',
    ]);
    expect(await env.deliver(records(10, 19))).toEqual([
      'read-checkpoint',
      'put',
      'advance-checkpoint',
    ]);
    expect(env.sink.stats.trusted).toBe(1);
  });

  it('a new process lists the batch’s day once, then knows', async () => {
    const world = new World();
    const clock = { now: 0 };
    await environment(world, clock).deliver(records(0, 9));
    const fresh = environment(world, clock);
    expect(await fresh.deliver(records(10, 19))).toEqual([
      'read-checkpoint',
      'list',
      'put',
      'advance-checkpoint',
    ]);
    expect(await fresh.deliver(records(20, 29))).toEqual([
      'read-checkpoint',
      'put',
      'advance-checkpoint',
    ]);
  });

  it('lists again when the partition was idle in this process for longer than the knowledge lives', async () => {
    const world = new World();
    const clock = { now: 0 };
    const env = environment(world, clock);
    await env.deliver(records(0, 9));
    clock.now = 30_000;
    expect(await env.deliver(records(10, 19))).toEqual([
      'read-checkpoint',
      'list',
      'put',
      'advance-checkpoint',
    ]);
  });

  it('a delivery that skipped records moves the checkpoint past them before writing the object after them', async () => {
    const world = new World();
    const env = environment(world, { now: 0 });
    await env.deliver(records(0, 9));
    // the mapping gave up on 10..14: a writer resuming at 10 later must not cover 15..
    expect(await env.deliver(records(15, 24))).toEqual([
      'read-checkpoint',
      'list', // the batch's day
      'list', // and the day before (lookback)
      'advance-checkpoint', // to 14
      'put',
      'advance-checkpoint', // to 24
    ]);
    expect(env.sink.stats.writeAheads).toBe(1);
  });
});
