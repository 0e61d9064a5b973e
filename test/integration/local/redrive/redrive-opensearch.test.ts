import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvVar } from '../../../../functions/contract/index.js';
import { createHandler } from '../../../../functions/sink-opensearch/create-handler.js';
import { redrive } from '../../../../local/redrive/redrive.js';
import { listAllKeys } from '../../../support/aws.js';
import { checkpointOf } from '../../sink-dynamodb/support.js';
import { localRun } from '../rebuild/support.js';
import { beforeTheFix } from './support.js';

// Redrive after a fix with the OpenSearch sink (docs/rebuild-redrive.md, "Redrive after a
// bug fix"): records quarantined as `missing-version` on a source-versioned topic are
// indexed at their offsets (external version 2 × offset) once the topic is declared
// log-ordered; the broken JSON stays; a second run changes nothing.
const local = localRun('rdo');
const { stack, ddb, s3, run, topic, ledgerTable, quarantine: bucket } = local;
const os = stack.opensearchEndpoint;
const envOf = (versioning: 'source' | 'log'): NodeJS.ProcessEnv => ({
  ...stack.vars,
  [EnvVar.sinkName]: 'opensearch',
  [EnvVar.openSearchEndpoint]: os,
  [EnvVar.indexPrefix]: run,
  [EnvVar.ledgerTable]: ledgerTable,
  [EnvVar.quarantineBucket]: bucket,
  [EnvVar.pipeline]: JSON.stringify({ topics: { [topic]: { versioning } } }),
});
const doc = async (id: string) => {
  const response = await fetch(`${os}/${run}-customer/_doc/${id}`);
  return (await response.json()) as { found: boolean; _version?: number; _source?: unknown };
};

beforeAll(async () => {
  await local.setUp(0);
  const live = createHandler(envOf('source'));
  const response = await live({
    eventSource: 'aws:kafka',
    records: { [`${topic}-0`]: beforeTheFix(topic) },
  });
  expect(response.batchItemFailures).toEqual([]);
});
afterAll(async () => {
  await fetch(`${os}/${run}-*?expand_wildcards=all`, { method: 'DELETE' });
  await fetch(`${os}/_index_template/${run}-*`, { method: 'DELETE' });
  await local.tearDown();
});

describe('redrive (OpenSearch sink, local stack)', () => {
  it('the live sink indexed offset 0 and quarantined 1, 2 and 3', async () => {
    expect((await doc('1')).found).toBe(true);
    expect((await doc('2')).found).toBe(false);
    expect((await listAllKeys(s3, bucket)).length).toBe(3);
  });

  it('applies the records that now decode at their offsets and moves them; the poison stays', async () => {
    const report = await redrive({ kind: 'opensearch', env: envOf('log') });
    expect(report.rows.map((r) => [r.offset, r.reason, r.outcome])).toEqual([
      [1, 'missing-version', 'applied'],
      [2, 'missing-version', 'applied'],
      [3, 'invalid-json', 'still-poison'],
    ]);
    const got = await doc('2');
    // log-ordered: the offset is the version; offset 2 is the last word
    expect(got).toMatchObject({ found: true, _version: 4, _source: { data: { name: 'Bob' } } });
    expect((await listAllKeys(s3, bucket)).sort()).toEqual([
      `quarantine/redriven/sink=opensearch/topic=${topic}/partition=0/${'1'.padStart(20, '0')}.json`,
      `quarantine/redriven/sink=opensearch/topic=${topic}/partition=0/${'2'.padStart(20, '0')}.json`,
      `quarantine/sink=opensearch/topic=${topic}/partition=0/${'3'.padStart(20, '0')}.json`,
    ]);
    expect(await checkpointOf(ddb, ledgerTable, `ckpt#opensearch#${topic}#0`)).toBe(3);
  });

  it('running it again changes nothing', async () => {
    const keys = await listAllKeys(s3, bucket);
    const before = await doc('2');
    const report = await redrive({ kind: 'opensearch', env: envOf('log') });
    expect(report.rows.map((r) => [r.offset, r.outcome])).toEqual([[3, 'still-poison']]);
    expect(await listAllKeys(s3, bucket)).toEqual(keys);
    expect(await doc('2')).toEqual(before);
  });
});
