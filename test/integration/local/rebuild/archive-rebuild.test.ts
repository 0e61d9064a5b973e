import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvVar } from '../../../../functions/contract/index.js';
import type { ChangeInput } from '../../../../local/publisher/envelope.js';
import { rebuild } from '../../../../local/rebuild/rebuild.js';
import { reconcile } from '../../../../local/reconcile/reconcile.js';
import { listAllKeys } from '../../../support/aws.js';
import { checkpointOf } from '../../sink-dynamodb/support.js';
import { localRun } from './support.js';

// The runbook "recover a lost archive" (docs/rebuild-redrive.md) on real Kafka, Dynoxide
// and moto through the real archive sink: objects of the archive lost, the archive rebuilt
// from Kafka into `archive-v2`, verified, switched by a "deploy" of ARCHIVE_PREFIX while
// the live sink is paused and behind; the live sink then continues in the new prefix.
// The reconciliation checks every offset archived exactly once, byte for byte.
const local = localRun('rba');
const { stack, ddb, s3, topic, ledgerTable, archive } = local;
const pipelineJson = JSON.stringify({ topics: { [topic]: { versioning: 'source' } } });
const baseEnv = local.env(pipelineJson);
let env = baseEnv;
let next = 0;
const changes = (n: number): ChangeInput[] =>
  Array.from({ length: n }, () => {
    const i = next++;
    return { entity: 'customer', key: String(i % 50), op: 'upsert', data: { n: i } };
  });
const verifyArchive = async () =>
  (await reconcile({ env, brokers: stack.kafkaBrokers, topics: [topic], stores: ['archive'] }))
    .converged;
const liveSink = () => local.liveSinks(env, ['s3-archive']);
const options = () =>
  ({
    kind: 's3-archive',
    env,
    from: 'kafka',
    topics: [topic],
    brokers: stack.kafkaBrokers,
  }) as const;

beforeAll(async () => {
  await local.setUp();
  // several batches, so the archive holds several objects per partition
  for (let b = 0; b < 4; b++) {
    await local.publish(pipelineJson, changes(50));
    await liveSink();
  }
}, 300_000);

afterAll(() => local.tearDown());

describe('recover a lost archive: rebuild --sink s3-archive --from kafka (local stack)', () => {
  it('objects of the archive lost: the verification finds the gap', async () => {
    expect(await verifyArchive()).toBe(true);
    const keys = await listAllKeys(s3, archive, 'archive/');
    expect(keys.length).toBeGreaterThan(2);
    await s3.send(new DeleteObjectCommand({ Bucket: archive, Key: keys[1] }));
    expect(await verifyArchive()).toBe(false);
  });

  it('refuses --from archive (the archive is what is lost)', async () => {
    await expect(rebuild({ ...options(), from: 'archive' })).rejects.toThrow(/only from Kafka/);
  });

  it('--dry-run plans archive-v2 and writes nothing', async () => {
    const before = await listAllKeys(s3, archive);
    const lines: string[] = [];
    expect(await rebuild({ ...options(), dryRun: true, log: (l) => lines.push(l) })).toBe(
      'dry-run',
    );
    expect(lines[0]).toMatch('new archive-v2 (v2) from kafka');
    expect(await listAllKeys(s3, archive)).toEqual(before);
  });

  it('builds archive-v2 from Kafka and verifies it; the old prefix is untouched', async () => {
    // the live sink is behind (its mapping paused, or failing on the lost prefix): the
    // rebuild's objects then start elsewhere than where the live sink would continue
    await local.publish(pipelineJson, changes(30));
    const old = await listAllKeys(s3, archive, 'archive/');
    const lines: string[] = [];
    expect(await rebuild({ ...options(), log: (l) => lines.push(l) })).toBe('built');
    expect(lines.join('\n')).toMatch(/CONVERGED/);
    expect(lines.join('\n')).toMatch('deploy ARCHIVE_PREFIX=archive-v2');
    expect(await listAllKeys(s3, archive, 'archive/')).toEqual(old);
    expect((await listAllKeys(s3, archive, 'archive-v2/')).length).toBeGreaterThan(0);
  }, 300_000);

  it('switched while the live sink is paused and behind: the new prefix stays gapless and duplicate-free', async () => {
    await local.publish(pipelineJson, changes(70)); // the paused live sink is behind
    env = { ...baseEnv, [EnvVar.archivePrefix]: 'archive-v2' }; // the deploy
    const lines: string[] = [];
    expect(await rebuild({ ...options(), log: (l) => lines.push(l) })).toBe('swapped');
    expect(lines.join('\n')).toMatch('resuming (switched) archive-v2');
    for (const p of [0, 1]) {
      expect(await checkpointOf(ddb, ledgerTable, `ckpt#s3-archive#${topic}#${p}`)).toBe(
        await checkpointOf(ddb, ledgerTable, `ckpt#s3-archive-rebuild-v2#${topic}#${p}`),
      );
    }
    await liveSink(); // the mapping resumes
    await local.publish(pipelineJson, changes(40));
    await liveSink();
    expect(await verifyArchive()).toBe(true);
  }, 300_000);

  it('--drop-old deletes the lost archive prefix only', async () => {
    const lines: string[] = [];
    expect(await rebuild({ ...options(), dropOld: true, log: (l) => lines.push(l) })).toBe(
      'dropped',
    );
    expect(lines).toEqual(['dropped archive']);
    expect(await listAllKeys(s3, archive, 'archive/')).toEqual([]);
    expect(await verifyArchive()).toBe(true);
  }, 120_000);
});
