/**
 * Part 1: requests and cost per million events, per sink, at several batch sizes and
 * shares of already-seen events, against the real handlers on the local stack, with the
 * Powertools idempotency baseline measured in the same run.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { openSearchClient } from '../../functions/adapters/opensearch-client.js';
import { EnvVar } from '../../functions/contract/env.js';
import type { MskBatchResponse, MskEvent } from '../../functions/core/index.js';
import { dynamoDbClient, s3Client } from '../../functions/runtime/aws-clients.js';
import { createHandler as createDynamoHandler } from '../../functions/sink-dynamodb/create-handler.js';
import { readOpenSearchSinkConfig } from '../../functions/sink-opensearch/config.js';
import { createHandler as createOpenSearchHandler } from '../../functions/sink-opensearch/create-handler.js';
import { createHandler as createArchiveHandler } from '../../functions/sink-s3-archive/create-handler.js';
import { countRequests, type RequestCounter } from '../../test/support/aws-request-counter.js';
import {
  createBaselineHandler,
  IDEMPOTENCY_TABLE_ENV,
} from '../baselines/powertools-idempotent-view.js';
import { type CapacityMeter, meterCapacity } from '../lib/dynamo-capacity.js';
import { meterOpenSearch, type OpenSearchMeter } from '../lib/opensearch-meter.js';
import { type Cost, costPerMillionEvents, LAMBDA_MEMORY_MB, type Usage } from '../lib/prices.js';
import { benchStack, deleteIndices } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import { batches, duplicateLog, mskEvent } from '../lib/workload.js';

export const CostSystems = ['dynamodb', 'opensearch', 's3-archive', 'baseline'] as const;
export type CostSystem = (typeof CostSystems)[number];

export interface CostRow {
  readonly system: CostSystem;
  readonly batchSize: number;
  readonly duplicateShare: number;
  readonly valueBytes: number;
  readonly events: number;
  /** requests actually sent (every attempt), by kind, per event */
  readonly requestsPerEvent: Readonly<Record<string, number>>;
  readonly wruPerEvent: number;
  readonly rruPerEvent: number;
  readonly usage: Usage;
  readonly costPerMillion: Cost;
  readonly failures: number;
  /** summed wall time of the invocations against the local stack (not priced) */
  readonly wallMs: number;
}

export interface CostOptions {
  /** events per scenario (at least one full batch) */
  readonly events: number;
  readonly batchSizes: readonly number[];
  readonly duplicateShares: readonly number[];
  readonly valueBytes: number;
  /** extra scenarios at a small value size (batch size, share) to show item-size effects */
  readonly smallValue?: { readonly bytes: number; readonly batchSize: number };
  readonly log: (line: string) => void;
}

export interface CostResult {
  readonly rows: readonly CostRow[];
  readonly memoryMb: number;
  /** DynamoDB view vs baseline, per scenario */
  readonly ratios: ReadonlyArray<{
    readonly batchSize: number;
    readonly duplicateShare: number;
    readonly valueBytes: number;
    readonly dynamoOnly: number;
    readonly total: number;
  }>;
}

const silence = () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_IDEMPOTENCY_DISABLED = 'false';
};

export async function runCost(options: CostOptions): Promise<CostResult> {
  silence();
  const bench = benchStack();
  const stackVars = { ...bench.stack.vars };
  const rows: CostRow[] = [];
  try {
    const quarantine = await bench.createBucket(`bench-q-${bench.suffix()}`);
    // The runtime's singleton clients: the handlers below use these very instances.
    const ddbClient = dynamoDbClient(stackVars);
    const s3: S3Client = s3Client(stackVars);
    const ddbRequests = countRequests(ddbClient);
    const ddbUnits = meterCapacity(ddbClient);
    const s3Requests = countRequests(s3);

    const scenarios: Array<{ batchSize: number; share: number; bytes: number }> = [];
    for (const batchSize of options.batchSizes)
      for (const share of options.duplicateShares)
        scenarios.push({ batchSize, share, bytes: options.valueBytes });
    if (options.smallValue !== undefined)
      for (const share of options.duplicateShares)
        scenarios.push({
          batchSize: options.smallValue.batchSize,
          share,
          bytes: options.smallValue.bytes,
        });

    let seed = 1;
    for (const sc of scenarios) {
      seed++;
      for (const system of CostSystems) {
        const tag = `${system} batch ${sc.batchSize}, ${sc.share * 100}% seen, ${sc.bytes} B`;
        const topic = `bench-cost-${bench.suffix()}`;
        const log = duplicateLog({
          // at least one full batch
          count: Math.max(options.events, sc.batchSize),
          duplicateShare: sc.share,
          seed,
          valueBytes: sc.bytes,
        });
        const events = batches(log, sc.batchSize).map((b) => mskEvent(topic, b));
        const { invoke, os, ddb } = await buildSystem(system, bench, stackVars, quarantine);
        const extraRequests = ddb === undefined ? undefined : countRequests(ddb);
        const extraUnits = ddb === undefined ? undefined : meterCapacity(ddb);
        ddbRequests.reset();
        ddbUnits.reset();
        s3Requests.reset();
        os?.reset();
        // Billed duration is priced from the handler's own CPU time (this process does
        // nothing else meanwhile): wall time here is mostly waiting on a local server shared
        // with other test runs, which says nothing about DynamoDB's latency.
        let durationMs = 0;
        let wallMs = 0;
        let failures = 0;
        for (const event of events) {
          const started = performance.now();
          const cpu0 = process.cpuUsage();
          const response = await invoke(event);
          const cpu = process.cpuUsage(cpu0);
          durationMs += Math.ceil((cpu.user + cpu.system) / 1000);
          wallMs += performance.now() - started;
          failures += response.batchItemFailures.length;
        }
        const dReq: RequestCounter = extraRequests ?? ddbRequests;
        const dUnits: CapacityMeter = extraUnits ?? ddbUnits;
        const row = toRow({
          system,
          sc,
          events: log.length,
          invocations: events.length,
          durationMs,
          wallMs,
          failures,
          ddbCounts: dReq.counts,
          units: dUnits,
          s3Counts: s3Requests.counts,
          os,
        });
        extraRequests?.detach();
        extraUnits?.detach();
        os?.detach();
        rows.push(row);
        options.log(
          `  ${tag}: ${fmtRequests(row.requestsPerEvent)} | ${round(row.wruPerEvent, 3)} WRU + ${round(row.rruPerEvent, 3)} RRU per event | $${round(row.costPerMillion.total, 3)} per 1M events${failures > 0 ? ` | ${failures} FAILURES` : ''}`,
        );
      }
    }
  } finally {
    await bench.cleanup();
  }
  const ratios = [] as Array<CostResult['ratios'][number]>;
  for (const row of rows.filter((r) => r.system === 'dynamodb')) {
    const base = rows.find(
      (r) =>
        r.system === 'baseline' &&
        r.batchSize === row.batchSize &&
        r.duplicateShare === row.duplicateShare &&
        r.valueBytes === row.valueBytes,
    );
    if (base === undefined) continue;
    ratios.push({
      batchSize: row.batchSize,
      duplicateShare: row.duplicateShare,
      valueBytes: row.valueBytes,
      dynamoOnly: round(base.costPerMillion.dynamo / row.costPerMillion.dynamo, 2),
      total: round(base.costPerMillion.total / row.costPerMillion.total, 2),
    });
  }
  return { rows, memoryMb: LAMBDA_MEMORY_MB, ratios };
}

type Invoke = (event: MskEvent) => Promise<MskBatchResponse>;

const context = () => {
  const deadline = Date.now() + 60_000;
  return { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
};

async function buildSystem(
  system: CostSystem,
  bench: ReturnType<typeof benchStack>,
  stackVars: Record<string, string>,
  quarantine: string,
): Promise<{
  invoke: Invoke;
  os?: OpenSearchMeter;
  ddb?: import('@aws-sdk/client-dynamodb').DynamoDBClient;
}> {
  const id = bench.suffix();
  const ledger = await bench.createTable(`bench-ledger-${id}`);
  const common = {
    ...stackVars,
    [EnvVar.ledgerTable]: ledger,
    [EnvVar.quarantineBucket]: quarantine,
    [EnvVar.pipeline]: JSON.stringify({ topics: {} }),
  };
  const sinkEnv = (sink: string, own: Record<string, string>) => ({
    ...common,
    [EnvVar.sinkName]: sink,
    ...own,
  });
  switch (system) {
    case 'dynamodb': {
      const view = await bench.createTable(`bench-view-${id}`);
      const handler = createDynamoHandler(sinkEnv('dynamodb', { [EnvVar.viewTable]: view }));
      return { invoke: (e) => handler(e, context()) };
    }
    case 'opensearch': {
      const prefix = `bench-${id}`;
      const env = sinkEnv('opensearch', { [EnvVar.indexPrefix]: prefix });
      const handler = createOpenSearchHandler(env);
      const os = meterOpenSearch(openSearchClient(readOpenSearchSinkConfig(env).client));
      bench.defer(() => deleteIndices(bench.stack.opensearchEndpoint, prefix));
      return { invoke: (e) => handler(e, context()), os };
    }
    case 's3-archive': {
      const bucket = await bench.createBucket(`bench-archive-${id}`);
      const handler = createArchiveHandler(
        sinkEnv('s3-archive', {
          [EnvVar.archiveBucket]: bucket,
          [EnvVar.archivePrefix]: 'archive',
        }),
      );
      return { invoke: (e) => handler(e, context()) };
    }
    case 'baseline': {
      const view = await bench.createTable(`bench-bview-${id}`);
      const idem = await bench.createTable(`bench-idem-${id}`, 'id');
      const { handler, client } = createBaselineHandler({
        ...stackVars,
        [EnvVar.viewTable]: view,
        [IDEMPOTENCY_TABLE_ENV]: idem,
      });
      return { invoke: (e) => handler(e, context()), ddb: client };
    }
  }
}

const S3_PUT_CLASS =
  /^(PutObject|CopyObject|ListObjectsV2|ListObjects|CreateMultipartUpload|UploadPart|CompleteMultipartUpload)Command$/;
// BatchExecuteStatement: the view sink sends INSERT statements only
const DDB_WRITE =
  /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems|BatchExecuteStatement)Command$/;

function toRow(input: {
  system: CostSystem;
  sc: { batchSize: number; share: number; bytes: number };
  events: number;
  invocations: number;
  durationMs: number;
  wallMs: number;
  failures: number;
  ddbCounts: Readonly<Record<string, number>>;
  units: CapacityMeter;
  s3Counts: Readonly<Record<string, number>>;
  os: OpenSearchMeter | undefined;
}): CostRow {
  const per = (n: number) => round(n / input.events, 4);
  const requests: Record<string, number> = {};
  let s3Put = 0;
  let s3Get = 0;
  for (const [cmd, n] of Object.entries(input.ddbCounts)) {
    requests[`ddb:${cmd.replace(/Command$/, '')}`] = per(n);
  }
  const ddbWrites = Object.entries(input.ddbCounts).reduce(
    (a, [c, n]) => (DDB_WRITE.test(c) ? a + n : a),
    0,
  );
  const ddbAll = Object.values(input.ddbCounts).reduce((a, b) => a + b, 0);
  requests['ddb:writes'] = per(ddbWrites);
  requests['ddb:reads'] = per(ddbAll - ddbWrites);
  for (const [cmd, n] of Object.entries(input.s3Counts)) {
    requests[`s3:${cmd.replace(/Command$/, '')}`] = per(n);
    if (S3_PUT_CLASS.test(cmd)) s3Put += n;
    else s3Get += n;
  }
  if (input.os !== undefined) {
    requests['os:bulk'] = per(input.os.counts.bulk);
    requests['os:mget'] = per(input.os.counts.mget);
    requests['os:other'] = per(input.os.counts.other);
  }
  const usage: Usage = {
    wru: input.units.totalWru(),
    rru: input.units.totalRru(),
    s3Put,
    s3Get,
    invocations: input.invocations,
    durationMs: input.durationMs,
    events: input.events,
  };
  const cost = costPerMillionEvents(usage);
  return {
    system: input.system,
    batchSize: input.sc.batchSize,
    duplicateShare: input.sc.share,
    valueBytes: input.sc.bytes,
    events: input.events,
    requestsPerEvent: requests,
    wruPerEvent: round(usage.wru / input.events, 4),
    rruPerEvent: round(usage.rru / input.events, 4),
    usage,
    costPerMillion: {
      dynamo: round(cost.dynamo, 4),
      s3: round(cost.s3, 4),
      lambdaRequests: round(cost.lambdaRequests, 4),
      lambdaDuration: round(cost.lambdaDuration, 4),
      total: round(cost.total, 4),
    },
    failures: input.failures,
    wallMs: Math.round(input.wallMs),
  };
}

const fmtRequests = (r: Readonly<Record<string, number>>) =>
  Object.entries(r)
    .filter(([k, v]) =>
      v > 0 && !k.startsWith('ddb:') ? true : (k === 'ddb:writes' || k === 'ddb:reads') && v > 0,
    )
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
