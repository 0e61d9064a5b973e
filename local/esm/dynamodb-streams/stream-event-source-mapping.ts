/**
 * A local DynamoDB Streams event source mapping: reads a table's stream on the local
 * stack's Dynoxide (or any DynamoDB Streams endpoint) and invokes a function with
 * Lambda-shaped `DynamoDBStreamEvent`s, the way Lambda's stream poller does.
 *
 * - Shards are read parent first (shard-lineage.ts); each shard is polled every
 *   `pollIntervalMs` (Lambda polls DynamoDB shards four times a second) and has at most
 *   one invocation in flight, shards progressing independently.
 * - Batching, retries with backoff, `bisectBatchOnFunctionError`,
 *   `maximumRecordAgeSeconds` and partial batch responses are the shared
 *   {@link RecordCursor}'s rules, the same as the Kafka mapping's: AWS documents one error
 *   handling for its stream sources.
 * - The checkpoint (the last sequence number applied, per shard) is written only after the
 *   function applied the records, or after they reached the on-failure destination; a
 *   restart resumes after it (`AFTER_SEQUENCE_NUMBER`).
 * - When the function asks to resume at a record, Lambda re-reads the shard from there; the
 *   emulator replays the records it read since the checkpoint from memory (a shard never
 *   changes what it holds, so they are the same records, in the same order).
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { BatchVerdict } from '../batch-response.js';
import {
  DEFAULT_MAPPING_SETTINGS,
  type InvocationStats,
  type Invoker,
  newInvocationStats,
} from '../event-source-mapping.js';
import { type DiscardCondition, sendUntilStored } from '../on-failure-destination.js';
import { type CursorSettings, RecordCursor } from '../record-cursor.js';
import type { InvokeResult } from '../sink-host.js';
import { interpretStreamsResponse } from './batch-response.js';
import { MemoryCheckpointStore, SHARD_END, type StreamCheckpointStore } from './checkpoints.js';
import { buildDynamoDbStreamEvent, type StreamSourceIdentity } from './event-builder.js';
import type { StreamFailureDestination } from './on-failure-destination.js';
import { readyShards, type ShardInfo } from './shard-lineage.js';
import { type ShardRecord, toShardRecord } from './shard-record.js';
import { latestStreamArn, type ShardPosition, StreamReader } from './stream-reader.js';

export interface StreamMappingSettings extends CursorSettings {
  /** where shards listed at `start()` without a checkpoint begin; shards that appear
   *  later (children of a split) are read from their start */
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** pause between two GetRecords of a shard */
  readonly pollIntervalMs: number;
  /** how often DescribeStream looks for new shards */
  readonly shardRefreshMs: number;
  /** GetRecords `Limit` (AWS: at most 1000) */
  readonly recordsPerRead: number;
  /** records read and not yet checkpointed per shard before its reading pauses */
  readonly maxBufferedPerShard: number;
}

/** Lambda's DynamoDB defaults where they suit a local emulator (batch size 100, no
 *  batching window); retries are finite, as in the Kafka emulator, so a test never hangs. */
export const DEFAULT_STREAM_MAPPING_SETTINGS: StreamMappingSettings = Object.freeze({
  batchSize: 100,
  batchingWindowMs: 0,
  maxRetryAttempts: DEFAULT_MAPPING_SETTINGS.maxRetryAttempts,
  retryDelayMs: DEFAULT_MAPPING_SETTINGS.retryDelayMs,
  maxRetryDelayMs: DEFAULT_MAPPING_SETTINGS.maxRetryDelayMs,
  startingPosition: 'TRIM_HORIZON',
  pollIntervalMs: 250,
  shardRefreshMs: 1_000,
  recordsPerRead: 1_000,
  maxBufferedPerShard: 1_000,
});

export interface StreamMappingOptions {
  /** mapping id (the on-failure destination keys use it) */
  readonly uuid?: string;
  readonly functionName: string;
  readonly client: DynamoDBStreamsClient;
  /** the stream to read, or the table whose newest stream to read */
  readonly source: { readonly streamArn: string } | { readonly tableName: string };
  /** the events' `awsRegion`; default: the client's region */
  readonly awsRegion?: string;
  readonly invoker: Invoker<DynamoDBStreamEvent>;
  readonly settings?: Partial<StreamMappingSettings>;
  readonly destination?: StreamFailureDestination;
  /** default: in memory, per mapping */
  readonly checkpoints?: StreamCheckpointStore;
  /** notified after every invocation (a batch whose records all expired invokes nothing) */
  readonly onInvocation?: (info: StreamInvocationInfo) => void;
  readonly log?: (line: string) => void;
}

export interface StreamInvocationInfo {
  readonly shardId: string;
  /** sequence numbers sent to the function */
  readonly sequenceNumbers: readonly string[];
  readonly result: InvokeResult;
  readonly verdict: BatchVerdict;
  /** the checkpoint written after it, if any */
  readonly checkpoint: string | undefined;
  readonly discarded: number;
  readonly expired: number;
}

interface ShardState {
  readonly shardId: string;
  readonly cursor: RecordCursor<ShardRecord>;
  /** where a lost iterator is taken again: after the last record read, or the start */
  position: ShardPosition;
  /** undefined: closed and read to its end */
  iterator: string | undefined;
  /** read and not checkpointed yet, in sequence order */
  retained: ShardRecord[];
  nextOffset: number;
  /** when the last read that found nothing new started (ms epoch) */
  caughtUpAt: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class DynamoDbStreamsEventSourceMapping {
  readonly uuid: string;
  readonly stats: InvocationStats = newInvocationStats();
  readonly checkpoints: StreamCheckpointStore;
  private readonly settings: StreamMappingSettings;
  private reader: StreamReader | undefined;
  private identity: StreamSourceIdentity | undefined;
  private shards = new Map<string, ShardState>();
  private finished = new Set<string>();
  private listed: readonly ShardInfo[] = [];
  /** shards listed at start: the starting position applies to them */
  private initial: Set<string> | undefined;
  private refreshedAt = 0;
  private nextRefreshAt = 0;
  private inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private running = false;

  constructor(private readonly options: StreamMappingOptions) {
    this.uuid = options.uuid ?? randomUUID();
    this.settings = { ...DEFAULT_STREAM_MAPPING_SETTINGS, ...options.settings };
    this.checkpoints = options.checkpoints ?? new MemoryCheckpointStore();
    // Fails fast on bad cursor settings.
    new RecordCursor<ShardRecord>('settings', this.settings);
  }

  get isRunning(): boolean {
    return this.running;
  }

  get streamArn(): string | undefined {
    return this.reader?.streamArn;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { client, source } = this.options;
    const streamArn =
      'streamArn' in source ? source.streamArn : await latestStreamArn(client, source.tableName);
    this.reader = new StreamReader(client, streamArn);
    this.identity = {
      streamArn,
      awsRegion: this.options.awsRegion ?? (await client.config.region()),
    };
    this.generation++;
    this.running = true;
    this.nextRefreshAt = 0;
    await this.refreshShards(this.generation);
    this.loop = this.run(this.generation);
  }

  /** Stops reading, lets the invocations in flight finish and checkpoint. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.generation++;
    this.shards.clear();
    this.finished.clear();
    this.initial = undefined;
  }

  /**
   * Resolves once every record written to the stream before the call has been applied (or
   * handed to the destination) and checkpointed: each open shard answered a read started
   * after the call with nothing new, nothing is buffered or in flight, and the shard list
   * was read after the call.
   */
  async waitUntilCaughtUp(timeoutMs = 60_000): Promise<void> {
    const since = Date.now();
    this.nextRefreshAt = 0;
    this.wake?.();
    while (!this.caughtUpSince(since)) {
      if (!this.running) throw new Error(`${this.options.functionName}: mapping is not running`);
      if (Date.now() - since > timeoutMs) {
        throw new Error(
          `${this.options.functionName}: not caught up with ${this.streamArn} after ${timeoutMs} ms`,
        );
      }
      await sleep(20);
    }
  }

  private caughtUpSince(since: number): boolean {
    if (this.refreshedAt < since || this.inFlight.size > 0) return false;
    for (const { shardId } of this.listed) {
      if (this.finished.has(shardId)) continue;
      const shard = this.shards.get(shardId);
      if (shard === undefined || shard.iterator === undefined) return false;
      if (shard.retained.length > 0 || shard.cursor.busy || shard.caughtUpAt < since) return false;
    }
    return true;
  }

  private async run(generation: number): Promise<void> {
    while (this.running && this.generation === generation) {
      try {
        if (Date.now() >= this.nextRefreshAt) await this.refreshShards(generation);
        await Promise.all([...this.shards.values()].map((s) => this.read(s, generation)));
        await this.finishShards();
        this.pump();
      } catch (err) {
        this.options.log?.(`${this.options.functionName}: ${(err as Error).message}`);
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.settings.pollIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async refreshShards(generation: number): Promise<void> {
    const reader = this.reader;
    if (reader === undefined) return;
    const startedAt = Date.now();
    const listed = await reader.shards();
    if (this.generation !== generation) return;
    this.initial ??= new Set(listed.map((s) => s.shardId));
    this.listed = listed;
    // A shard found finished in the checkpoints frees its children: look again.
    for (let again = true; again; ) {
      again = false;
      for (const { shardId } of readyShards(listed, this.finished)) {
        if (this.shards.has(shardId)) continue;
        const checkpoint = await this.checkpoints.get(shardId);
        if (checkpoint === SHARD_END) {
          this.finished.add(shardId);
          again = true;
          continue;
        }
        const position: ShardPosition =
          checkpoint !== undefined
            ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint }
            : { type: this.initial.has(shardId) ? this.settings.startingPosition : 'TRIM_HORIZON' };
        const iterator = await reader.iterator(shardId, position);
        if (this.generation !== generation) return;
        this.shards.set(shardId, {
          shardId,
          cursor: new RecordCursor<ShardRecord>(shardId, this.settings),
          position,
          iterator,
          retained: [],
          nextOffset: 0,
          caughtUpAt: 0,
        });
      }
    }
    this.refreshedAt = startedAt;
    this.nextRefreshAt = Date.now() + this.settings.shardRefreshMs;
  }

  private async read(shard: ShardState, generation: number): Promise<void> {
    const reader = this.reader;
    const iterator = shard.iterator;
    if (reader === undefined || iterator === undefined) return;
    if (shard.retained.length >= this.settings.maxBufferedPerShard) return;
    const startedAt = Date.now();
    let page: Awaited<ReturnType<StreamReader['read']>>;
    try {
      page = await reader.read(iterator, this.settings.recordsPerRead);
    } catch (err) {
      if ((err as Error).name !== 'ExpiredIteratorException') throw err;
      // Iterators expire after 15 minutes: take a new one where this reading stands.
      shard.iterator = await reader.iterator(shard.shardId, shard.position);
      return;
    }
    if (this.generation !== generation) return;
    const now = Date.now();
    const records = page.records.map((r, i) => toShardRecord(r, shard.nextOffset + i, now));
    shard.nextOffset += records.length;
    shard.retained.push(...records);
    shard.cursor.accept(records, now);
    shard.iterator = page.next;
    const last = records[records.length - 1];
    if (last !== undefined) {
      shard.position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last.sequenceNumber };
    } else {
      shard.caughtUpAt = startedAt;
    }
  }

  /** Closed shards read to their end with everything checkpointed: their children may start. */
  private async finishShards(): Promise<void> {
    for (const shard of [...this.shards.values()]) {
      if (shard.iterator !== undefined || shard.retained.length > 0 || shard.cursor.busy) continue;
      await this.checkpoints.put(shard.shardId, SHARD_END);
      this.shards.delete(shard.shardId);
      this.finished.add(shard.shardId);
      this.nextRefreshAt = 0;
    }
  }

  /** Starts every batch that is due; arms a timer for the next one due later. */
  private pump(): void {
    if (!this.running) return;
    const now = Date.now();
    let nextDue: number | undefined;
    for (const shard of this.shards.values()) {
      const batch = shard.cursor.take(now);
      if (batch !== null) {
        const task = this.process(shard, this.generation).finally(() => {
          this.inFlight.delete(task);
          this.pump();
        });
        this.inFlight.add(task);
        continue;
      }
      const due = shard.cursor.dueAt();
      if (due !== null && (nextDue === undefined || due < nextDue)) nextDue = due;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer =
      nextDue === undefined ? undefined : setTimeout(() => this.pump(), Math.max(1, nextDue - now));
  }

  private async process(shard: ShardState, generation: number): Promise<void> {
    const { cursor } = shard;
    const expired = cursor.expire(Date.now());
    if (expired.length > 0) {
      this.stats.recordsExpired += expired.length;
      await this.toDestination(shard, expired, 0, null, 'RecordAgeExceeded', generation);
    }
    const live = cursor.live();
    let result: InvokeResult | null = null;
    let verdict: BatchVerdict = { kind: 'success' };
    if (live.length > 0 && this.identity !== undefined) {
      const event = buildDynamoDbStreamEvent(
        this.identity,
        live.map((r) => r.record),
      );
      result = await this.options.invoker.invoke(event);
      this.stats.invocations++;
      this.stats.recordsDelivered += live.length;
      verdict = result.ok
        ? interpretStreamsResponse(live, result.response)
        : { kind: 'failed', reason: `${result.kind}: ${result.error.message}` };
    }
    if (this.generation !== generation) return;
    if (verdict.kind !== 'success') {
      this.stats.failedInvocations++;
      this.options.log?.(
        `${this.options.functionName} ${shard.shardId} [${live[0]?.sequenceNumber}..${live.at(-1)?.sequenceNumber}]: ` +
          (verdict.kind === 'partial' ? `resume at offset ${verdict.resumeAt}` : verdict.reason),
      );
    }
    const decision = cursor.complete(verdict, Date.now());
    if (decision.discarded !== undefined && decision.discarded.length > 0) {
      await this.toDestination(
        shard,
        decision.discarded,
        decision.attempts ?? 1,
        result,
        'RetryAttemptsExhausted',
        generation,
      );
    }
    const checkpoint =
      decision.commit === undefined ? undefined : await this.checkpoint(shard, decision.commit);
    if (decision.seekTo !== undefined) {
      // Lambda re-reads the shard from the record to retry; the same records are in memory.
      const seekTo = decision.seekTo;
      cursor.accept(
        shard.retained.filter((r) => r.offset >= seekTo),
        Date.now(),
      );
    }
    if (result === null) return;
    this.options.onInvocation?.({
      shardId: shard.shardId,
      sequenceNumbers: live.map((r) => r.sequenceNumber),
      result,
      verdict,
      checkpoint,
      discarded: decision.discarded?.length ?? 0,
      expired: expired.length,
    });
  }

  /** Checkpoints the last record below `commit`; forgets the records it passes. */
  private async checkpoint(shard: ShardState, commit: number): Promise<string | undefined> {
    const passed = shard.retained.filter((r) => r.offset < commit);
    const last = passed[passed.length - 1];
    if (last === undefined) return undefined;
    shard.retained = shard.retained.slice(passed.length);
    try {
      await this.checkpoints.put(shard.shardId, last.sequenceNumber);
    } catch (err) {
      // A lost checkpoint only means redelivery after a restart, which the relay absorbs.
      this.options.log?.(
        `${this.options.functionName} ${shard.shardId}: checkpoint failed: ${(err as Error).message}`,
      );
    }
    return last.sequenceNumber;
  }

  private async toDestination(
    shard: ShardState,
    records: readonly ShardRecord[],
    attempts: number,
    result: InvokeResult | null,
    condition: DiscardCondition,
    generation: number,
  ): Promise<void> {
    if (condition === 'RetryAttemptsExhausted') this.stats.recordsDiscarded += records.length;
    const { destination, functionName, log } = this.options;
    const identity = this.identity;
    if (destination === undefined || identity === undefined) {
      log?.(`${functionName}: ${records.length} records dropped (no on-failure destination)`);
      return;
    }
    const key = await sendUntilStored(
      () =>
        destination.send({
          functionArn: `arn:aws:lambda:${identity.awsRegion}:000000000000:function:${functionName}`,
          approximateInvokeCount: attempts,
          functionError: result === null || result.ok ? undefined : 'Unhandled',
          condition,
          streamArn: identity.streamArn,
          shardId: shard.shardId,
          records,
          event: buildDynamoDbStreamEvent(
            identity,
            records.map((r) => r.record),
          ),
        }),
      () => this.generation === generation,
      (err) => log?.(`${functionName}: on-failure destination write failed: ${err.message}`),
    );
    if (key === undefined) return;
    this.stats.destinationWrites++;
    log?.(`${functionName}: ${records.length} records sent to the on-failure destination (${key})`);
  }
}
