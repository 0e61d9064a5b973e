import { DeleteItemCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvVar } from '../../../../functions/contract/index.js';
import type { ChangeInput } from '../../../../local/publisher/envelope.js';
import { type RebuildOptions, rebuild } from '../../../../local/rebuild/rebuild.js';
import { readMarker } from '../../../../local/rebuild/rebuild-markers.js';
import { tableExists } from '../../../../local/rebuild/versioned-stores.js';
import { reconcile } from '../../../../local/reconcile/reconcile.js';
import { createPkTable } from '../../../support/aws.js';
import { checkpointOf, ordersByCustomer, scanAll } from '../../sink-dynamodb/support.js';
import { localRun, runRebuildCli, writeEnvFile } from './support.js';

// The runbook "rebuild the DynamoDB view into a new table" (docs/rebuild-redrive.md) on
// real Kafka, Dynoxide and moto through the real sink: killed with SIGKILL mid-build and
// rerun, verified, switched by a "deploy" of VIEW_TABLE while the live sink is paused and
// behind, then the live sink resumes. The pipeline declares an aggregate (counts and sums
// are deltas), so the reconciliation's exact totals catch any offset applied twice and its
// entity check any offset skipped.
const local = localRun('rbd');
const { stack, ddb, run, topic, ledgerTable } = local;
const view = `${run}-view`;
const pipelineJson = JSON.stringify({
  topics: { [topic]: { versioning: 'source' } },
  aggregates: [ordersByCustomer],
});
const baseEnv = local.env(pipelineJson, { [EnvVar.viewTable]: view });
/** what the deployed sink and applications read: VIEW_TABLE changes with the "deploy" */
let env = baseEnv;

let next = 0;
/** customers upserted, deleted; orders (aggregated per customer) — `n` more changes */
function changes(n: number): ChangeInput[] {
  const out: ChangeInput[] = [];
  for (let j = 0; j < n; j++, next++) {
    const i = next;
    const key = String(i % 40);
    out.push(
      i % 5 === 4
        ? {
            entity: 'order',
            key: `o${i}`,
            op: 'upsert',
            data: { customerId: key, amount: i % 17 },
          }
        : i % 29 === 28
          ? { entity: 'customer', key, op: 'delete' }
          : { entity: 'customer', key, op: 'upsert', data: { name: `c${key}`, n: i } },
    );
  }
  return out;
}

/** `rebuild --sink dynamodb --from kafka` over the topic, with `extra` options */
const rebuildView = (extra: Partial<RebuildOptions> = {}) =>
  rebuild({
    kind: 'dynamodb',
    env,
    from: 'kafka',
    topics: [topic],
    brokers: stack.kafkaBrokers,
    ...extra,
  });
const liveReconcile = () =>
  reconcile({ env, brokers: stack.kafkaBrokers, topics: [topic], stores: ['dynamodb'] });
const liveSink = () => local.liveSinks(env, ['dynamodb']);

beforeAll(async () => {
  await local.setUp();
  await createPkTable(ddb, view);
  await local.publish(pipelineJson, changes(300));
  await liveSink();
}, 300_000);

afterAll(async () => {
  await local.tearDown();
  for (const TableName of [view, `${view}-v2`, `${view}-state`]) {
    if (await tableExists(ddb, TableName)) await ddb.send(new DeleteTableCommand({ TableName }));
  }
});

describe('rebuild --sink dynamodb (local stack)', () => {
  it('a damaged live view: one customer lost', async () => {
    expect((await liveReconcile()).converged).toBe(true);
    await ddb.send(new DeleteItemCommand({ TableName: view, Key: { pk: { S: 'customer#7' } } }));
    expect((await liveReconcile()).converged).toBe(false);
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const lines: string[] = [];
    const result = await rebuildView({ dryRun: true, log: (l) => lines.push(l) });
    expect(result).toBe('dry-run');
    expect(lines[0]).toMatch(`new ${view}-v2 (v2) from kafka`);
    expect(await tableExists(ddb, `${view}-v2`)).toBe(false);
    expect(await readMarker(ddb, ledgerTable, 'dynamodb-rebuild-v2')).toBeUndefined();
  });

  it('--in-place is refused while aggregates are declared (a replay would count them twice)', async () => {
    await expect(rebuildView({ inPlace: true })).rejects.toThrow(/twice/);
  });

  it('killed with SIGKILL mid-build, rerun: <view>-v2 completes and is verified; the live table is untouched', async () => {
    const liveBefore = await scanAll(ddb, view);
    const args = ['--sink', 'dynamodb', '--from', 'kafka', '--env-file', writeEnvFile(env, stack)];
    // one record a batch: the build lasts seconds, so a progress line falls mid-way
    const first = await runRebuildCli([...args, '--batch-size', '1'], 'kill-mid-catch-up');
    expect(first.signal ?? first.code).toBe('SIGKILL');
    expect(await tableExists(ddb, `${view}-v2`)).toBe(true);
    const second = await runRebuildCli(args);
    expect(second.out).toMatch(`resuming (building) ${view}-v2`);
    expect(second.out).toMatch(/CONVERGED/);
    expect(second.out).toMatch(`built and verified: ${view}-v2`);
    expect(second.code).toBe(0);
    expect(await scanAll(ddb, view)).toEqual(liveBefore);
  }, 300_000);

  it('switched by a deploy while the live sink is paused and behind: no offset twice, none skipped', async () => {
    // new records the paused live sink has not applied anywhere yet
    await local.publish(pipelineJson, changes(120));
    env = { ...baseEnv, [EnvVar.viewTable]: `${view}-v2` }; // the deploy
    const lines: string[] = [];
    const result = await rebuildView({ log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(`resuming (switched) ${view}-v2`);
    expect(result).toBe('swapped');
    for (const p of [0, 1]) {
      expect(await checkpointOf(ddb, ledgerTable, `ckpt#dynamodb#${topic}#${p}`)).toBe(
        await checkpointOf(ddb, ledgerTable, `ckpt#dynamodb-rebuild-v2#${topic}#${p}`),
      );
    }
    // the mapping resumes; then the log goes on
    await liveSink();
    expect((await liveReconcile()).converged).toBe(true);
    await local.publish(pipelineJson, changes(60));
    await liveSink();
    const report = await liveReconcile();
    expect(report.stores[0]?.divergences).toEqual([]);
    expect(report.aggregateItems).toBeGreaterThan(0);
  }, 300_000);

  it('a rerun after the switch plans a new version; --drop-old deletes only the old table', async () => {
    const lines: string[] = [];
    await rebuildView({ dryRun: true, log: (l) => lines.push(l) });
    expect(lines[0]).toMatch(`new ${view}-v3 (v3)`);
    lines.length = 0;
    expect(await rebuildView({ dropOld: true, log: (l) => lines.push(l) })).toBe('dropped');
    expect(lines).toEqual([`dropped ${view}`]);
    expect(await tableExists(ddb, view)).toBe(false);
    expect((await liveReconcile()).converged).toBe(true);
  }, 120_000);
});

describe('rebuild --sink dynamodb --in-place (local stack)', () => {
  // a state-only view over the same log (no aggregates), damaged: it lost every item
  const stateEnv = () =>
    local.env(JSON.stringify({ topics: { [topic]: { versioning: 'source' } } }), {
      [EnvVar.viewTable]: `${view}-state`,
    });
  const inPlace = (extra: Partial<RebuildOptions> = {}) =>
    rebuild({
      kind: 'dynamodb',
      env: stateEnv(),
      from: 'kafka',
      topics: [topic],
      brokers: stack.kafkaBrokers,
      inPlace: true,
      ...extra,
    });
  const stateReconcile = () =>
    reconcile({
      env: stateEnv(),
      brokers: stack.kafkaBrokers,
      topics: [topic],
      stores: ['dynamodb'],
    });

  it('replays the log over the live table under a fresh namespace each run; the live checkpoints stay', async () => {
    await createPkTable(ddb, `${view}-state`);
    expect((await stateReconcile()).converged).toBe(false);
    const liveCheckpoint = () => checkpointOf(ddb, ledgerTable, `ckpt#dynamodb#${topic}#0`);
    const before = await liveCheckpoint();
    const lines: string[] = [];
    expect(await inPlace({ log: (l) => lines.push(l) })).toBe('swapped');
    expect(lines[0]).toMatch('new run 1 from kafka');
    expect((await stateReconcile()).converged).toBe(true);
    expect(await readMarker(ddb, ledgerTable, 'dynamodb-inplace')).toMatchObject({
      status: 'done',
      run: 1,
    });
    lines.length = 0;
    expect(await inPlace({ log: (l) => lines.push(l) })).toBe('swapped');
    expect(lines[0]).toMatch('new run 2');
    expect((await stateReconcile()).converged).toBe(true);
    expect(await liveCheckpoint()).toBe(before);
  }, 300_000);

  it('--from archive replays the S3 archive first, then catches up from Kafka', async () => {
    await local.liveSinks(stateEnv(), ['s3-archive']); // the archive the live sink kept
    await ddb.send(
      new DeleteItemCommand({ TableName: `${view}-state`, Key: { pk: { S: 'customer#3' } } }),
    );
    expect((await stateReconcile()).converged).toBe(false);
    const lines: string[] = [];
    expect(await inPlace({ from: 'archive', log: (l) => lines.push(l) })).toBe('swapped');
    const replayed = /archive replayed: (\d+) records/.exec(lines.join('\n'));
    expect(Number(replayed?.[1])).toBeGreaterThan(0);
    expect((await stateReconcile()).converged).toBe(true);
  }, 300_000);
});
