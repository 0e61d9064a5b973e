/**
 * Rebuild (issue 19): builds a new version of a store through the sink's own write path
 * under a separate ledger namespace, catches up with the log, verifies the new version
 * with the reconciliation, then swaps. docs/rebuild-redrive.md has the runbooks.
 *
 * OpenSearch: `<prefix>-<entity>-v<N+1>` written through staging aliases
 * (`<prefix>-<entity>-rebuild`), the sink name `<sink>-rebuild-v<N+1>` for checkpoints;
 * the swap moves both live aliases in one `_aliases` request; a final catch-up applies
 * what the live sink wrote to the old version between the verification and the swap; the
 * old index is kept until `--drop-old`. Every step is found again from the aliases and the
 * checkpoints, so a rerun after a kill -9 resumes.
 */
import type { KafkaConfig } from 'kafkajs';
import { DynamoLedger } from '../../functions/adapters/ledger-dynamodb.js';
import { openSearchClient } from '../../functions/adapters/opensearch-client.js';
import { EnvVar } from '../../functions/contract/index.js';
import { dynamoDbClient, s3Client } from '../../functions/runtime/aws-clients.js';
import { readOpenSearchSinkConfig } from '../../functions/sink-opensearch/config.js';
import { readS3ArchiveSinkConfig } from '../../functions/sink-s3-archive/config.js';
import { formatReport, reconcile } from '../reconcile/reconcile.js';
import { ToolError, UsageError } from '../sinks/errors.js';
import { createToolSinkHandler, errorOnlyLogger, type SinkKind } from '../sinks/handlers.js';
import { feedFromArchive, feedFromKafka } from './feed.js';
import {
  deleteIndex,
  readIndexAliases,
  refreshIndices,
  updateAliases,
} from './opensearch-aliases.js';
import { finishActions, planOpenSearchRebuild, swapActions } from './opensearch-plan.js';
import { formatProgress } from './progress.js';

export const RebuildSources = ['kafka', 'archive'] as const;
export type RebuildSource = (typeof RebuildSources)[number];

export interface RebuildOptions {
  readonly kind: SinkKind;
  readonly env: NodeJS.ProcessEnv;
  readonly from: RebuildSource;
  readonly topics: readonly string[];
  readonly brokers: readonly string[];
  readonly kafka?: Omit<KafkaConfig, 'brokers'>;
  readonly dryRun?: boolean;
  /** delete the old versions a finished rebuild kept, and nothing else */
  readonly dropOld?: boolean;
  readonly batchSize?: number;
  readonly log?: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

export type RebuildResult = 'swapped' | 'diverged' | 'dry-run' | 'dropped';

export async function rebuild(options: RebuildOptions): Promise<RebuildResult> {
  if (options.topics.length === 0 && options.dropOld !== true) {
    throw new UsageError(`no topics: pass --topics a,b or set ${EnvVar.topics}`);
  }
  if (options.kind !== 'opensearch') {
    throw new UsageError(
      `rebuild --sink ${options.kind} is not implemented yet (issue 19 is open for it); --sink opensearch is`,
    );
  }
  return rebuildOpenSearch(options);
}

async function rebuildOpenSearch(options: RebuildOptions): Promise<RebuildResult> {
  const { env } = options;
  const log = options.log ?? (() => undefined);
  const now = options.now ?? Date.now;
  const config = readOpenSearchSinkConfig(env);
  const client = openSearchClient(config.client);
  const prefix = config.indexPrefix;
  const readPlan = async () =>
    planOpenSearchRebuild(prefix, await readIndexAliases(client, prefix));
  let plan = await readPlan();

  if (options.dropOld === true) {
    if (plan.phase !== 'fresh') {
      throw new ToolError(`a rebuild of ${prefix} is not finished: finish it before --drop-old`);
    }
    for (const index of plan.unreferenced) {
      if (options.dryRun !== true) await deleteIndex(client, index);
      log(`${options.dryRun === true ? 'would drop' : 'dropped'} ${index}`);
    }
    if (plan.unreferenced.length === 0) log(`no old version of ${prefix} to drop`);
    return options.dryRun === true ? 'dry-run' : 'dropped';
  }

  const sink = `${config.sinkName}-rebuild-v${plan.version}`;
  log(
    `rebuild opensearch ${prefix}: ${plan.phase === 'fresh' ? 'new' : `resuming (${plan.phase})`} version v${plan.version} ` +
      `from ${options.from} (topics ${options.topics.join(', ')}), ledger namespace ${sink}; ` +
      `live: ${[...plan.live.values()].join(', ') || 'none'}`,
  );
  if (options.dryRun === true) {
    log('dry run: nothing written');
    return 'dry-run';
  }

  const rebuildEnv: NodeJS.ProcessEnv = {
    ...env,
    [EnvVar.sinkName]: sink,
    [EnvVar.openSearchIndexVersion]: String(plan.version),
  };
  const handler = createToolSinkHandler('opensearch', rebuildEnv, {
    stage: 'rebuild',
    logger: errorOnlyLogger(log),
    metrics: { publish: () => undefined },
  });
  const ledger = new DynamoLedger(dynamoDbClient(env), config.ledgerTable);
  const progress = (phase: string) => {
    const began = now();
    let lastPrinted = -Infinity;
    return (done: number, total: number) => {
      const t = now();
      if (t - lastPrinted < 1000 && done < total) return;
      lastPrinted = t;
      log(formatProgress(phase, { done, total, elapsedMs: t - began }));
    };
  };
  const target = {
    handler,
    ledger,
    sink,
    topics: options.topics,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
  };
  const kafka = {
    brokers: options.brokers,
    ...(options.kafka === undefined ? {} : { kafka: options.kafka }),
  };

  if (plan.phase !== 'swapped') {
    if (options.from === 'archive') {
      const archive = readS3ArchiveSinkConfig(env);
      const { records } = await feedFromArchive({
        ...target,
        s3: s3Client(env),
        bucket: archive.archiveBucket,
        prefix: archive.archivePrefix,
        onProgress: progress('archive'),
      });
      log(`  archive replayed: ${records} records applied or skipped`);
    }
    await feedFromKafka({ ...target, ...kafka, onProgress: progress('kafka catch-up') });
    await refreshIndices(client, prefix);
    const report = await reconcile({
      env: rebuildEnv,
      ...kafka,
      topics: options.topics,
      stores: ['opensearch'],
      source: options.from,
      openSearchAliasSuffix: 'rebuild',
    });
    log(formatReport(report));
    if (!report.converged) {
      log(
        `not swapped: v${plan.version} differs from the ${options.from}; the live version is untouched`,
      );
      return 'diverged';
    }
    plan = await readPlan();
    await updateAliases(client, swapActions(plan));
    log(`swapped: ${[...plan.rebuilding.values()].join(', ')} now behind the live aliases`);
  }
  // What the live sink applied to the old version until the swap: caught up to the log's
  // end as it is now, after the swap (later records reach the new version through the
  // live sink itself).
  await feedFromKafka({ ...target, ...kafka, onProgress: progress('final catch-up') });
  plan = await readPlan();
  await updateAliases(client, finishActions(plan));
  const kept = (await readPlan()).unreferenced;
  log(
    `done: v${plan.version} is live for ${prefix}` +
      (kept.length > 0
        ? `; old versions kept: ${kept.join(', ')} (drop them with --drop-old)`
        : ''),
  );
  return 'swapped';
}
