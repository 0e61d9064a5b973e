/**
 * Redrive (issue 19): re-applies quarantined records that decode with today's code and
 * configuration, through the sink's own write path at their original coordinates.
 *
 * Each record is handed to the sink's real handler alone, in an MSK event as Lambda built
 * it (the quarantine keeps the raw record). The handler's ledger is seen through a view
 * that reads no checkpoint and stores none: the live checkpoint is past every quarantined
 * offset (poison counts as processed), and a redrive must neither be skipped by it nor
 * move it. Late application is safe: every write is guarded by its version (on
 * log-ordered topics the offset), and aggregates by their `evt#` markers under the live
 * sink name. A record that applies (or that the store already holds) moves under
 * `redriven/` with its outcome; one still poison stays, rewritten only when today's
 * reason differs; a retriable failure stays as it was. Running it twice changes nothing.
 */

import { toBatchEntry } from '../../functions/core/engine/decode-entry.js';
import type { MetricName } from '../../functions/core/engine/observability.js';
import type { Ledger } from '../../functions/core/ledger.js';
import { DEFAULT_DECODE_LIMITS } from '../../functions/core/limits.js';
import { decodeRecord } from '../../functions/core/msk-decode.js';
import type { MskEvent } from '../../functions/core/msk-event.js';
import type { Quarantine, QuarantineEntry } from '../../functions/core/quarantine.js';
import { s3Client } from '../../functions/runtime/aws-clients.js';
import { readSinkCommonConfig } from '../../functions/runtime/sink-config.js';
import { UsageError } from '../sinks/errors.js';
import { createToolSinkHandler, errorOnlyLogger, type SinkKind } from '../sinks/handlers.js';
import { isResolved, outcomeOf, type RedriveOutcome } from './outcome.js';
import { QuarantineObjects, type StoredEntry } from './quarantine-objects.js';
import type { RedriveRow } from './summary.js';

export interface RedriveOptions {
  readonly kind: SinkKind;
  /** the sink's environment (DESIGN §3.2): an env file, the shell, or the function's */
  readonly env: NodeJS.ProcessEnv;
  /** only entries quarantined for this reason */
  readonly reason?: string;
  /** only entries quarantined at or after this time */
  readonly since?: Date;
  readonly dryRun?: boolean;
  /** @default new Date() */
  readonly now?: () => Date;
  /** progress and sink errors */
  readonly log?: (line: string) => void;
}

export interface RedriveReport {
  readonly sink: string;
  readonly dryRun: boolean;
  readonly rows: readonly RedriveRow[];
}

/** A ledger view for redrive: nothing is applied yet, and no checkpoint moves. */
export const noCheckpointLedger = (): Ledger => ({
  readCheckpoint: async () => null,
  advanceCheckpoint: async () => true,
});

/** Whether an entry is selected by `--reason` and `--since`. */
export function selects(entry: QuarantineEntry, options: Pick<RedriveOptions, 'reason' | 'since'>) {
  if (options.reason !== undefined && entry.reason !== options.reason) return false;
  if (options.since !== undefined && !(Date.parse(entry.quarantinedAt) >= options.since.getTime()))
    return false;
  return true;
}

export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const { kind, env } = options;
  if (kind === 's3-archive') {
    throw new UsageError(
      'the s3-archive sink archives every record it can read (it quarantines no decoding poison): there is nothing to redrive',
    );
  }
  const log = options.log ?? (() => undefined);
  const now = options.now ?? (() => new Date());
  const common = readSinkCommonConfig(env, kind);
  const sink = common.sinkName;
  const objects = new QuarantineObjects(
    s3Client(env),
    common.quarantineBucket,
    common.quarantinePrefix,
  );
  const apply = options.dryRun === true ? undefined : recordApplier(kind, env, log);
  const rows: RedriveRow[] = [];
  for await (const stored of objects.entries(sink)) {
    const { entry } = stored;
    if (!selects(entry, options)) continue;
    const base = {
      key: stored.key,
      topic: entry.topic,
      partition: entry.partition,
      offset: entry.offset,
      reason: entry.reason,
    };
    if (apply === undefined) {
      const poison = decodesAs(entry, common.pipeline);
      rows.push(
        poison === null
          ? { ...base, outcome: 'would-apply' }
          : { ...base, outcome: 'would-stay-poison', newReason: poison.reason },
      );
      continue;
    }
    const result = await apply(entry);
    rows.push({
      ...base,
      outcome: result.outcome,
      ...(result.poison === undefined ? {} : { newReason: result.poison.reason }),
    });
    await settle(objects, stored, result, now);
    log(`${entry.topic}-${entry.partition}@${entry.offset} ${entry.reason}: ${result.outcome}`);
  }
  return { sink, dryRun: apply === undefined, rows };
}

interface Applied {
  readonly outcome: RedriveOutcome;
  /** the entry the engine quarantined the record with again */
  readonly poison?: QuarantineEntry;
}

/** Moves a resolved entry under `redriven/`; rewrites one whose poison reason changed. */
async function settle(
  objects: QuarantineObjects,
  stored: StoredEntry,
  result: Applied,
  now: () => Date,
): Promise<void> {
  if (isResolved(result.outcome)) {
    await objects.markRedriven(stored, {
      outcome: result.outcome,
      redrivenAt: now().toISOString(),
    });
    return;
  }
  const again = result.poison;
  if (
    again !== undefined &&
    (again.reason !== stored.entry.reason || again.error.message !== stored.entry.error.message)
  ) {
    // keep when it was first quarantined (what --since selects on)
    await objects.rewrite(stored.key, { ...again, quarantinedAt: stored.entry.quarantinedAt });
  }
}

/** Today's decoding of an entry's raw record: null when it decodes, else the poison. */
function decodesAs(
  entry: QuarantineEntry,
  pipeline: ReturnType<typeof readSinkCommonConfig>['pipeline'],
) {
  const decoded = decodeRecord(entry.raw, DEFAULT_DECODE_LIMITS);
  return toBatchEntry(decoded, true, pipeline, DEFAULT_DECODE_LIMITS).poison ?? null;
}

/**
 * The sink's real handler, applying one quarantined record per invocation and telling
 * what became of it (from the engine's counts and what it quarantined again).
 */
function recordApplier(
  kind: SinkKind,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): (entry: QuarantineEntry) => Promise<Applied> {
  let counts: ReadonlyMap<MetricName, number> = new Map();
  let requarantined: QuarantineEntry[] = [];
  const capture: Quarantine = {
    put: async (entries) => {
      requarantined.push(...entries);
    },
  };
  const handler = createToolSinkHandler(kind, env, {
    ledger: noCheckpointLedger,
    quarantine: () => capture,
    logger: errorOnlyLogger(log),
    metrics: { publish: (c) => (counts = new Map(c)) },
  });
  return async (entry) => {
    counts = new Map();
    requarantined = [];
    const event: MskEvent = {
      eventSource: 'aws:kafka',
      records: { [`${entry.topic}-${entry.partition}`]: [entry.raw] },
    };
    let failed = false;
    try {
      const response = await handler(event);
      failed = response.batchItemFailures.length > 0;
    } catch (err) {
      log(`${entry.topic}-${entry.partition}@${entry.offset}: ${(err as Error).message}`);
      failed = true;
    }
    const poison = requarantined.find((e) => e.offset === entry.offset);
    const outcome = outcomeOf({
      counts,
      failed,
      ...(poison === undefined ? {} : { poisonReason: poison.reason }),
    });
    return poison === undefined ? { outcome } : { outcome, poison };
  };
}
