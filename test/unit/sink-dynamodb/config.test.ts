import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.js';
import { readDynamoSinkConfig } from '../../../functions/sink-dynamodb/config.js';

const env = { VIEW_TABLE: 'view', LEDGER_TABLE: 'ledger', QUARANTINE_BUCKET: 'q' };

describe('DynamoDB sink configuration', () => {
  it('names the missing variable', () => {
    for (const name of Object.keys(env)) {
      expect(() => readDynamoSinkConfig({ ...env, [name]: '' })).toThrow(new RegExp(name));
    }
  });

  it('defaults to a source-versioned pipeline without aggregates and 14-day tombstones', () => {
    expect(readDynamoSinkConfig(env)).toMatchObject({
      sinkName: 'dynamodb',
      aggregates: [],
      pipeline: { topics: {} },
      tombstoneTtlSeconds: 14 * 24 * 3600,
      concurrency: 16,
      preReadThreshold: 0.1,
    });
  });

  it('reads the pre-read threshold as a fraction from 0 to 1', () => {
    expect(readDynamoSinkConfig({ ...env, VIEW_PREREAD_THRESHOLD: '0' }).preReadThreshold).toBe(0);
    expect(readDynamoSinkConfig({ ...env, VIEW_PREREAD_THRESHOLD: '0.25' }).preReadThreshold).toBe(
      0.25,
    );
    for (const bad of ['1.5', '-0.1', 'often']) {
      expect(() => readDynamoSinkConfig({ ...env, VIEW_PREREAD_THRESHOLD: bad })).toThrow(
        /VIEW_PREREAD_THRESHOLD/,
      );
    }
  });

  it('reads aggregates from STAYSYNC_PIPELINE and rejects a bad retention', () => {
    const aggregates = [
      { name: 'n', entity: 'order', groupBy: 'c', measures: { n: { count: true } } },
    ];
    expect(
      readDynamoSinkConfig({
        ...env,
        STAYSYNC_PIPELINE: JSON.stringify({ topics: {}, aggregates }),
      }).aggregates,
    ).toEqual(aggregates);
    expect(() => readDynamoSinkConfig({ ...env, VIEW_TOMBSTONE_TTL_SECONDS: '-1' })).toThrow(
      ConfigError,
    );
  });
});
