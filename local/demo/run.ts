/**
 * The whole local pipeline, live: stack up, resources created, the three real sink
 * handlers driven by the event-source-mapping emulator while a realistic workload is
 * published, optional faults (sink workers and the emulator killed mid-run), then the
 * reconciliation of every store against the log.
 */
import { createWriteStream, mkdirSync, type WriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { EnvVar } from '../../functions/contract/index.js';
import { s3Client } from '../../functions/runtime/aws-clients.js';
import { MetricTotals } from '../esm/emf-tap.js';
import { EventSourceMapping, type MappingSettings } from '../esm/event-source-mapping.js';
import { S3FailureDestination } from '../esm/on-failure-destination.js';
import type { SchemaValidation } from '../esm/schema-validation.js';
import { SinkHost } from '../esm/sink-host.js';
import { avroValueWriter } from '../publisher/avro.js';
import type { OutgoingRecord } from '../publisher/envelope.js';
import { createPublisher } from '../publisher/publisher.js';
import { formatReport, type ReconcileReport, reconcile } from '../reconcile/reconcile.js';
import { ConfluentRecordDecoder } from '../schema-registry/decoder.js';
import { confluentRegistryClient } from '../schema-registry/registry-client.js';
import { services } from '../stack/services/index.js';
import { up } from '../stack/stack.js';
import { stackPaths } from '../stack/support/paths.js';
import { KILLABLE_ENGINES, type KillableEngine, killAndRestart } from './engine-faults.js';
import { ProgressRenderer, type SinkProgress } from './progress.js';
import { seeded } from './random.js';
import {
  createResources,
  deleteResources,
  runNames,
  type SinkName,
  SinkNames,
  sinkEnv,
} from './resources.js';
import { SOURCE_PROJECTIONS, SourceApplication } from './source-mode.js';
import { buildWorkload, type Step } from './workload.js';

export interface DemoOptions {
  readonly events: number;
  readonly partitions: number;
  readonly faults: boolean;
  /** with `faults`: also kill -9 and restart each engine of the stack once (engine-faults.ts) */
  readonly engineKills?: boolean;
  readonly seed: number;
  readonly runId: string;
  /** change events published per second (0: as fast as possible) */
  readonly rate: number;
  readonly cleanup: boolean;
  readonly timeoutMs: number;
  readonly batchSize: number;
  /** values as Confluent-framed Avro through the stack's schema registry, decoded by the
   *  mappings' schema registry step (docs/local-stack.md); not with `source` */
  readonly avro?: boolean;
  /** the workload is an application writing source tables, relayed into Kafka (source-mode.ts) */
  readonly source?: boolean;
  readonly out: NodeJS.WriteStream;
}

export interface DemoResult {
  readonly report: ReconcileReport;
  readonly records: number;
  readonly faults: number;
  /** first publish → every sink caught up */
  readonly pipelineMs: number;
  readonly envFile: string;
  /** source mode: source items checked against the view and the index, and those that differ */
  readonly sourceCheck?: { readonly checked: number; readonly divergences: readonly string[] };
}

const HANDLERS: Readonly<Record<SinkName, string>> = {
  dynamodb: 'sink-dynamodb',
  opensearch: 'sink-opensearch',
  's3-archive': 'sink-s3-archive',
};

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const began = Date.now();
  const print = (line: string) => options.out.write(`${line}\n`);
  const paths = stackPaths();
  print('staysync: bringing the local stack up (reused when it is already up)…');
  // adopt: false — under `npm test` the stack belongs to the test run, which stops it.
  const { env: stack } = await up(services, paths, {
    log: (l) => print(`  ${l}`),
    adopt: false,
  });
  const brokers = (stack[EnvVar.kafkaBrokers] ?? '').split(',');
  const avro = options.avro === true ? avroMode(stack) : undefined;
  if (avro !== undefined && options.source === true) {
    throw new Error('--avro applies to the published workload, not to --source');
  }
  const names = runNames(options.runId);
  const awsEnv = { ...process.env, ...stack };
  const kafka = new Kafka({ clientId: 'staysync-demo', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = Object.values(names.topics);

  const pipelineJson = JSON.stringify({
    topics: Object.fromEntries(topics.map((t) => [t, { versioning: 'source', format: 'native' }])),
    aggregates: [
      {
        name: 'orders-by-customer',
        entity: 'order',
        groupBy: 'customerId',
        measures: { orderCount: { count: true }, totalSpent: { sum: 'amount' } },
      },
    ],
    ...(options.source === true ? { projections: SOURCE_PROJECTIONS } : {}),
  });
  print(
    `staysync: run ${names.runId}: topics ${topics.join(', ')} (${options.partitions} partitions), tables ${names.ledgerTable} + ${names.viewTable}, buckets ${names.archiveBucket}, ${names.quarantineBucket}, ${names.failureBucket}, index prefix ${names.indexPrefix}`,
  );
  await createResources(names, admin, options.partitions, awsEnv);
  const application = options.source === true ? new SourceApplication(names, stack) : undefined;
  if (application !== undefined) {
    await application.start();
    print(
      `staysync: source mode: the application writes ${application.tables.customers} (customers, table CDC) and ${application.tables.orders} (orders + outbox); two relays fill the topics`,
    );
  }

  const workload = buildWorkload({ events: options.events, seed: options.seed });
  print(
    `staysync: workload (seed ${options.seed}): ${Object.entries(workload.mix)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  );

  // Sink "functions": one worker thread each, with exactly its own environment.
  const logDir = path.join(paths.root, 'logs');
  mkdirSync(logDir, { recursive: true });
  const metrics = new Map<SinkName, MetricTotals>();
  const logs = new Map<SinkName, WriteStream>();
  const hosts = new Map<SinkName, SinkHost>();
  const envs = new Map<SinkName, Record<string, string>>();
  for (const sink of SinkNames) {
    const totals = new MetricTotals();
    const log = createWriteStream(path.join(logDir, `demo-${names.runId}-${sink}.log`), {
      flags: 'a',
    });
    metrics.set(sink, totals);
    logs.set(sink, log);
    const env = sinkEnv(sink, names, stack, pipelineJson);
    envs.set(sink, env);
    hosts.set(
      sink,
      new SinkHost({
        name: sink,
        handlerModule: path.join(repoRoot, 'functions', HANDLERS[sink], 'handler.ts'),
        env,
        timeoutMs: 120_000,
        onOutput: (line) => {
          if (!totals.take(line)) log.write(`${line}\n`);
        },
      }),
    );
  }
  const renderer = new ProgressRenderer(options.out);
  const invocationStats = new Map<SinkName, { invocations: number; failed: number }>(
    SinkNames.map((s) => [s, { invocations: 0, failed: 0 }]),
  );
  const destination = new S3FailureDestination(
    s3Client(awsEnv),
    names.failureBucket,
    `staysync-${names.runId}`,
  );
  const settings: Partial<MappingSettings> = {
    batchSize: options.batchSize,
    batchingWindowMs: 200,
    maxRetryAttempts: 10,
    retryDelayMs: 200,
    maxRetryDelayMs: 3_000,
  };
  const newMapping = (sink: SinkName) =>
    new EventSourceMapping({
      uuid: `staysync-${names.runId}-${sink}`,
      functionName: sink,
      groupId: names.groupOf(sink),
      topics,
      brokers,
      invoker: hosts.get(sink) as SinkHost,
      destination,
      // Every sink runs its partitions concurrently, as Lambda does (Dynoxide isolates
      // concurrent transactions, so the aggregates need no limit here).
      // Bisect on, as the deployed mappings (infra/constructs/stream-settings.ts); record age
      // stays infinite there by default, so here too.
      settings: { ...settings, bisectBatchOnFunctionError: true },
      ...(avro === undefined ? {} : { schemaRegistry: avro.validation }),
      onInvocation: (info) => {
        const s = invocationStats.get(sink);
        if (s === undefined) return;
        s.invocations++;
        if (!info.result.ok || info.seekTo !== undefined) s.failed++;
      },
      log: (line) => logs.get(sink)?.write(`[esm] ${line}\n`),
    });
  let mappings = new Map<SinkName, EventSourceMapping>(SinkNames.map((s) => [s, newMapping(s)]));
  await Promise.all([...mappings.values()].map((m) => m.start()));

  // Lag, from the consumer groups' committed offsets (they survive emulator restarts).
  const ends = new Map<string, number>();
  const committed = new Map<SinkName, number>();
  const refreshOffsets = async () => {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic))
        ends.set(`${topic}-${p.partition}`, Number(p.high));
    }
    for (const sink of SinkNames) {
      const groups = await admin.fetchOffsets({ groupId: names.groupOf(sink), topics });
      let sum = 0;
      for (const g of groups) for (const p of g.partitions) sum += Math.max(0, Number(p.offset));
      committed.set(sink, sum);
    }
  };
  const endTotal = () => [...ends.values()].reduce((a, b) => a + b, 0);
  const caughtUp = () => SinkNames.every((s) => (committed.get(s) ?? 0) >= endTotal());

  let published = 0;
  let faults = 0;
  const enginesKilled: string[] = [];
  let phase = 'publishing';
  const progress = (force = false): void =>
    renderer.update(
      {
        published,
        toPublish: options.events,
        elapsedMs: Date.now() - began,
        faults,
        phase,
        sinks: SinkNames.map((sink): SinkProgress => {
          const m = metrics.get(sink) as MetricTotals;
          const inv = invocationStats.get(sink) ?? { invocations: 0, failed: 0 };
          return {
            sink,
            applied: m.get('RecordsApplied'),
            stale: m.get('RecordsStale'),
            duplicate: m.get('RecordsDuplicate'),
            quarantined: m.get('RecordsPoison'),
            skipped: m.get('RecordsSkipped'),
            committed: committed.get(sink) ?? 0,
            end: endTotal(),
            invocations: inv.invocations,
            failedInvocations: inv.failed,
            coldStarts: hosts.get(sink)?.coldStarts ?? 0,
          };
        }),
      },
      force,
    );
  let ticking = true;
  const ticker = (async () => {
    while (ticking) {
      await refreshOffsets().catch(() => undefined);
      progress();
      await sleep(renderer.tty ? 250 : 500);
    }
  })();

  // Faults: kill a sink worker mid-invocation, or crash and restart the whole emulator.
  let publishingDone = false;
  const maxFaults = 3 + Math.floor(options.events / 300);
  const faultLoop = (async () => {
    if (!options.faults) return;
    const rnd = seeded(options.seed ^ 0x5eed);
    // Each engine (engine-faults.ts) is killed once, in seeded order, at a seeded moment
    // among the faults (forced when no more faults than engines remain).
    const engines: KillableEngine[] =
      options.engineKills === false ? [] : [...KILLABLE_ENGINES].sort(() => rnd.int(3) - 1);
    while (
      (faults < maxFaults || engines.length > 0) &&
      !(publishingDone && caughtUp() && engines.length === 0)
    ) {
      await sleep(700 + rnd.int(1_800));
      if (publishingDone && caughtUp() && engines.length === 0) break;
      const engine = engines[0];
      if (engine !== undefined && (rnd.chance(0.4) || maxFaults - faults <= engines.length)) {
        engines.shift();
        const began = Date.now();
        const restart = await killAndRestart(engine, services, paths, 200 + rnd.int(800));
        if (restart === undefined) {
          renderer.note(`  fault #${faults + 1}: ${engine} is not running here; not killed`);
        } else {
          enginesKilled.push(engine);
          renderer.note(
            `  fault #${faults + 1}: engine killed: ${engine} (kill -9 pid ${restart.killedPid}); ` +
              `back as pid ${restart.pid} after ${((Date.now() - began) / 1000).toFixed(1)} s`,
          );
        }
      } else if (rnd.chance(0.7)) {
        const sink = rnd.pick(SinkNames);
        await hosts.get(sink)?.crash();
        renderer.note(
          `  fault #${faults + 1}: killed the ${sink} function's worker (next invocation is a cold start)`,
        );
      } else {
        renderer.note(
          `  fault #${faults + 1}: emulator crashed (uncommitted work lost, workers killed); restarting`,
        );
        await Promise.all([...mappings.values()].map((m) => m.crash()));
        await Promise.all([...hosts.values()].map((h) => h.crash()));
        await sleep(200 + rnd.int(800));
        mappings = new Map(SinkNames.map((s) => [s, newMapping(s)]));
        await Promise.all([...mappings.values()].map((m) => m.start()));
      }
      faults++;
    }
  })();

  const firstPublish = Date.now();
  let records = 0;
  if (application !== undefined) {
    // Source mode: the application makes the workload's changes; the relays publish them.
    for (const step of workload.steps) {
      published += await application.apply(step);
      if (options.rate > 0) {
        const due = firstPublish + (published / options.rate) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    }
    await application.caughtUp(options.timeoutMs);
    await application.stop();
    await refreshOffsets();
    records = endTotal();
  } else {
    records = await publishWorkload();
  }
  publishingDone = true;
  phase = 'catching up';
  async function publishWorkload(): Promise<number> {
    // Publish the workload, paced.
    const publisher = await createPublisher({
      brokers,
      clientId: `staysync-demo-${names.runId}`,
      ...(avro === undefined ? {} : { avro: avro.writer }),
    });
    const built = new Map<number, { topic: string; records: OutgoingRecord[] }>();
    const topicOf = (step: Step) => names.topics[step.entity];
    let records = 0;
    const chunk = 50;
    for (let i = 0; i < workload.steps.length; i += chunk) {
      const byTopic = new Map<string, OutgoingRecord[]>();
      const raw = new Map<
        string,
        Array<{ key: string | Buffer | null; value: string | Buffer | null }>
      >();
      let events = 0;
      workload.steps.slice(i, i + chunk).forEach((step, j) => {
        const topic = topicOf(step);
        if (step.kind === 'poison') {
          raw.set(topic, [...(raw.get(topic) ?? []), step.record]);
          return;
        }
        let out: OutgoingRecord[];
        if (step.kind === 'resend') {
          out = built.get(step.of)?.records ?? [];
        } else {
          out = publisher.build(topic, step.kind === 'race' ? step.changes : [step.change]);
          built.set(i + j, { topic, records: out });
          events += out.length;
        }
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), ...out]);
      });
      for (const [topic, list] of byTopic) records += (await publisher.resend(topic, list)).length;
      for (const [topic, list] of raw) records += (await publisher.publishRaw(topic, list)).length;
      published += events;
      if (options.rate > 0) {
        const due = firstPublish + (published / options.rate) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    }
    await publisher.close();
    return records;
  }

  const deadline = began + options.timeoutMs;
  for (;;) {
    // While the broker is killed (--faults) offsets cannot be read: keep waiting.
    await refreshOffsets().catch(() => undefined);
    if (caughtUp() && endTotal() >= records) break;
    if (Date.now() > deadline) {
      ticking = false;
      throw new Error(`the sinks did not catch up within ${options.timeoutMs / 1000} s`);
    }
    await sleep(250);
  }
  const pipelineMs = Date.now() - firstPublish;
  await faultLoop;
  phase = 'caught up';
  ticking = false;
  await ticker;
  progress(true);
  renderer.done();
  await Promise.all([...mappings.values()].map((m) => m.stop()));
  await Promise.all([...hosts.values()].map((h) => h.close()));

  // Reconcile every store against the log, through the sinks' own configuration.
  const reconcileEnv: Record<string, string> = {
    ...stack,
    ...envs.get('dynamodb'),
    ...envs.get('opensearch'),
    ...envs.get('s3-archive'),
    [EnvVar.kafkaBrokers]: brokers.join(','),
    [EnvVar.topics]: topics.join(','),
  };
  delete reconcileEnv[EnvVar.sinkName];
  const envFile = path.join(paths.root, 'runs', `${names.runId}.env`);
  mkdirSync(path.dirname(envFile), { recursive: true });
  writeFileSync(
    envFile,
    `${Object.entries(reconcileEnv)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  print('');
  const report = await reconcile({
    env: reconcileEnv,
    brokers,
    topics,
    ...(avro === undefined ? {} : { schemaRegistry: avro.validation }),
  });
  print(formatReport(report));
  const sourceCheck = await application?.compareWithStores(reconcileEnv);
  if (sourceCheck !== undefined) {
    print(
      sourceCheck.divergences.length === 0
        ? `  OK       source tables: ${sourceCheck.checked} customers and orders, each live in the view and the index at its table version`
        : `  DIVERGED source tables: ${sourceCheck.divergences.length} of ${sourceCheck.checked}\n    ${sourceCheck.divergences.slice(0, 20).join('\n    ')}`,
    );
  }
  const seconds = pipelineMs / 1000;
  print(
    `figures: ${records} records (${options.events} change events) through 3 sinks in ${seconds.toFixed(1)} s ` +
      `= ${(records / seconds).toFixed(0)} records/s end to end; ${faults} faults injected` +
      `${enginesKilled.length > 0 ? ` (engines killed: ${enginesKilled.join(', ')})` : ''}; ` +
      `cold starts ${SinkNames.map((s) => `${s} ${hosts.get(s)?.coldStarts ?? 0}`).join(', ')}`,
  );
  print(
    `sink logs: ${path.join(logDir, `demo-${names.runId}-*.log`)}; reconcile again: npm run reconcile -- --env-file ${envFile}`,
  );

  for (const log of logs.values()) log.end();
  if (options.cleanup) {
    await deleteResources(names, admin, awsEnv, stack[EnvVar.openSearchEndpoint]);
    await application?.drop();
    print(`staysync: run ${names.runId} cleaned up`);
  }
  await admin.disconnect();
  return {
    report,
    records,
    faults,
    pipelineMs,
    envFile,
    ...(sourceCheck === undefined ? {} : { sourceCheck }),
  };
}

/**
 * `--avro`: the publisher writes Confluent-framed Avro registered in the stack's schema
 * registry; the mappings validate and decode values as Lambda's schema registry
 * integration does (the workload's raw poison, not framed, goes to the on-failure
 * destination as DESERIALIZATION_ERROR); reconcile reads the log through the same step.
 */
function avroMode(stack: Readonly<Record<string, string>>) {
  const url = stack.SCHEMA_REGISTRY_URL;
  if (url === undefined)
    throw new Error("--avro needs the stack's schema registry (SCHEMA_REGISTRY_URL)");
  const registry = confluentRegistryClient(url);
  return {
    writer: avroValueWriter(registry),
    validation: {
      attributes: ['VALUE'],
      decoder: new ConfluentRecordDecoder(registry),
    } satisfies SchemaValidation,
  };
}
