import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.js';
import {
  MAX_ARCHIVE_PREFIX_BYTES,
  readS3ArchiveSinkConfig,
} from '../../../functions/sink-s3-archive/config.js';
import { createHandler } from '../../../functions/sink-s3-archive/create-handler.js';

const env = {
  ARCHIVE_BUCKET: 'archive-bucket',
  LEDGER_TABLE: 'ledger',
  QUARANTINE_BUCKET: 'quarantine-bucket',
  AWS_REGION: 'eu-west-1',
};

describe('sink-s3-archive configuration', () => {
  it('needs only the bucket, ledger and quarantine, with defaults for the rest', () => {
    expect(readS3ArchiveSinkConfig(env)).toEqual({
      sinkName: 's3-archive',
      archiveBucket: 'archive-bucket',
      archivePrefix: 'archive',
      ledgerTable: 'ledger',
      quarantineBucket: 'quarantine-bucket',
      quarantinePrefix: 'quarantine',
      pipeline: { topics: {} },
      scanLookbackDays: 1,
    });
    expect(typeof createHandler(env)).toBe('function');
  });

  it.each(['ARCHIVE_BUCKET', 'LEDGER_TABLE', 'QUARANTINE_BUCKET'])(
    'fails the cold start naming a missing %s',
    (name) => {
      const { [name as keyof typeof env]: _, ...rest } = env;
      expect(() => createHandler(rest)).toThrow(ConfigError);
      expect(() => createHandler(rest)).toThrow(name);
    },
  );

  it('fails the cold start when ARCHIVE_PREFIX leaves no room for object keys', () => {
    const prefix = 'p'.repeat(MAX_ARCHIVE_PREFIX_BYTES + 1);
    expect(() => readS3ArchiveSinkConfig({ ...env, ARCHIVE_PREFIX: prefix })).toThrow(
      /ARCHIVE_PREFIX is 401 bytes/,
    );
    const longest = 'p'.repeat(MAX_ARCHIVE_PREFIX_BYTES);
    expect(readS3ArchiveSinkConfig({ ...env, ARCHIVE_PREFIX: longest }).archivePrefix).toBe(
      longest,
    );
  });

  it('normalizes the prefix and accepts the bucket root', () => {
    expect(readS3ArchiveSinkConfig({ ...env, ARCHIVE_PREFIX: '/raw/archive/' }).archivePrefix).toBe(
      'raw/archive',
    );
    expect(readS3ArchiveSinkConfig({ ...env, ARCHIVE_PREFIX: '' }).archivePrefix).toBe('');
  });

  it('rejects prefixes and lookbacks that would break the layout', () => {
    expect(() => readS3ArchiveSinkConfig({ ...env, ARCHIVE_PREFIX: 'a/../b' })).toThrow(
      /ARCHIVE_PREFIX/,
    );
    expect(() => readS3ArchiveSinkConfig({ ...env, ARCHIVE_PREFIX: 'a b' })).toThrow(
      /ARCHIVE_PREFIX/,
    );
    expect(() => readS3ArchiveSinkConfig({ ...env, ARCHIVE_SCAN_LOOKBACK_DAYS: '-1' })).toThrow(
      /ARCHIVE_SCAN_LOOKBACK_DAYS/,
    );
    expect(
      readS3ArchiveSinkConfig({ ...env, ARCHIVE_SCAN_LOOKBACK_DAYS: '3' }).scanLookbackDays,
    ).toBe(3);
  });
});
