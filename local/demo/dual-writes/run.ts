/**
 * `npm run demo:dual-writes`: one seeded workload of customer updates, run two ways at once
 * against fresh stores on the local stack, and the keys each way leaves different from the
 * system of record:
 * (a) dual writes: concurrent application writers write the source table, then OpenSearch,
 *     then S3 themselves, with delays between the writes and crashes after some of them;
 * (b) through the log: the same writers write only the source table; its stream → the
 *     relay → Kafka → the OpenSearch, DynamoDB and archive sinks derive the stores.
 * A timeline of divergent keys is sampled while it runs and drawn as an SVG chart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { EnvVar } from '../../../functions/contract/env.js';
import { dynamoDbClient, s3Client } from '../../../functions/runtime/aws-clients.js';
import { dynamoDbStreamsClient, emptyAndDeleteBucket, scanItems } from '../../aws/resources.js';
import { EventSourceMapping } from '../../esm/event-source-mapping.js';
import { inProcessInvoker } from '../../esm/in-process-invoker.js';
import { readArchive, readDynamoView, readOpenSearch } from '../../reconcile/stores.js';
import { createToolSinkHandler } from '../../sinks/handlers.js';
import { createSourceTable, putVersioned, VERSION_ATTRIBUTE } from '../../source/application.js';
import { relayMapping } from '../../source/relay-mapping.js';
import { seeded } from '../random.js';
import {
  createResources,
  deleteResources,
  type RunNames,
  runNames,
  type SinkName,
  SinkNames,
  sinkEnv,
} from '../resources.js';
import { divergenceChart } from './chart.js';
import { divergentKeys, type Sample, type Snapshot } from './divergence.js';

export interface DualWriteOptions {
  readonly seed: number;
  readonly writers: number;
  readonly keys: number;
  readonly writes: number;
  /** chance that a writer crashes right after one of its writes (each write, each way) */
  readonly crashRate: number;
  /** the longest pause between two writes of one change, in ms */
  readonly maxDelayMs: number;
  readonly runId: string;
  /** how long to keep sampling after the log's stores converged */
  readonly settleMs: number;
  readonly timeoutMs: number;
  readonly stack: Readonly<Record<string, string>>;
  readonly outDir: string;
  readonly cleanup: boolean;
  readonly log: (line: string) => void;
}

export interface DualWriteResult {
  /** keys each store holds differently from its source table, at the end */
  readonly dualWrites: { readonly opensearch: string[]; readonly s3: string[] };
  readonly throughLog: {
    readonly view: string[];
    readonly opensearch: string[];
    readonly archive: string[];
  };
  readonly samples: readonly Sample[];
  readonly writersDoneMs: number;
  readonly chartFile: string;
  readonly crashes: number;
}

const SERIES = {
  dualSearch: 'dual writes: OpenSearch',
  dualS3: 'dual writes: S3',
  logSearch: 'through the log: OpenSearch',
  logView: 'through the log: DynamoDB view',
} as const;

interface Intent {
  readonly n: number;
  readonly key: string;
  readonly pause: readonly [number, number];
  /** where the dual writer dies: after the table write, after the index write, or never */
  readonly crashAfter: 'table' | 'search' | undefined;
  /** starts only once this intent's table write committed (the closing burst's second write) */
  readonly after?: number;
}

/** Resolves when an intent's table write committed; one per intent and per way of writing. */
type Commits = (n: number) => { readonly done: Promise<void>; readonly mark: () => void };

function commitSignals(): Commits {
  const signals = new Map<number, { done: Promise<void>; mark: () => void }>();
  return (n) => {
    let signal = signals.get(n);
    if (signal === undefined) {
      let mark: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        mark = resolve;
      });
      signal = { done, mark };
      signals.set(n, signal);
    }
    return signal;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runDualWrites(options: DualWriteOptions): Promise<DualWriteResult> {
  const names = runNames(options.runId);
  const env = { ...process.env, ...options.stack };
  const ddb = dynamoDbClient(env);
  const s3 = s3Client(env);
  const opensearch = (options.stack[EnvVar.openSearchEndpoint] ?? '').replace(/\/$/, '');
  const brokers = (options.stack[EnvVar.kafkaBrokers] ?? '').split(',');
  const kafka = new Kafka({
    clientId: 'staysync-dual-writes',
    brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const tables = {
    dual: `${names.indexPrefix}-dual-source`,
    log: `${names.indexPrefix}-log-source`,
  };
  const dual = {
    index: `${names.indexPrefix}-dual-customers`,
    bucket: `${names.indexPrefix}-dual`,
  };
  const pipelineJson = JSON.stringify({
    topics: { [names.topics.customer]: { versioning: 'source' } },
    projections: [{ entity: 'customer', rename: { pk: 'id' } }],
  });
  const stops: Array<() => Promise<unknown>> = [];
  try {
    options.log(
      `dual writes: run ${names.runId}, seed ${options.seed}: ${options.writes} writes of ${options.keys} customers by ${options.writers} writers`,
    );
    await createResources(names, admin, 2, env);
    await createSourceTable(ddb, tables.dual);
    await createSourceTable(ddb, tables.log);
    await s3.send(new CreateBucketCommand({ Bucket: dual.bucket }));
    await fetch(`${opensearch}/${dual.index}`, { method: 'PUT' });

    // (b): the source table's stream → relay → Kafka → the sinks, all in this process.
    const streams = dynamoDbStreamsClient(options.stack);
    const streamMapping = relayMapping({
      client: streams,
      table: tables.log,
      source: {
        mode: 'cdc',
        topic: names.topics.customer,
        entity: 'customer',
        keyAttributes: ['pk'],
        versionAttribute: VERSION_ATTRIBUTE,
      },
      stack: options.stack,
      quarantineBucket: names.quarantineBucket,
      settings: { pollIntervalMs: 100 },
    });
    await streamMapping.start();
    stops.push(
      () => streamMapping.stop(),
      async () => streams.destroy(),
    );
    for (const sink of SinkNames) {
      const mapping = sinkMapping(sink, names, options.stack, pipelineJson, brokers);
      await mapping.start();
      stops.push(() => mapping.stop());
    }

    const intents = workload(options);
    const began = Date.now();
    const samples: Sample[] = [];
    const sample = async (): Promise<Record<string, string[]>> => {
      const [dualTable, logTable, dualSearch, dualS3, logView, logSearch] = await Promise.all([
        tableSnapshot(ddb, tables.dual),
        tableSnapshot(ddb, tables.log),
        indexSnapshot(opensearch, dual.index),
        bucketSnapshot(s3, dual.bucket),
        viewSnapshot(sinkEnv('dynamodb', names, options.stack, pipelineJson)),
        searchSnapshot(sinkEnv('opensearch', names, options.stack, pipelineJson)),
      ]);
      const diverging = {
        [SERIES.dualSearch]: divergentKeys(dualTable, dualSearch),
        [SERIES.dualS3]: divergentKeys(dualTable, dualS3),
        [SERIES.logSearch]: divergentKeys(logTable, logSearch),
        [SERIES.logView]: divergentKeys(logTable, logView),
      };
      samples.push({
        atMs: Date.now() - began,
        counts: Object.fromEntries(Object.entries(diverging).map(([k, v]) => [k, v.length])),
      });
      return diverging;
    };

    let writing = true;
    const sampler = (async () => {
      while (writing) {
        await sample();
        await sleep(250);
      }
    })();
    const crashes = await Promise.all([
      writeTwice(intents, options, (intent, committed) =>
        dualWrite(ddb, s3, opensearch, tables.dual, dual, intent, committed),
      ),
      writeTwice(intents, options, (intent, committed) =>
        logWrite(ddb, tables.log, intent, committed),
      ),
    ]);
    writing = false;
    await sampler;
    const writersDoneMs = Date.now() - began;
    options.log(
      `dual writes: writers done in ${(writersDoneMs / 1000).toFixed(1)} s; waiting for the log's stores…`,
    );

    // The log's stores converge once the relay and the sinks caught up; dual writes never do.
    let last = await sample();
    let convergedAt: number | undefined;
    const deadline = Date.now() + options.timeoutMs;
    while (Date.now() < deadline) {
      const logDone = last[SERIES.logSearch]?.length === 0 && last[SERIES.logView]?.length === 0;
      convergedAt = logDone ? (convergedAt ?? Date.now()) : undefined;
      if (convergedAt !== undefined && Date.now() - convergedAt >= options.settleMs) break;
      await sleep(250);
      last = await sample();
    }
    const archive = await archiveSnapshot(
      sinkEnv('s3-archive', names, options.stack, pipelineJson),
      names,
    );
    const logTable = await tableSnapshot(ddb, tables.log);
    mkdirSync(options.outDir, { recursive: true });
    const chartFile = path.join(options.outDir, `dual-writes-${names.runId}.svg`);
    writeFileSync(
      chartFile,
      divergenceChart(
        `Keys that differ from the source table (seed ${options.seed})`,
        Object.values(SERIES),
        samples,
        writersDoneMs,
      ),
    );
    return {
      dualWrites: { opensearch: last[SERIES.dualSearch] ?? [], s3: last[SERIES.dualS3] ?? [] },
      throughLog: {
        view: last[SERIES.logView] ?? [],
        opensearch: last[SERIES.logSearch] ?? [],
        archive: divergentKeys(logTable, archive),
      },
      samples,
      writersDoneMs,
      chartFile,
      crashes: crashes[0] ?? 0,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    if (options.cleanup) {
      await deleteResources(names, admin, env, opensearch).catch(() => undefined);
      for (const TableName of Object.values(tables)) {
        await ddb.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
      }
      await emptyAndDeleteBucket(s3, dual.bucket).catch(() => undefined);
      await fetch(`${opensearch}/${dual.index}`, { method: 'DELETE' }).catch(() => undefined);
    }
    await admin.disconnect();
  }
}

/**
 * The seeded writes: random customers, then a closing burst of two writes per customer
 * (a retried request, two browser tabs): the first commits to the table and then stalls
 * (a GC pause, a slow network) before its other writes; the second starts once the first
 * committed and writes everything at once. The table ends at the second write; a store
 * written by the application ends at whichever write reached it last: the first. That is
 * the race the demo is about, at the moment nothing later can paper over it.
 */
function workload(options: DualWriteOptions): Intent[] {
  const random = seeded(options.seed);
  const pairs = Math.min(options.keys, Math.floor(options.writes / 2));
  const body = options.writes - 2 * pairs;
  const pause = () =>
    [random.int(options.maxDelayMs + 1), random.int(options.maxDelayMs + 1)] as const;
  const crash = (): Intent['crashAfter'] => {
    const roll = random.next();
    return roll < options.crashRate / 2 ? 'table' : roll < options.crashRate ? 'search' : undefined;
  };
  const intents: Intent[] = Array.from({ length: body }, (_, i) => ({
    n: i + 1,
    key: `c${random.int(options.keys)}`,
    pause: pause(),
    crashAfter: crash(),
  }));
  for (let k = 0; k < pairs; k++) {
    const first = body + 2 * k + 1;
    const stall = options.maxDelayMs * 2 + 20;
    intents.push(
      { n: first, key: `c${k}`, pause: [stall, 0], crashAfter: undefined },
      { n: first + 1, key: `c${k}`, pause: [0, 0], crashAfter: undefined, after: first },
    );
  }
  return intents;
}

/** `writers` concurrent loops over the intents; returns how many crashed part-way. */
async function writeTwice(
  intents: readonly Intent[],
  options: DualWriteOptions,
  write: (intent: Intent, committed: () => void) => Promise<boolean>,
): Promise<number> {
  const commits = commitSignals();
  let next = 0;
  let crashes = 0;
  await Promise.all(
    Array.from({ length: options.writers }, async () => {
      for (let i = next++; i < intents.length; i = next++) {
        const intent = intents[i] as Intent;
        if (intent.after !== undefined) await commits(intent.after).done;
        if (!(await write(intent, commits(intent.n).mark))) crashes++;
      }
    }),
  );
  return crashes;
}

/** (a) the application writes all three stores itself; false when it "crashed" part-way. */
async function dualWrite(
  ddb: DynamoDBClient,
  s3: S3Client,
  opensearch: string,
  table: string,
  dual: { index: string; bucket: string },
  intent: Intent,
  committed: () => void,
): Promise<boolean> {
  const doc = { name: `customer ${intent.key}`, n: intent.n };
  await putVersioned(ddb, table, intent.key, doc);
  committed();
  await sleep(intent.pause[0]);
  if (intent.crashAfter === 'table') return false;
  await fetch(`${opensearch}/${dual.index}/_doc/${intent.key}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(doc),
  });
  await sleep(intent.pause[1]);
  if (intent.crashAfter === 'search') return false;
  await s3.send(
    new PutObjectCommand({
      Bucket: dual.bucket,
      Key: `customers/${intent.key}.json`,
      Body: JSON.stringify(doc),
    }),
  );
  return true;
}

/** (b) the application writes its table only; a crash after it loses nothing. */
async function logWrite(
  ddb: DynamoDBClient,
  table: string,
  intent: Intent,
  committed: () => void,
): Promise<boolean> {
  await putVersioned(ddb, table, intent.key, { name: `customer ${intent.key}`, n: intent.n });
  committed();
  await sleep(intent.pause[0] + intent.pause[1]);
  return intent.crashAfter === undefined;
}

function sinkMapping(
  sink: SinkName,
  names: RunNames,
  stack: Readonly<Record<string, string>>,
  pipelineJson: string,
  brokers: readonly string[],
): EventSourceMapping {
  const env = {
    ...sinkEnv(sink, names, stack, pipelineJson),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  const handler = createToolSinkHandler(sink, env);
  return new EventSourceMapping({
    functionName: sink,
    groupId: names.groupOf(sink),
    topics: [names.topics.customer],
    brokers,
    invoker: inProcessInvoker(handler),
    settings: { batchingWindowMs: 100 },
  });
}

async function tableSnapshot(ddb: DynamoDBClient, table: string): Promise<Snapshot> {
  const items = await scanItems(ddb, table);
  return new Map(items.map((item) => [String(item.pk), Number(item.n)]));
}

async function indexSnapshot(opensearch: string, index: string): Promise<Snapshot> {
  await fetch(`${opensearch}/${index}/_refresh`, { method: 'POST' });
  const response = await fetch(`${opensearch}/${index}/_search?size=10000`);
  const body = (await response.json()) as {
    hits?: { hits?: Array<{ _id: string; _source: { n: number } }> };
  };
  return new Map((body.hits?.hits ?? []).map((hit) => [hit._id, Number(hit._source.n)]));
}

async function bucketSnapshot(s3: S3Client, bucket: string): Promise<Snapshot> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'customers/' }));
  const entries = await Promise.all(
    (listed.Contents ?? []).map(async ({ Key }) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      const doc = JSON.parse((await object.Body?.transformToString()) ?? '{}') as { n: number };
      return [String(Key).slice('customers/'.length, -'.json'.length), Number(doc.n)] as const;
    }),
  );
  return new Map(entries);
}

/** Live customers of a derived store, by key, from `customer#<key>` states. */
function liveByKey(
  states: ReadonlyMap<string, { deleted: boolean; data: Readonly<Record<string, unknown>> | null }>,
): Snapshot {
  const out = new Map<string, number>();
  for (const [id, state] of states) {
    if (!id.startsWith('customer#') || state.deleted) continue;
    out.set(id.slice('customer#'.length), Number(state.data?.n));
  }
  return out;
}

const viewSnapshot = async (env: NodeJS.ProcessEnv) => liveByKey((await readDynamoView(env)).views);
const searchSnapshot = async (env: NodeJS.ProcessEnv) => liveByKey(await readOpenSearch(env));

/** The archive replayed: per key, the data of its last record in log order. */
async function archiveSnapshot(env: NodeJS.ProcessEnv, names: RunNames): Promise<Snapshot> {
  const best = new Map<string, { version: number; n: number }>();
  for (const records of (await readArchive(env, [names.topics.customer])).values()) {
    for (const record of records) {
      const value = JSON.parse(String(record.value ?? 'null')) as {
        key: string;
        version: number;
        data?: { n: number };
      } | null;
      if (value === null) continue;
      const seen = best.get(value.key);
      if (seen === undefined || value.version > seen.version) {
        best.set(value.key, { version: value.version, n: Number(value.data?.n) });
      }
    }
  }
  return new Map([...best].map(([key, { n }]) => [key, n]));
}
