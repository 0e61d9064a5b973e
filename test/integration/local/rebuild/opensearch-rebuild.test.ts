import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '../../../../functions/adapters/ledger-dynamodb.js';
import { EnvVar } from '../../../../functions/contract/index.js';
import { parsePipelineConfig } from '../../../../functions/contract/pipeline.js';
import { dynamoDbClient } from '../../../../functions/runtime/aws-clients.js';
import { createPublisher } from '../../../../local/publisher/publisher.js';
import { feedFromKafka } from '../../../../local/rebuild/feed.js';
import { rebuild } from '../../../../local/rebuild/rebuild.js';
import { reconcile } from '../../../../local/reconcile/reconcile.js';
import { createToolSinkHandler } from '../../../../local/sinks/handlers.js';
import {
  createPkTable,
  emptyAndDeleteBucket,
  quietLocalStack,
  uniqueName,
} from '../../../support/aws.js';

// The runbooks "rebuild after a mapping change" (from Kafka, killed with SIGKILL and
// rerun) and "rebuild from the archive" (docs/rebuild-redrive.md), on real Kafka,
// OpenSearch, Dynoxide and moto, through the real sinks.
const { stack, ddb, s3 } = quietLocalStack();
const run = uniqueName('rb').toLowerCase();
const topic = `${run}-customers`;
const prefix = run;
const ledgerTable = `${run}-ledger`;
const quarantine = `${run}-quarantine`;
const archive = `${run}-archive`;
const pipelineJson = JSON.stringify({ topics: { [topic]: { versioning: 'source' } } });
const env: NodeJS.ProcessEnv = {
  ...stack.vars,
  [EnvVar.ledgerTable]: ledgerTable,
  [EnvVar.quarantineBucket]: quarantine,
  [EnvVar.indexPrefix]: prefix,
  [EnvVar.openSearchEndpoint]: stack.opensearchEndpoint,
  [EnvVar.archiveBucket]: archive,
  [EnvVar.pipeline]: pipelineJson,
  [EnvVar.topics]: topic,
  [EnvVar.kafkaBrokers]: stack.kafkaBrokers.join(','),
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
};
const kafka = new Kafka({ brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
const os = stack.opensearchEndpoint;
const json = async (url: string, init?: RequestInit) => (await fetch(`${os}${url}`, init)).json();
const aliasesOf = async () =>
  (await json(`/${prefix}-*/_alias`)) as Record<string, { aliases: Record<string, unknown> }>;

/** The live sinks (as the mappings run them) up to the end of the log. */
async function runLiveSinks() {
  const ledger = new DynamoLedger(dynamoDbClient(env), ledgerTable);
  for (const kind of ['opensearch', 's3-archive'] as const) {
    const liveEnv = { ...env, [EnvVar.sinkName]: kind };
    const handler = createToolSinkHandler(kind, liveEnv, { metrics: { publish: () => undefined } });
    await feedFromKafka({
      handler,
      ledger,
      sink: kind,
      topics: [topic],
      brokers: stack.kafkaBrokers,
      pollMs: 100,
    });
  }
}

async function liveReconcile() {
  // searches see what was refreshed: make every write visible first
  await fetch(`${os}/${prefix}-*/_refresh`, { method: 'POST' });
  return reconcile({ env, brokers: stack.kafkaBrokers, topics: [topic], stores: ['opensearch'] });
}

function runCli(args: string[], onLine?: (line: string, kill: () => void) => void) {
  const child = spawn('npx', ['tsx', 'local/cli/rebuild.ts', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, STAYSYNC_LOCAL_DIR: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const kill = () => {
    // the whole process group: npx, tsx and node
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  };
  child.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      out += `${line}\n`;
      onLine?.(line, kill);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out })),
  );
}

let envFile: string;
beforeAll(async () => {
  await createPkTable(ddb, ledgerTable);
  for (const Bucket of [quarantine, archive]) await s3.send(new CreateBucketCommand({ Bucket }));
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const publisher = await createPublisher({
    brokers: stack.kafkaBrokers,
    pipeline: parsePipelineConfig(pipelineJson),
  });
  const changes = [];
  for (let i = 0; i < 400; i++) {
    const key = String(i % 60);
    changes.push(
      i % 37 === 36
        ? { entity: 'customer', key, op: 'delete' as const }
        : { entity: 'customer', key, op: 'upsert' as const, data: { name: `c${key}`, n: i } },
    );
  }
  await publisher.publish(topic, changes);
  await publisher.close();
  await runLiveSinks();
  const dir = mkdtempSync(path.join(tmpdir(), 'rebuild-it-'));
  envFile = path.join(dir, 'run.env');
  writeFileSync(
    envFile,
    Object.entries(env)
      .filter(([k, v]) => v !== undefined && (k.startsWith('AWS_') || k === k.toUpperCase()))
      .filter(
        ([k]) =>
          k in stack.vars ||
          Object.values(EnvVar).includes(k as never) ||
          k.startsWith('POWERTOOLS'),
      )
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
}, 300_000);

afterAll(async () => {
  await fetch(`${os}/${prefix}-*?expand_wildcards=all`, { method: 'DELETE' });
  await fetch(`${os}/_index_template/${prefix}-*`, { method: 'DELETE' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  for (const Bucket of [quarantine, archive]) await emptyAndDeleteBucket(s3, Bucket);
  const { DeleteTableCommand } = await import('@aws-sdk/client-dynamodb');
  await ddb.send(new DeleteTableCommand({ TableName: ledgerTable }));
});

describe('rebuild --sink opensearch (local stack)', () => {
  it('the live index equals the log before anything is rebuilt', async () => {
    expect((await liveReconcile()).converged).toBe(true);
    expect(Object.keys(await aliasesOf())).toEqual([`${prefix}-customer-v1`]);
  });

  it('--dry-run changes nothing', async () => {
    const before = await aliasesOf();
    const result = await rebuild({
      kind: 'opensearch',
      env,
      from: 'kafka',
      topics: [topic],
      brokers: stack.kafkaBrokers,
      dryRun: true,
    });
    expect(result).toBe('dry-run');
    expect(await aliasesOf()).toEqual(before);
  });

  it('killed with SIGKILL mid-rebuild, rerun: v2 completes, verified, swapped; no duplicate, no gap', async () => {
    // a damaged live index: one document lost
    await fetch(`${os}/${prefix}-customer-v1/_doc/7?refresh=true`, { method: 'DELETE' });
    expect((await liveReconcile()).converged).toBe(false);

    const args = [
      '--sink',
      'opensearch',
      '--from',
      'kafka',
      '--env-file',
      envFile,
      '--batch-size',
      '3',
    ];
    let killed = false;
    const first = await runCli(args, (line, kill) => {
      const m = /kafka catch-up: (\d+)\/(\d+)/.exec(line);
      if (!killed && m !== null && Number(m[1]) > 0 && Number(m[1]) < Number(m[2])) {
        killed = true;
        kill();
      }
    });
    expect(first.signal ?? first.code).toBe('SIGKILL');
    // half-built: the staging alias exists, the live one still on v1
    const mid = await aliasesOf();
    expect(Object.keys(mid[`${prefix}-customer-v2`]?.aliases ?? {})).toContain(
      `${prefix}-customer-rebuild`,
    );
    expect(Object.keys(mid[`${prefix}-customer-v1`]?.aliases ?? {})).toContain(
      `${prefix}-customer-write`,
    );

    const second = await runCli(args);
    expect(second.out).toMatch(/resuming \(building\) version v2/);
    expect(second.out).toMatch(/CONVERGED/);
    expect(second.code).toBe(0);
    const after = await aliasesOf();
    expect(Object.keys(after[`${prefix}-customer-v2`]?.aliases ?? {}).sort()).toEqual([
      `${prefix}-customer`,
      `${prefix}-customer-write`,
    ]);
    expect(after[`${prefix}-customer-v1`]?.aliases).toEqual({}); // kept until --drop-old
    expect((await liveReconcile()).converged).toBe(true);
  }, 300_000);

  it('rebuilds from the archive into v3 and --drop-old deletes only the old versions', async () => {
    const result = await rebuild({
      kind: 'opensearch',
      env,
      from: 'archive',
      topics: [topic],
      brokers: stack.kafkaBrokers,
    });
    expect(result).toBe('swapped');
    expect((await liveReconcile()).converged).toBe(true);
    const lines: string[] = [];
    await rebuild({
      kind: 'opensearch',
      env,
      from: 'kafka',
      topics: [],
      brokers: [],
      dropOld: true,
      log: (l) => lines.push(l),
    });
    expect(lines.sort()).toEqual([
      `dropped ${prefix}-customer-v1`,
      `dropped ${prefix}-customer-v2`,
    ]);
    expect(Object.keys(await aliasesOf())).toEqual([`${prefix}-customer-v3`]);
    expect((await liveReconcile()).converged).toBe(true);
  }, 300_000);
});
