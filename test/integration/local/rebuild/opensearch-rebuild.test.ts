import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvVar } from '../../../../functions/contract/index.js';
import { rebuild } from '../../../../local/rebuild/rebuild.js';
import { reconcile } from '../../../../local/reconcile/reconcile.js';
import { localRun, runRebuildCli, writeEnvFile } from './support.js';

// The runbooks "rebuild after a mapping change" (from Kafka, killed with SIGKILL and
// rerun) and "rebuild from the archive" (docs/rebuild-redrive.md), on real Kafka,
// OpenSearch, Dynoxide and moto, through the real sinks.
const local = localRun('rb');
const { stack, run, topic } = local;
const prefix = run;
const pipelineJson = JSON.stringify({ topics: { [topic]: { versioning: 'source' } } });
const env = local.env(pipelineJson, {
  [EnvVar.indexPrefix]: prefix,
  [EnvVar.openSearchEndpoint]: stack.opensearchEndpoint,
});
const os = stack.opensearchEndpoint;
const json = async (url: string, init?: RequestInit) => (await fetch(`${os}${url}`, init)).json();
const aliasesOf = async () =>
  (await json(`/${prefix}-*/_alias`)) as Record<string, { aliases: Record<string, unknown> }>;

async function liveReconcile() {
  // searches see what was refreshed: make every write visible first
  await fetch(`${os}/${prefix}-*/_refresh`, { method: 'POST' });
  return reconcile({ env, brokers: stack.kafkaBrokers, topics: [topic], stores: ['opensearch'] });
}

let envFile: string;
beforeAll(async () => {
  await local.setUp();
  const changes = [];
  for (let i = 0; i < 400; i++) {
    const key = String(i % 60);
    changes.push(
      i % 37 === 36
        ? { entity: 'customer', key, op: 'delete' as const }
        : { entity: 'customer', key, op: 'upsert' as const, data: { name: `c${key}`, n: i } },
    );
  }
  await local.publish(pipelineJson, changes);
  await local.liveSinks(env, ['opensearch', 's3-archive']);
  envFile = writeEnvFile(env, stack);
}, 300_000);

afterAll(async () => {
  await fetch(`${os}/${prefix}-*?expand_wildcards=all`, { method: 'DELETE' });
  await fetch(`${os}/_index_template/${prefix}-*`, { method: 'DELETE' });
  await local.tearDown();
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
    const first = await runRebuildCli(args, 'kill-mid-catch-up');
    expect(first.signal ?? first.code).toBe('SIGKILL');
    // half-built: the staging alias exists, the live one still on v1
    const mid = await aliasesOf();
    expect(Object.keys(mid[`${prefix}-customer-v2`]?.aliases ?? {})).toContain(
      `${prefix}-customer-rebuild`,
    );
    expect(Object.keys(mid[`${prefix}-customer-v1`]?.aliases ?? {})).toContain(
      `${prefix}-customer-write`,
    );

    const second = await runRebuildCli(args);
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
