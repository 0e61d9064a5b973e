import { randomUUID } from 'node:crypto';
import type { PipelineConfig } from '../../../functions/contract/pipeline.js';
import type { Change } from '../../../functions/core/change.js';
import type { MskBatchResponse, MskEvent } from '../../../functions/core/msk-event.js';
import {
  buildMskEvent,
  type FetchedRecord,
  toMskRecord,
} from '../../../local/esm/event-builder.js';
import { modelDecode } from '../../support/reference-model.js';

export interface EnvelopeSpec {
  readonly entity: string;
  readonly key: string;
  readonly op?: 'upsert' | 'patch' | 'delete';
  readonly version: number;
  readonly data?: Record<string, unknown>;
  readonly id?: string;
}

/** A Kafka log (several partitions of one topic) built record by record, as a producer would. */
export class KafkaLog {
  readonly records: FetchedRecord[] = [];
  readonly #next = new Map<number, number>();

  constructor(readonly topic: string) {}

  /** Appends a native envelope; returns its id (re-append it to publish a duplicate). */
  append(partition: number, spec: EnvelopeSpec): string {
    const id = spec.id ?? randomUUID();
    const op = spec.op ?? 'upsert';
    const envelope = {
      id,
      entity: spec.entity,
      key: spec.key,
      op,
      version: spec.version,
      ts: '2026-11-26T10:00:00Z',
      ...(op === 'delete' ? {} : { data: spec.data ?? { name: `${spec.key} v${spec.version}` } }),
    };
    this.#push(partition, `${spec.entity}:${spec.key}`, Buffer.from(JSON.stringify(envelope)));
    return id;
  }

  /** Appends a Kafka tombstone (null value) for `<entity>:<key>`. */
  tombstone(partition: number, entity: string, key: string): void {
    this.#push(partition, `${entity}:${key}`, null);
  }

  /** Appends raw bytes (poison, say) under `key`. */
  appendRaw(partition: number, key: string, value: Buffer | null): void {
    this.#push(partition, key, value);
  }

  #push(partition: number, key: string, value: Buffer | null): void {
    const offset = this.#next.get(partition) ?? 0;
    this.#next.set(partition, offset + 1);
    this.records.push({
      topic: this.topic,
      partition,
      offset,
      timestamp: Date.parse('2026-11-26T10:00:00Z'),
      timestampType: 'CREATE_TIME',
      key: Buffer.from(key),
      value,
      headers: [],
    });
  }

  /** Every record as the reference model reads it, in log order per partition. */
  changes(pipeline: PipelineConfig): Change[] {
    return this.records.map((r) => {
      const change = modelDecode(toMskRecord(r), pipeline.topics[r.topic]?.versioning ?? 'source');
      if ('poison' in change) throw new Error(`the log holds poison at ${r.partition}/${r.offset}`);
      return change;
    });
  }
}

/** A crash a test injects on purpose (SDK middleware): `deliver` retries the batch after it. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

/** Whether `err`, or an error it wraps (`cause`), is a {@link SimulatedCrash}. */
export function isSimulatedCrash(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof SimulatedCrash) return true;
  return false;
}

export type Handler = (
  event: MskEvent,
  context?: { getRemainingTimeInMillis?(): number },
) => Promise<MskBatchResponse>;

const context = { getRemainingTimeInMillis: () => 120_000 };

/**
 * A small event source mapping: per partition, batches of `nextSize()` records from the
 * partition's position, all partitions in one event; resumes each partition where the
 * response says, and re-sends the same batch when the invocation fails with a crash the
 * test injected ({@link SimulatedCrash}); any other error is a bug and is rethrown.
 */
export async function deliver(
  handler: Handler,
  records: readonly FetchedRecord[],
  nextSize: () => number,
  opts: { readonly maxInvocations?: number; readonly onError?: (err: unknown) => void } = {},
): Promise<{ invocations: number; failedInvocations: number }> {
  const partitions = new Map<number, FetchedRecord[]>();
  for (const r of records) partitions.set(r.partition, [...(partitions.get(r.partition) ?? []), r]);
  const position = new Map([...partitions.keys()].map((p) => [p, 0]));
  let invocations = 0;
  let failedInvocations = 0;
  while ([...partitions].some(([p, list]) => (position.get(p) ?? 0) < list.length)) {
    if (++invocations > (opts.maxInvocations ?? 1_000))
      throw new Error('deliver: too many invocations');
    const batch: FetchedRecord[] = [];
    const ends = new Map<number, number>();
    for (const [p, list] of partitions) {
      const from = position.get(p) ?? 0;
      const slice = list.slice(from, from + Math.max(1, nextSize()));
      batch.push(...slice);
      ends.set(p, from + slice.length);
    }
    const event = buildMskEvent({ bootstrapServers: '127.0.0.1:9092' }, batch);
    let response: MskBatchResponse;
    try {
      response = await handler(structuredClone(event), context);
    } catch (err) {
      if (!isSimulatedCrash(err)) throw err;
      failedInvocations++;
      opts.onError?.(err);
      continue; // the mapping retries the same batch
    }
    const failedAt = new Map(
      response.batchItemFailures.map((f) => [
        Number(f.itemIdentifier.partition.split('-').pop()),
        f.itemIdentifier.offset,
      ]),
    );
    for (const [p, list] of partitions) {
      const failure = failedAt.get(p);
      position.set(
        p,
        failure === undefined ? (ends.get(p) ?? 0) : list.findIndex((r) => r.offset === failure),
      );
    }
  }
  return { invocations, failedInvocations };
}

/** Deterministic PRNG (mulberry32), so a failing history can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
