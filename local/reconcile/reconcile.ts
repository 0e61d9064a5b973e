/**
 * Reconciliation: every store against the log. Reads the log (Kafka from offset 0, or
 * the S3 archive), computes the oracle, reads each store through the sinks' adapters and
 * lists every divergence with its key. Exact aggregate totals are checked when the
 * pipeline declares aggregates.
 *
 * @example
 * const report = await reconcile({ env: process.env, brokers: ['127.0.0.1:9092'], topics: ['customers'] });
 * console.log(formatReport(report));
 * process.exitCode = report.converged ? 0 : 1;
 */

import type { KafkaConfig } from 'kafkajs';
import {
  EnvVar,
  optionalEnv,
  parsePipelineConfig,
  parsePipelineProjections,
} from '../../functions/contract/index.js';
import { toMskEventRecord } from '../../functions/core/archive/line.js';
import { parseAggregateSpecs } from '../../functions/core/dynamodb/aggregates.js';
import { projectionFromSpec } from '../../functions/core/dynamodb/projection.js';
import type { MskEventRecord } from '../../functions/core/msk-event.js';
import { toMskRecord } from '../esm/event-builder.js';
import { type SchemaValidation, validateRecords } from '../esm/schema-validation.js';
import {
  type ArchiveComparable,
  compareAggregates,
  compareArchivePartition,
  compareStates,
  type Divergence,
  type StateCounts,
} from './compare.js';
import { readLog } from './log-source.js';
import { buildOracle } from './oracle.js';
import { readArchive, readDynamoView, readOpenSearch } from './stores.js';

export const StoreNames = ['dynamodb', 'opensearch', 'archive'] as const;
export type StoreName = (typeof StoreNames)[number];

export interface ReconcileOptions {
  /** the sinks' environment (DESIGN §3.2): which tables, indexes, buckets to read */
  readonly env: NodeJS.ProcessEnv;
  readonly brokers: readonly string[];
  /** kafkajs settings besides the brokers (e.g. `mskIamKafkaConfig(region)` for MSK with IAM) */
  readonly kafka?: Omit<KafkaConfig, 'brokers'>;
  readonly topics: readonly string[];
  /** default: every store whose variables are set in `env` */
  readonly stores?: readonly StoreName[];
  /** where the truth comes from; default `kafka` */
  readonly source?: 'kafka' | 'archive';
  /** OpenSearch: read the indexes behind `<prefix>-<entity>-<suffix>` aliases; `rebuild`
   *  checks a rebuild's new version before its swap. @default 'write' */
  readonly openSearchAliasSuffix?: string;
  /** the mappings' schema registry step (Avro topics): the log is compared as the sinks got
   *  it, each record decoded to JSON, the records the step rejected left out */
  readonly schemaRegistry?: SchemaValidation;
}

export interface StoreReport {
  readonly store: StoreName;
  /** entities (state stores) or offsets (archive) compared */
  readonly checked: number;
  readonly counts?: StateCounts;
  readonly aggregateItems?: number;
  readonly divergences: readonly Divergence[];
}

export interface ReconcileReport {
  readonly source: 'kafka' | 'archive';
  readonly records: number;
  readonly partitions: number;
  readonly poison: number;
  /** entities the log produced (live + deleted) */
  readonly entities: number;
  readonly live: number;
  readonly aggregateItems: number;
  readonly stores: readonly StoreReport[];
  readonly converged: boolean;
  readonly elapsedMs: number;
}

const configured = (env: NodeJS.ProcessEnv): StoreName[] =>
  StoreNames.filter((s) =>
    s === 'dynamodb'
      ? optionalEnv(EnvVar.viewTable, env) !== undefined
      : s === 'opensearch'
        ? optionalEnv(EnvVar.openSearchEndpoint, env) !== undefined &&
          optionalEnv(EnvVar.indexPrefix, env) !== undefined
        : optionalEnv(EnvVar.archiveBucket, env) !== undefined,
  );

export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const begin = Date.now();
  const { env } = options;
  const source = options.source ?? 'kafka';
  const stores = options.stores ?? configured(env);
  const pipelineJson = optionalEnv(EnvVar.pipeline, env);
  const pipeline = parsePipelineConfig(pipelineJson);
  const aggregates = parseAggregateSpecs(pipelineJson);
  const projections = parsePipelineProjections(pipelineJson).map(projectionFromSpec);

  // The log, per partition in offset order, as comparable records and as MSK records.
  const partitions = new Map<string, ArchiveComparable[]>();
  const mskRecords: MskEventRecord[] = [];
  let archived: Awaited<ReturnType<typeof readArchive>> | undefined;
  if (source === 'kafka') {
    const log = await readLog({
      brokers: options.brokers,
      topics: options.topics,
      ...(options.kafka === undefined ? {} : { kafka: options.kafka }),
    });
    for (const [id, fetched] of log.partitions) {
      const records =
        options.schemaRegistry === undefined
          ? fetched
          : (await validateRecords(fetched, options.schemaRegistry)).valid;
      partitions.set(
        id,
        records.map((r) => ({ ...r, headers: r.headers.map(([key, value]) => ({ key, value })) })),
      );
      mskRecords.push(...records.map(toMskRecord));
    }
  } else {
    archived = await readArchive(env, options.topics);
    for (const [id, records] of archived) {
      const seen = new Set<number>();
      const unique = records.filter((r) => !seen.has(r.offset) && seen.add(r.offset));
      unique.sort((a, b) => a.offset - b.offset);
      partitions.set(id, unique);
      mskRecords.push(...unique.map(toMskEventRecord));
    }
  }
  const oracle = buildOracle(mskRecords, { pipeline, aggregates, projections });

  const reports: StoreReport[] = [];
  for (const store of stores) {
    if (store === 'dynamodb') {
      const contents = await readDynamoView(env);
      const views = compareStates(oracle.dynamoViews, contents.views);
      const totals =
        aggregates.length > 0 ? compareAggregates(oracle.aggregates, contents.aggregates) : [];
      reports.push({
        store,
        checked: oracle.dynamoViews.size,
        counts: views.counts,
        aggregateItems: contents.aggregates.size,
        divergences: [...views.divergences, ...totals],
      });
    } else if (store === 'opensearch') {
      const docs = await readOpenSearch(env, options.openSearchAliasSuffix);
      const { divergences, counts } = compareStates(oracle.views, docs);
      reports.push({ store, checked: oracle.views.size, counts, divergences });
    } else if (source === 'kafka') {
      const contents = await readArchive(env, options.topics);
      const divergences: Divergence[] = [];
      let checked = 0;
      for (const [id, log] of partitions) {
        checked += log.length;
        divergences.push(...compareArchivePartition(id, log, contents.get(id) ?? []));
      }
      for (const [id, extra] of contents) {
        if (!partitions.has(id)) divergences.push(...compareArchivePartition(id, [], extra));
      }
      reports.push({ store, checked, divergences });
    }
  }
  let live = 0;
  for (const s of oracle.views.values()) if (!s.deleted) live++;
  return {
    source,
    records: oracle.records,
    partitions: partitions.size,
    poison: oracle.poison.length,
    entities: oracle.views.size,
    live,
    aggregateItems: oracle.aggregates.size,
    stores: reports,
    converged: reports.every((r) => r.divergences.length === 0),
    elapsedMs: Date.now() - begin,
  };
}

/** The report as text: one line per store, then every divergence (up to `maxListed` per store). */
export function formatReport(report: ReconcileReport, maxListed = 50): string {
  const lines = [
    `Reconciliation against the ${report.source === 'kafka' ? 'Kafka log (from offset 0)' : 'S3 archive'}: ` +
      `${report.records} records in ${report.partitions} partitions, ${report.poison} poison, ` +
      `${report.entities} entities (${report.live} live, ${report.entities - report.live} deleted)` +
      (report.aggregateItems > 0 ? `, ${report.aggregateItems} aggregate items` : ''),
  ];
  for (const store of report.stores) {
    const verdict = store.divergences.length === 0 ? 'OK ' : 'DIVERGED';
    const what =
      store.store === 'archive'
        ? `${store.checked} offsets archived exactly once, byte for byte`
        : `${store.checked} entities checked, holds ${store.counts?.live ?? 0} live + ${store.counts?.deleted ?? 0} tombstones` +
          (store.aggregateItems !== undefined && report.aggregateItems > 0
            ? `, ${store.aggregateItems} aggregate items with exact totals`
            : '');
    lines.push(
      `  ${verdict.padEnd(8)} ${store.store.padEnd(10)} ${store.divergences.length === 0 ? what : `${store.divergences.length} divergences (${what.replace(' exactly once, byte for byte', '')})`}`,
    );
    for (const d of store.divergences.slice(0, maxListed)) {
      lines.push(
        `             ${d.kind.padEnd(17)} ${d.key}: expected ${d.expected}, store has ${d.actual}`,
      );
    }
    if (store.divergences.length > maxListed) {
      lines.push(`             … and ${store.divergences.length - maxListed} more`);
    }
  }
  lines.push(
    report.converged
      ? `CONVERGED: every store equals the log (${(report.elapsedMs / 1000).toFixed(1)} s)`
      : `DIVERGED: ${report.stores
          .filter((s) => s.divergences.length > 0)
          .map((s) => s.store)
          .join(', ')} differ from the log`,
  );
  return lines.join('\n');
}
