import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { DynamoLedger } from '../../../../functions/adapters/ledger-dynamodb.js';
import { EnvVar } from '../../../../functions/contract/index.js';
import { parsePipelineConfig } from '../../../../functions/contract/pipeline.js';
import { dynamoDbClient } from '../../../../functions/runtime/aws-clients.js';
import type { ChangeInput } from '../../../../local/publisher/envelope.js';
import { createPublisher } from '../../../../local/publisher/publisher.js';
import { feedFromKafka } from '../../../../local/rebuild/feed.js';
import { createToolSinkHandler, type SinkKind } from '../../../../local/sinks/handlers.js';
import {
  createPkTable,
  emptyAndDeleteBucket,
  quietLocalStack,
  uniqueName,
} from '../../../support/aws.js';
import type { StackEnv } from '../../../support/stack-env.js';

/**
 * `npm run rebuild` as an operator runs it, in its own process group; `onLine` sees each
 * line of its output and may kill the group with SIGKILL (npx, tsx and node).
 */
export function runRebuildCli(
  args: string[],
  onLine?: 'kill-mid-catch-up' | ((line: string, kill: () => void) => void),
) {
  const watch = onLine === 'kill-mid-catch-up' ? killMidCatchUp() : onLine;
  const child = spawn('npx', ['tsx', 'local/cli/rebuild.ts', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, STAYSYNC_LOCAL_DIR: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const kill = () => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  };
  child.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      out += `${line}\n`;
      watch?.(line, kill);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out })),
  );
}

/** An `onLine` that kills the run once its Kafka catch-up is part-way (done > 0, < total). */
function killMidCatchUp() {
  let killed = false;
  return (line: string, kill: () => void) => {
    const m = /kafka catch-up: (\d+)\/(\d+)/.exec(line);
    if (!killed && m !== null && Number(m[1]) > 0 && Number(m[1]) < Number(m[2])) {
      killed = true;
      kill();
    }
  };
}

/** The stack's and the contract's variables of `env` as an env file (what `npm start` writes). */
export function writeEnvFile(env: NodeJS.ProcessEnv, stack: StackEnv, name = 'run.env'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rebuild-it-'));
  const file = path.join(dir, name);
  writeFileSync(
    file,
    Object.entries(env)
      .filter(
        ([k, v]) =>
          v !== undefined &&
          (k in stack.vars ||
            Object.values(EnvVar).includes(k as never) ||
            k.startsWith('POWERTOOLS')),
      )
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  return file;
}

/** A topic of `partitions` partitions on the stack's Kafka. */
export async function createTopic(stack: StackEnv, topic: string, partitions = 2) {
  const kafka = new Kafka({ brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  return async () => {
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  };
}

export async function publish(
  stack: StackEnv,
  pipelineJson: string,
  topic: string,
  changes: readonly ChangeInput[],
) {
  const publisher = await createPublisher({
    brokers: stack.kafkaBrokers,
    pipeline: parsePipelineConfig(pipelineJson),
  });
  await publisher.publish(topic, changes);
  await publisher.close();
}

/** The live sinks (as their mappings run them, SINK_NAME = kind) up to the end of the log. */
export async function runLiveSinks(
  env: NodeJS.ProcessEnv,
  stack: StackEnv,
  kinds: readonly SinkKind[],
  topics: readonly string[],
) {
  const ledger = new DynamoLedger(dynamoDbClient(env), env[EnvVar.ledgerTable] ?? '');
  for (const kind of kinds) {
    const liveEnv = { ...env, [EnvVar.sinkName]: kind };
    const handler = createToolSinkHandler(kind, liveEnv, { metrics: { publish: () => undefined } });
    await feedFromKafka({
      handler,
      ledger,
      sink: kind,
      topics,
      brokers: stack.kafkaBrokers,
      pollMs: 100,
    });
  }
}

/**
 * One test file's resources on the shared stack, under names no other run uses: a ledger
 * table, quarantine and archive buckets and a topic (`partitions` 0: none).
 */
export function localRun(name: string) {
  const { stack, ddb, s3 } = quietLocalStack();
  const run = uniqueName(name).toLowerCase();
  const names = {
    run,
    topic: `${run}-events`,
    ledgerTable: `${run}-ledger`,
    quarantine: `${run}-quarantine`,
    archive: `${run}-archive`,
  };
  let dropTopic: (() => Promise<void>) | undefined;
  return {
    stack,
    ddb,
    s3,
    ...names,
    /** the sinks' environment over these resources (each test adds its store's variables) */
    env: (pipelineJson: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
      ...stack.vars,
      [EnvVar.ledgerTable]: names.ledgerTable,
      [EnvVar.quarantineBucket]: names.quarantine,
      [EnvVar.archiveBucket]: names.archive,
      [EnvVar.pipeline]: pipelineJson,
      [EnvVar.topics]: names.topic,
      [EnvVar.kafkaBrokers]: stack.kafkaBrokers.join(','),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...extra,
    }),
    publish: (pipelineJson: string, changes: readonly ChangeInput[]) =>
      publish(stack, pipelineJson, names.topic, changes),
    /** the live sinks of `kinds` over `env` up to the end of the topic */
    liveSinks: (env: NodeJS.ProcessEnv, kinds: readonly SinkKind[]) =>
      runLiveSinks(env, stack, kinds, [names.topic]),
    setUp: async (partitions = 2) => {
      await createPkTable(ddb, names.ledgerTable);
      for (const Bucket of [names.quarantine, names.archive]) {
        await s3.send(new CreateBucketCommand({ Bucket }));
      }
      if (partitions > 0) dropTopic = await createTopic(stack, names.topic, partitions);
    },
    tearDown: async () => {
      await dropTopic?.();
      for (const Bucket of [names.quarantine, names.archive])
        await emptyAndDeleteBucket(s3, Bucket);
      await ddb.send(new DeleteTableCommand({ TableName: names.ledgerTable }));
    },
  };
}
