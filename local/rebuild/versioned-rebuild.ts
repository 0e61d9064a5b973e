/**
 * Rebuild of the DynamoDB view into a new table, and of the S3 archive into a new prefix
 * (docs/rebuild-redrive.md). The sink and the applications read the store its variable
 * names (`VIEW_TABLE`, `ARCHIVE_PREFIX`), set by a deploy; so "swap" is two runs around
 * that deploy:
 * 1. build `<name>-v<N+1>` through the sink's handler under `<sink>-rebuild-v<N+1>`,
 *    catch up with the log, verify with the reconciliation, print the new name;
 * 2. (operator) pause the sink's mapping, deploy the variable with the new name;
 * 3. the same command again: the final catch-up to the end of the log, then the live
 *    sink's checkpoints are advanced to the rebuild's, so when the mapping resumes the
 *    live sink continues exactly where the rebuild stopped: no offset is applied twice
 *    (archive objects, aggregates) and none is skipped; verified again, marked done.
 * Every step is found again from the ledger's marker and checkpoints: kill -9 anywhere and
 * rerun. The old table or prefix is kept until `--drop-old`.
 *
 * `--in-place` (DynamoDB only) replays over the live table under a fresh namespace: every
 * write is version-guarded, so it only restores what is missing or older than the log.
 */
import { EnvVar } from '../../functions/contract/index.js';
import { dynamoDbClient, s3Client } from '../../functions/runtime/aws-clients.js';
import { readDynamoSinkConfig } from '../../functions/sink-dynamodb/config.js';
import { readS3ArchiveSinkConfig } from '../../functions/sink-s3-archive/config.js';
import { formatReport, reconcile, type StoreName } from '../reconcile/reconcile.js';
import { ToolError, UsageError } from '../sinks/errors.js';
import { feedSetup, replayAndCatchUp } from './catch-up.js';
import { feedFromKafka } from './feed.js';
import type { RebuildOptions, RebuildResult } from './rebuild.js';
import { readMarker, writeMarker } from './rebuild-markers.js';
import {
  olderNames,
  parseVersionedName,
  planVersionedRebuild,
  type RebuildMarker,
  rebuildNamespace,
} from './versioned-plan.js';
import {
  createTableLike,
  deletePrefix,
  deleteTable,
  prefixExists,
  tableExists,
} from './versioned-stores.js';

/** What differs between the two stores. */
interface StoreSpec {
  readonly kind: 'dynamodb' | 's3-archive';
  readonly variable: string;
  readonly live: string;
  readonly sink: string;
  readonly ledgerTable: string;
  readonly reconcileStore: StoreName;
  readonly prepare: (target: string) => Promise<void>;
  readonly exists: (name: string) => Promise<boolean>;
  readonly drop: (name: string) => Promise<void>;
}

function storeSpec(options: RebuildOptions): StoreSpec {
  const { env } = options;
  if (options.kind === 'dynamodb') {
    const config = readDynamoSinkConfig(env);
    const client = dynamoDbClient(env);
    return {
      kind: 'dynamodb',
      variable: EnvVar.viewTable,
      live: config.viewTable,
      sink: config.sinkName,
      ledgerTable: config.ledgerTable,
      reconcileStore: 'dynamodb',
      prepare: (target) => createTableLike(client, config.viewTable, target),
      exists: (name) => tableExists(client, name),
      drop: (name) => deleteTable(client, name),
    };
  }
  const config = readS3ArchiveSinkConfig(env);
  const s3 = s3Client(env);
  if (options.from !== 'kafka') {
    throw new UsageError('rebuild --sink s3-archive reads only from Kafka (--from kafka)');
  }
  return {
    kind: 's3-archive',
    variable: EnvVar.archivePrefix,
    live: config.archivePrefix,
    sink: config.sinkName,
    ledgerTable: config.ledgerTable,
    reconcileStore: 'archive',
    prepare: async () => undefined,
    exists: (name) => prefixExists(s3, config.archiveBucket, name),
    drop: async (name) => {
      await deletePrefix(s3, config.archiveBucket, name);
    },
  };
}

export async function rebuildVersioned(options: RebuildOptions): Promise<RebuildResult> {
  const log = options.log ?? (() => undefined);
  const spec = storeSpec(options);
  const ddb = dynamoDbClient(options.env);
  const { version } = parseVersionedName(spec.live);
  const markers = new Map<number, RebuildMarker>();
  for (const v of [version, version + 1]) {
    const marker = await readMarker(ddb, spec.ledgerTable, rebuildNamespace(spec.sink, v));
    if (marker !== undefined) markers.set(v, marker);
  }
  const plan = planVersionedRebuild(spec.sink, spec.live, markers);
  const dry = options.dryRun === true;

  if (options.dropOld === true) {
    if (plan.phase !== 'fresh') {
      throw new ToolError(
        `a rebuild of ${spec.live} is not finished (${plan.phase} ${plan.target}): finish it before --drop-old`,
      );
    }
    let dropped = 0;
    for (const name of olderNames(spec.live)) {
      if (!(await spec.exists(name))) continue;
      if (!dry) await spec.drop(name);
      dropped++;
      log(`${dry ? 'would drop' : 'dropped'} ${name}`);
    }
    if (dropped === 0) log(`no old version of ${spec.live} to drop`);
    return dry ? 'dry-run' : 'dropped';
  }

  log(
    `rebuild ${spec.kind} ${spec.live}: ${plan.phase === 'fresh' ? 'new' : `resuming (${plan.phase})`} ` +
      `${plan.target} (v${plan.version}) from ${options.from} (topics ${options.topics.join(', ')}), ` +
      `ledger namespace ${plan.namespace}`,
  );
  if (dry) {
    log('dry run: nothing written');
    return 'dry-run';
  }

  const rebuildEnv: NodeJS.ProcessEnv = {
    ...options.env,
    [EnvVar.sinkName]: plan.namespace,
    [spec.variable]: plan.target,
  };
  const feed = feedSetup({
    kind: spec.kind,
    env: rebuildEnv,
    ledgerTable: spec.ledgerTable,
    run: options,
    log,
  });
  const verify = async () => {
    const report = await reconcile({
      env: rebuildEnv,
      ...feed.kafka,
      topics: options.topics,
      stores: [spec.reconcileStore],
      source: options.from,
    });
    log(formatReport(report));
    return report.converged;
  };
  const mark = (status: RebuildMarker['status']) =>
    writeMarker(ddb, spec.ledgerTable, plan.namespace, { target: plan.target, status });

  if (plan.phase !== 'switched') {
    if (plan.phase === 'fresh') await mark('building');
    await spec.prepare(plan.target);
    await replayAndCatchUp({ ...feed, from: options.from, env: options.env, log });
    if (!(await verify())) {
      log(
        `not verified: ${plan.target} differs from the ${options.from}; ${spec.live} is untouched`,
      );
      return 'diverged';
    }
    await mark('verified');
    log(
      `built and verified: ${plan.target}. To switch: pause the ${spec.sink} sink's event source mapping, ` +
        `deploy ${spec.variable}=${plan.target}, run this command again (final catch-up and checkpoint ` +
        `hand-over), then resume the mapping. ${spec.live} is kept until --drop-old.`,
    );
    return 'built';
  }

  // Switched: what the live sink applied to the old store until it was paused, then the
  // live sink's checkpoints moved up to the rebuild's.
  const { ends } = await feedFromKafka({
    ...feed.target,
    ...feed.kafka,
    onProgress: feed.progress('final catch-up'),
  });
  for (const id of ends.keys()) {
    const cut = id.lastIndexOf('-');
    const ref = { topic: id.slice(0, cut), partition: Number(id.slice(cut + 1)) };
    const done = await feed.ledger.readCheckpoint({ sink: plan.namespace, ...ref });
    if (done !== null) await feed.ledger.advanceCheckpoint({ sink: spec.sink, ...ref }, done);
  }
  if (!(await verify())) {
    log(`${plan.target} differs from the log after the switch: read the divergences, then rerun`);
    return 'diverged';
  }
  await mark('done');
  log(
    `done: ${plan.target} is live, the ${spec.sink} sink's checkpoints continue after the rebuild's; ` +
      `resume its mapping. Old versions kept until --drop-old.`,
  );
  return 'swapped';
}

/**
 * `--in-place`: the log (or the archive) replayed over the live table under namespace
 * `<sink>-inplace-r<run>`; a marker `rebuild#<sink>-inplace` keeps the run so a rerun
 * after kill -9 resumes it, and a later in-place rebuild starts a new one.
 */
export async function rebuildInPlace(options: RebuildOptions): Promise<RebuildResult> {
  const log = options.log ?? (() => undefined);
  if (options.kind !== 'dynamodb') {
    throw new UsageError('--in-place is for --sink dynamodb only');
  }
  const config = readDynamoSinkConfig(options.env);
  if (config.aggregates.length > 0) {
    // aggregates are deltas deduplicated by evt# markers under the sink's name: a replay
    // under another namespace would count every event again
    throw new UsageError(
      `--in-place would count the aggregates (${config.aggregates.map((a) => a.name).join(', ')}) twice: rebuild into a new table instead`,
    );
  }
  const ddb = dynamoDbClient(options.env);
  const markerNs = `${config.sinkName}-inplace`;
  const previous = await readMarker(ddb, config.ledgerTable, markerNs);
  const resuming = previous !== undefined && previous.status !== 'done';
  const run = (previous?.run ?? 0) + (resuming ? 0 : 1);
  const namespace = `${config.sinkName}-inplace-r${run}`;
  log(
    `rebuild dynamodb ${config.viewTable} in place: ${resuming ? 'resuming' : 'new'} run ${run} from ${options.from} ` +
      `(topics ${options.topics.join(', ')}), ledger namespace ${namespace}`,
  );
  if (options.dryRun === true) {
    log('dry run: nothing written');
    return 'dry-run';
  }
  const mark = (status: RebuildMarker['status']) =>
    writeMarker(ddb, config.ledgerTable, markerNs, { target: config.viewTable, status, run });
  if (!resuming) await mark('building');
  const env = { ...options.env, [EnvVar.sinkName]: namespace };
  const feed = feedSetup({
    kind: 'dynamodb',
    env,
    ledgerTable: config.ledgerTable,
    run: options,
    log,
  });
  await replayAndCatchUp({ ...feed, from: options.from, env: options.env, log });
  const report = await reconcile({
    env,
    ...feed.kafka,
    topics: options.topics,
    stores: ['dynamodb'],
    source: options.from,
  });
  log(formatReport(report));
  if (!report.converged) {
    log(
      'still diverged: an in-place replay restores only missing or older items; an item at or above its log version, or one the log never wrote, needs a new table',
    );
    return 'diverged';
  }
  await mark('done');
  log(`done: ${config.viewTable} equals the ${options.from}`);
  return 'swapped';
}
