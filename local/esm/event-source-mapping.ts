/**
 * A local Kafka event source mapping: reads topics with a kafkajs consumer group and
 * invokes a function with MSK-shaped events, the way Lambda's MSK poller does.
 *
 * Fetching and invoking are decoupled so partitions progress independently: kafkajs
 * fetches all partitions of a broker in one loop and waits for every batch handler to
 * return before fetching again, so `eachBatch` only hands records to the partition's
 * {@link PartitionCursor} and returns. Each partition then has at most one invocation in
 * flight; a slow or failing partition never holds the others back (a full buffer pauses
 * only its own partition).
 *
 * Offsets are committed explicitly (auto-commit off), and only for records the function
 * applied: after a partial batch response the commit stops at the first failed record and
 * the partition is re-read from there with `seek`. Records too old for
 * `maximumRecordAgeSeconds` are written to the on-failure destination before the function
 * sees the batch and are committed past like applied ones; `bisectBatchOnFunctionError`
 * is the cursor's business (partition-cursor.ts).
 */
import { randomUUID } from 'node:crypto';
import { type Consumer, Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import type { MskEvent } from '../../functions/core/msk-event.js';
import { type BatchVerdict, interpretResponse } from './batch-response.js';
import {
  buildMskEvent,
  type EventSourceIdentity,
  type FetchedRecord,
  fromKafkaJsMessage,
  type TimestampType,
  timestampTypeOfConfig,
} from './event-builder.js';
import {
  type DiscardCondition,
  type FailureDestination,
  sendUntilStored,
} from './on-failure-destination.js';
import { type CursorSettings, PartitionCursor } from './partition-cursor.js';
import {
  type SchemaValidation,
  type ValidatedBatch,
  validateRecords,
} from './schema-validation.js';
import type { InvokeResult } from './sink-host.js';

/** A function to invoke: a {@link SinkHost}, or a handler in process (in-process-invoker.ts). */
export interface Invoker<E = MskEvent> {
  invoke(event: E): Promise<InvokeResult>;
}

export interface MappingSettings extends CursorSettings {
  /** records buffered per partition before its fetching pauses */
  readonly maxBufferedPerPartition: number;
  /** start of a group without committed offsets: `TRIM_HORIZON` (earliest) or `LATEST` */
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** invocations in flight across partitions (Lambda: pollers × concurrency);
   *  0 = one per partition */
  readonly maxConcurrentInvocations: number;
}

/** The retry cap Lambda applies to infinite retries (-1) when an on-failure destination is set. */
export const RETRIES_WITH_DESTINATION = 10;

export const DEFAULT_MAPPING_SETTINGS: MappingSettings = Object.freeze({
  batchSize: 100,
  batchingWindowMs: 500,
  maxRetryAttempts: 10,
  retryDelayMs: 200,
  maxRetryDelayMs: 5_000,
  maxBufferedPerPartition: 1_000,
  startingPosition: 'TRIM_HORIZON',
  maxConcurrentInvocations: 0,
});

export interface MappingOptions {
  /** mapping id (the on-failure destination keys use it) */
  readonly uuid?: string;
  /** the function's name; also names the consumer group by default */
  readonly functionName: string;
  readonly topics: readonly string[];
  /** stable consumer group id; default `staysync-<functionName>` */
  readonly groupId?: string;
  readonly brokers: readonly string[];
  /** extra kafkajs client settings (SASL, SSL) */
  readonly kafka?: Omit<KafkaConfig, 'brokers'>;
  readonly identity?: Partial<EventSourceIdentity>;
  readonly settings?: Partial<MappingSettings>;
  readonly invoker: Invoker;
  readonly destination?: FailureDestination;
  /** the mapping's schema registry integration (`SchemaRegistryConfig`, JSON format):
   *  records are decoded before the function sees them (schema-validation.ts) */
  readonly schemaRegistry?: SchemaValidation;
  /** notified after every invocation (progress displays, tests); a batch whose records
   *  had all expired invokes nothing and is not reported */
  readonly onInvocation?: (info: InvocationInfo) => void;
  readonly log?: (line: string) => void;
}

export interface InvocationInfo {
  readonly partitionId: string;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly records: number;
  /** offsets sent to the function (a batch's expired records are not) */
  readonly offsets: readonly number[];
  readonly result: InvokeResult;
  readonly committed: number | undefined;
  readonly seekTo: number | undefined;
  readonly discarded: number;
  /** records of the batch handed to the destination as too old */
  readonly expired: number;
  /** records of the batch the schema registry step sent to the destination */
  readonly rejected: number;
}

/** What every mapping counts (Kafka, DynamoDB Streams). */
export interface InvocationStats {
  invocations: number;
  failedInvocations: number;
  recordsDelivered: number;
  recordsDiscarded: number;
  /** records older than `maximumRecordAgeSeconds`, handed to the destination */
  recordsExpired: number;
  /** records the schema registry step rejected (SCHEMA_NOT_FOUND, DESERIALIZATION_ERROR) */
  recordsRejected: number;
  destinationWrites: number;
}

export const newInvocationStats = (): InvocationStats => ({
  invocations: 0,
  failedInvocations: 0,
  recordsDelivered: 0,
  recordsDiscarded: 0,
  recordsExpired: 0,
  recordsRejected: 0,
  destinationWrites: 0,
});

export interface MappingStats extends InvocationStats {
  /** committed offset (next to read) per `topic-partition`, as this mapping committed it */
  readonly committed: Map<string, number>;
}

export class EventSourceMapping {
  readonly uuid: string;
  readonly groupId: string;
  readonly stats: MappingStats = { ...newInvocationStats(), committed: new Map() };
  private readonly settings: MappingSettings;
  private readonly identity: EventSourceIdentity;
  private readonly kafka: Kafka;
  private consumer: Consumer | undefined;
  private cursors = new Map<string, PartitionCursor>();
  private paused = new Set<string>();
  private timestampTypes = new Map<string, TimestampType>();
  private inFlight = new Set<Promise<void>>();
  /** bumped on stop/crash/rebalance: results of older invocations are ignored */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly options: MappingOptions) {
    this.uuid = options.uuid ?? randomUUID();
    this.groupId = options.groupId ?? `staysync-${options.functionName}`;
    const settings = { ...DEFAULT_MAPPING_SETTINGS, ...options.settings };
    // "When you configure both infinite retries and an on-failure destination, Lambda
    // automatically applies a maximum of 10 retry attempts" (Lambda developer guide,
    // kafka-retry-configurations / kafka-on-failure-destination).
    this.settings =
      settings.maxRetryAttempts === -1 && options.destination !== undefined
        ? { ...settings, maxRetryAttempts: RETRIES_WITH_DESTINATION }
        : settings;
    this.identity = {
      eventSource: options.identity?.eventSource ?? 'aws:kafka',
      eventSourceArn:
        options.identity?.eventSourceArn ??
        'arn:aws:kafka:us-east-1:000000000000:cluster/staysync-local/00000000-0000-0000-0000-000000000000-1',
      bootstrapServers: options.identity?.bootstrapServers ?? options.brokers.join(','),
    };
    this.kafka = new Kafka({
      clientId: `staysync-esm-${options.functionName}`,
      logLevel: logLevel.NOTHING,
      ...options.kafka,
      brokers: [...options.brokers],
    });
  }

  /** set by stop() and crash(): a consumer kafkajs gave up on is then not replaced */
  private abandoned = false;

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.abandoned = false;
    await this.loadTimestampTypes();
    // crash() or stop() while this start was awaiting: start nothing.
    if (this.abandoned) return;
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // kafkajs restarts a crashed consumer on a timer of its own, and a disconnect that
      // lands while that restart is pending does not cancel it: after a broker kill and an
      // emulator crash, a dropped consumer came back, joined the group and held its
      // partitions with nobody reading them (`--faults --seed 11` never caught up). So
      // kafkajs never restarts one here; the CRASH handler below replaces it instead.
      retry: { retries: 5, restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    this.generation++;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      // A (re)assignment re-reads every partition from its committed offset: forget what
      // is buffered and ignore the results of invocations started before it.
      if (this.consumer !== consumer) return;
      this.generation++;
      this.cursors.clear();
      this.paused.clear();
    });
    consumer.on(consumer.events.CRASH, () => {
      // kafkajs gives up on a broker that stays away (retries exhausted); Lambda's pollers
      // outlive a broker outage, so start a new consumer once the broker answers again.
      if (this.consumer === consumer && this.running) void this.revive();
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [...this.options.topics],
      fromBeginning: this.settings.startingPosition === 'TRIM_HORIZON',
    });
    // Dropped (crash(), stop()) while connecting: its disconnect may have come before the
    // connection was up, and a consumer run now would join the group with nobody reading
    // its batches (eachBatch ignores a replaced consumer), holding its partitions forever.
    if (this.consumer !== consumer) {
      await consumer.disconnect().catch(() => undefined);
      return;
    }
    this.running = true;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, isStale }) => {
        if (this.consumer !== consumer || isStale() || batch.messages.length === 0) return;
        const id = `${batch.topic}-${batch.partition}`;
        const cursor = this.cursorOf(batch.topic, batch.partition);
        const type = this.timestampTypes.get(batch.topic) ?? 'CREATE_TIME';
        cursor.accept(
          batch.messages.map((m) => fromKafkaJsMessage(batch.topic, batch.partition, type, m)),
          Date.now(),
        );
        // "resolved" in kafkajs is the fetch position, not the commit: read on.
        resolveOffset(batch.lastOffset());
        if (cursor.buffered >= this.settings.maxBufferedPerPartition && !this.paused.has(id)) {
          this.paused.add(id);
          consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
        }
        this.pump();
      },
    });
  }

  /** Stops fetching, lets invocations in flight finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    this.abandoned = true;
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight]);
    this.generation++;
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    this.cursors.clear();
    this.paused.clear();
  }

  /**
   * Dies abruptly (fault injection): nothing more is committed, results of invocations in
   * flight are lost, buffered records are forgotten. A new `start()` resumes from the
   * group's committed offsets, so those records are delivered again.
   */
  async crash(): Promise<void> {
    this.abandoned = true;
    await this.dropConsumer();
  }

  private async dropConsumer(): Promise<void> {
    this.running = false;
    this.generation++;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.cursors.clear();
    this.paused.clear();
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
  }

  /** Replaces a consumer kafkajs gave up on, retrying every second until one starts. */
  private async revive(): Promise<void> {
    await this.dropConsumer();
    while (!this.abandoned) {
      try {
        await this.start();
        return;
      } catch {
        await this.dropConsumer();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  /** True when nothing is buffered or in flight (the caller compares lag to know if done). */
  get idle(): boolean {
    if (this.inFlight.size > 0) return false;
    for (const cursor of this.cursors.values())
      if (cursor.buffered > 0 || cursor.busy) return false;
    return true;
  }

  private cursorOf(topic: string, partition: number): PartitionCursor {
    const id = `${topic}-${partition}`;
    let cursor = this.cursors.get(id);
    if (cursor === undefined) {
      cursor = new PartitionCursor(topic, partition, this.settings);
      this.cursors.set(id, cursor);
    }
    return cursor;
  }

  /** Starts every batch that is due; arms a timer for the next one due later. */
  private pump(): void {
    if (!this.running) return;
    const now = Date.now();
    let nextDue: number | undefined;
    const limit = this.settings.maxConcurrentInvocations;
    for (const cursor of [...this.cursors.values()]) {
      if (limit > 0 && this.inFlight.size >= limit) break;
      const batch = cursor.take(now);
      if (batch !== null) {
        // Round robin: a partition that just got an invocation goes to the back.
        this.cursors.delete(cursor.id);
        this.cursors.set(cursor.id, cursor);
        const task = this.process(cursor, batch, this.generation).finally(() => {
          this.inFlight.delete(task);
          this.pump();
        });
        this.inFlight.add(task);
        continue;
      }
      const due = cursor.dueAt();
      if (due !== null && (nextDue === undefined || due < nextDue)) nextDue = due;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer =
      nextDue === undefined ? undefined : setTimeout(() => this.pump(), Math.max(1, nextDue - now));
  }

  private async process(
    cursor: PartitionCursor,
    batch: readonly FetchedRecord[],
    generation: number,
  ): Promise<void> {
    // Too old for the function: recorded in the destination first, then skipped like
    // applied records (a retry re-reading them does not record them again).
    const expired = cursor.expire(Date.now());
    if (expired.length > 0) {
      this.stats.recordsExpired += expired.length;
      await this.toDestination(expired, 0, null, generation, 'RecordAgeExceeded');
      if (this.generation !== generation) return;
    }
    let live = cursor.live();
    let rejected = 0;
    if (this.options.schemaRegistry !== undefined && live.length > 0) {
      const checked = await this.validate(live, this.options.schemaRegistry, generation);
      if (checked === undefined) return; // stopped or reassigned while the registry was away
      rejected = checked.rejected.length;
      if (rejected > 0) {
        cursor.markHandled(checked.rejected.map((r) => r.record));
        this.stats.recordsRejected += rejected;
        for (const reason of new Set(checked.rejected.map((r) => r.reason))) {
          const records = checked.rejected.filter((r) => r.reason === reason);
          for (const r of records) {
            this.options.log?.(
              `${this.options.functionName} ${cursor.id}@${r.record.offset}: ${reason}: ${r.message}`,
            );
          }
          await this.toDestination(
            records.map((r) => r.record),
            0,
            null,
            generation,
            reason,
          );
          if (this.generation !== generation) return;
        }
      }
      live = checked.valid;
    }
    const offsets = live.map((r) => r.offset);
    let result: InvokeResult | null = null;
    let verdict: BatchVerdict = { kind: 'success' };
    if (live.length > 0) {
      const invoked = await this.options.invoker.invoke(buildMskEvent(this.identity, live));
      result = invoked;
      if (this.generation !== generation) return; // crashed or reassigned meanwhile
      this.stats.invocations++;
      this.stats.recordsDelivered += live.length;
      verdict = invoked.ok
        ? interpretResponse({ id: cursor.id, offsets }, invoked.response)
        : { kind: 'failed', reason: `${invoked.kind}: ${invoked.error.message}` };
    }
    if (verdict.kind !== 'success') {
      this.stats.failedInvocations++;
      this.options.log?.(
        `${this.options.functionName} ${cursor.id} [${offsets[0]}..${offsets[offsets.length - 1]}]: ` +
          (verdict.kind === 'partial' ? `resume at ${verdict.resumeAt}` : verdict.reason),
      );
    }
    const decision = cursor.complete(verdict, Date.now());

    if (decision.discarded !== undefined && decision.discarded.length > 0) {
      await this.toDestination(
        decision.discarded,
        decision.attempts ?? 1,
        result,
        generation,
        'RetryAttemptsExhausted',
      );
      if (this.generation !== generation) return;
    }
    if (decision.commit !== undefined) await this.commit(cursor, decision.commit, generation);
    if (
      decision.seekTo !== undefined &&
      this.consumer !== undefined &&
      this.generation === generation
    ) {
      this.consumer.seek({
        topic: cursor.topic,
        partition: cursor.partition,
        offset: String(decision.seekTo),
      });
    }
    if (this.paused.has(cursor.id) && cursor.buffered < this.settings.maxBufferedPerPartition / 2) {
      this.paused.delete(cursor.id);
      this.consumer?.resume([{ topic: cursor.topic, partitions: [cursor.partition] }]);
    }
    // Not an invocation when every record of the batch had expired.
    if (result === null) return;
    this.options.onInvocation?.({
      partitionId: cursor.id,
      firstOffset: batch[0]?.offset ?? -1,
      lastOffset: batch[batch.length - 1]?.offset ?? -1,
      records: batch.length,
      offsets,
      result,
      committed: decision.commit,
      seekTo: decision.seekTo,
      discarded: decision.discarded?.length ?? 0,
      expired: expired.length,
      rejected,
    });
  }

  /** The schema registry step, retried with backoff while the registry cannot be reached
   *  (Lambda's pollers wait for it too); undefined once stopped or the generation moved on. */
  private async validate(
    records: readonly FetchedRecord[],
    validation: SchemaValidation,
    generation: number,
  ): Promise<ValidatedBatch | undefined> {
    // `running` too: stop() waits for invocations in flight before it moves the generation.
    for (let attempt = 0; this.generation === generation && this.running; attempt++) {
      try {
        return await validateRecords(records, validation);
      } catch (err) {
        this.options.log?.(
          `${this.options.functionName}: schema registry: ${(err as Error).message} (retrying)`,
        );
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 200 * 2 ** attempt)));
      }
    }
    return undefined;
  }

  private async commit(cursor: PartitionCursor, offset: number, generation: number): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || this.generation !== generation) return;
    try {
      await consumer.commitOffsets([
        { topic: cursor.topic, partition: cursor.partition, offset: String(offset) },
      ]);
      const previous = this.stats.committed.get(cursor.id) ?? -1;
      if (offset > previous) this.stats.committed.set(cursor.id, offset);
    } catch (err) {
      // Not committing only means redelivery, which the sinks absorb.
      this.options.log?.(
        `${this.options.functionName} ${cursor.id}: commit of ${offset} failed: ${(err as Error).message}`,
      );
    }
  }

  private async toDestination(
    records: readonly FetchedRecord[],
    attempts: number,
    result: InvokeResult | null,
    generation: number,
    condition: DiscardCondition,
  ): Promise<void> {
    if (condition === 'RetryAttemptsExhausted') this.stats.recordsDiscarded += records.length;
    const destination = this.options.destination;
    if (destination === undefined) {
      this.options.log?.(
        `${this.options.functionName}: ${records.length} records dropped (no on-failure destination)`,
      );
      return;
    }
    const failed = {
      functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${this.options.functionName}`,
      eventSourceArn: this.identity.eventSourceArn ?? '',
      bootstrapServers: this.identity.bootstrapServers,
      event: buildMskEvent(this.identity, records),
      records,
      approximateInvokeCount: attempts,
      functionError: result === null || result.ok ? undefined : 'Unhandled',
      condition,
    };
    const key = await sendUntilStored(
      () => destination.send(failed),
      () => this.generation === generation,
      (err) =>
        this.options.log?.(
          `${this.options.functionName}: on-failure destination write failed: ${err.message}`,
        ),
    );
    if (key === undefined) return;
    this.stats.destinationWrites++;
    this.options.log?.(
      `${this.options.functionName}: ${records.length} records sent to the on-failure destination (${key})`,
    );
  }

  /** Kafka's `message.timestamp.type` of each topic decides the events' `timestampType`. */
  private async loadTimestampTypes(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: this.options.topics.map((name) => ({
          type: 2 /* TOPIC */,
          name,
          configNames: ['message.timestamp.type'],
        })),
      });
      for (const resource of resources) {
        const entry = resource.configEntries.find((e) => e.configName === 'message.timestamp.type');
        this.timestampTypes.set(resource.resourceName, timestampTypeOfConfig(entry?.configValue));
      }
    } finally {
      await admin.disconnect();
    }
  }
}
