import { mapBounded } from '../core/engine/pool.js';
import { StaysyncError } from '../core/errors.js';
import { type Conversion, convert, type RelayMessage } from './convert.js';
import type { RelaySource } from './source.js';
import type { StreamBatchResponse, StreamEvent, StreamRecord } from './stream-event.js';

/** Publishes messages to Kafka in the given order (per key: one partition, that order). */
export interface LogProducer {
  /** Throws a StaysyncError: `retriable` when a later attempt may succeed. */
  send(messages: readonly RelayMessage[]): Promise<void>;
}

/** One stream record the relay could not convert, with its reason and the raw record. */
export interface RelayQuarantineEntry {
  readonly relay: string;
  readonly table: string;
  readonly eventSourceArn: string | undefined;
  readonly sequenceNumber: string;
  readonly reason: string;
  readonly error: { readonly name: string; readonly message: string; readonly field?: string };
  readonly raw: StreamRecord;
  readonly quarantinedAt: string;
}

export interface RelayQuarantine {
  /** Idempotent per (table, sequence number): a redelivered record overwrites its entry. */
  put(entries: readonly RelayQuarantineEntry[]): Promise<void>;
}

export interface RelayDeps {
  readonly name: string;
  readonly source: RelaySource;
  readonly producer: LogProducer;
  readonly quarantine: RelayQuarantine;
  readonly now?: () => Date;
}

export interface RelayOutcome {
  readonly response: StreamBatchResponse;
  readonly published: number;
  readonly skipped: number;
  readonly quarantined: number;
  /** why the batch stopped early (reported from `batchItemFailures[0]`), if it did */
  readonly failure?: StaysyncError;
}

const QUARANTINE_CONCURRENCY = 8;

/**
 * Relays one batch (one shard, stream order): converts every record, quarantines what
 * cannot be converted, publishes the rest in order, and answers the partial batch response.
 *
 * A retriable failure reports the first record not safely done; Lambda resumes the shard
 * there, so records after it are published again: duplicates carry the same event id and
 * version, which every sink drops. A quarantine that cannot be written stops the batch at
 * that record (nothing after it is published, so no record is skipped unrecorded). A
 * non-retriable failure is thrown: the mapping retries, bisects down to the record and
 * sends it to its on-failure destination, so the shard never stalls behind it.
 */
export async function relayBatch(event: StreamEvent, deps: RelayDeps): Promise<RelayOutcome> {
  const records = event.Records;
  const conversions = records.map((record) => convert(record, deps.source));
  const poisoned = conversions.flatMap((c, i) => (c.kind === 'poison' ? [i] : []));
  const quarantineFailure = await quarantineAll(records, conversions, poisoned, deps);
  const stopAt = quarantineFailure?.index ?? records.length;

  const toPublish: Array<{ index: number; message: RelayMessage }> = [];
  for (let i = 0; i < stopAt; i++) {
    const c = conversions[i] as Conversion;
    if (c.kind === 'publish') toPublish.push({ index: i, message: c.message });
  }
  const counts = {
    skipped: conversions.slice(0, stopAt).filter((c) => c.kind === 'skip').length,
    quarantined: poisoned.filter((i) => i < stopAt).length,
  };
  try {
    if (toPublish.length > 0) await deps.producer.send(toPublish.map((p) => p.message));
  } catch (error) {
    if (!(error instanceof StaysyncError) || !error.retriable) throw error;
    const first = toPublish[0]?.index ?? 0;
    return failedFrom(records, first, error, { published: 0, ...counts });
  }
  if (quarantineFailure !== undefined) {
    return failedFrom(records, quarantineFailure.index, quarantineFailure.error, {
      published: toPublish.length,
      ...counts,
    });
  }
  return { response: { batchItemFailures: [] }, published: toPublish.length, ...counts };
}

async function quarantineAll(
  records: readonly StreamRecord[],
  conversions: readonly Conversion[],
  poisoned: readonly number[],
  deps: RelayDeps,
): Promise<{ index: number; error: StaysyncError } | undefined> {
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const failures: Array<{ index: number; error: StaysyncError }> = [];
  await mapBounded(poisoned, QUARANTINE_CONCURRENCY, async (index) => {
    const record = records[index] as StreamRecord;
    const { error } = conversions[index] as Extract<Conversion, { kind: 'poison' }>;
    try {
      await deps.quarantine.put([
        {
          relay: deps.name,
          table: deps.source.table,
          eventSourceArn: record.eventSourceARN,
          sequenceNumber: record.dynamodb.SequenceNumber,
          reason: error.reason,
          error: {
            name: error.name,
            message: error.message,
            ...(error.context.field === undefined ? {} : { field: error.context.field }),
          },
          raw: record,
          quarantinedAt: at,
        },
      ]);
    } catch (caught) {
      if (!(caught instanceof StaysyncError) || !caught.retriable) throw caught;
      failures.push({ index, error: caught });
    }
  });
  return failures.sort((a, b) => a.index - b.index)[0];
}

function failedFrom(
  records: readonly StreamRecord[],
  index: number,
  failure: StaysyncError,
  counts: { published: number; skipped: number; quarantined: number },
): RelayOutcome {
  const record = records[index] as StreamRecord;
  return {
    response: { batchItemFailures: [{ itemIdentifier: record.dynamodb.SequenceNumber }] },
    ...counts,
    failure,
  };
}
