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
import { openSearchClient } from '../../functions/adapters/opensearch-client.js';
import { EnvVar } from '../../functions/contract/index.js';
import { readOpenSearchSinkConfig } from '../../functions/sink-opensearch/config.js';
import { formatReport, reconcile } from '../reconcile/reconcile.js';
import { ToolError, UsageError } from '../sinks/errors.js';
import type { SinkKind } from '../sinks/handlers.js';
import { feedSetup, replayAndCatchUp } from './catch-up.js';
import { feedFromKafka } from './feed.js';
import { deleteIndex, readIndexAliases, updateAliases } from './opensearch-aliases.js';
import { finishActions, planOpenSearchRebuild, swapActions } from './opensearch-plan.js';
import { rebuildInPlace, rebuildVersioned } from './versioned-rebuild.js';

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
  /** DynamoDB: replay over the live table instead of building a new one */
  readonly inPlace?: boolean;
  readonly batchSize?: number;
  readonly log?: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** `built`: a new table or prefix verified, waiting for the deploy that switches to it */
export type RebuildResult = 'swapped' | 'built' | 'diverged' | 'dry-run' | 'dropped';

export async function rebuild(options: RebuildOptions): Promise<RebuildResult> {
  if (options.topics.length === 0 && options.dropOld !== true) {
    throw new UsageError(`no topics: pass --topics a,b or set ${EnvVar.topics}`);
  }
  if (options.inPlace === true) {
    if (options.dropOld === true) throw new UsageError('--in-place keeps no old version to drop');
    return rebuildInPlace(options);
  }
  return options.kind === 'opensearch' ? rebuildOpenSearch(options) : rebuildVersioned(options);
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
  const { target, kafka, progress } = feedSetup({
    kind: 'opensearch',
    env: rebuildEnv,
    ledgerTable: config.ledgerTable,
    run: { ...options, now },
    log,
    handlerOptions: { stage: 'rebuild' },
  });

  if (plan.phase !== 'swapped') {
    await replayAndCatchUp({ target, kafka, from: options.from, env, progress, log });
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
