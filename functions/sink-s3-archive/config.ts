import { EnvVar, optionalEnv, requireEnv } from '../contract/index.js';
import { normalizePrefix } from '../core/archive/key.js';
import { ConfigError } from '../core/errors.js';
import { readSinkCommonConfig, type SinkCommonConfig } from '../runtime/sink-config.js';

/** Everything the archive sink reads from its environment, once per cold start. */
export interface S3ArchiveSinkConfig extends SinkCommonConfig {
  readonly archiveBucket: string;
  /** normalized: no leading/trailing slash; '' for the bucket root */
  readonly archivePrefix: string;
  readonly scanLookbackDays: number;
}

export const DEFAULT_SINK_NAME = 's3-archive';
export const DEFAULT_ARCHIVE_PREFIX = 'archive';
export const DEFAULT_SCAN_LOOKBACK_DAYS = 1;

/**
 * S3 keys are at most 1,024 bytes. An object key adds to the prefix
 * `/topic=<t>/dt=yyyy-mm-dd/partition=<p>/<t>+<p>+<20 digits>.jsonl.gz`, with Kafka topic
 * names up to 249 characters: about 590 bytes at worst. A longer prefix would make S3
 * refuse writes (KeyTooLongError) for long topic names, so it fails the cold start instead.
 */
export const MAX_ARCHIVE_PREFIX_BYTES = 400;

/** Characters S3 documents as safe in keys (plus `/`); keeps keys portable to Athena/Glue. */
const SAFE_PREFIX = /^[A-Za-z0-9!_.*'()/-]*$/;

/**
 * Reads and validates the sink's variables (docs/sink-s3-archive.md lists them), failing
 * the cold start with a ConfigError naming the variable.
 */
export function readS3ArchiveSinkConfig(env: NodeJS.ProcessEnv): S3ArchiveSinkConfig {
  const archiveBucket = requireEnv(EnvVar.archiveBucket, env);
  const rawPrefix = env[EnvVar.archivePrefix] ?? DEFAULT_ARCHIVE_PREFIX;
  if (!SAFE_PREFIX.test(rawPrefix) || rawPrefix.split('/').some((s) => s === '..' || s === '.')) {
    throw new ConfigError(
      `staysync: ${EnvVar.archivePrefix} may hold only letters, digits, /, !, -, _, ., *, ', ( and ) without . or .. segments, got ${JSON.stringify(rawPrefix)}`,
    );
  }
  if (Buffer.byteLength(rawPrefix) > MAX_ARCHIVE_PREFIX_BYTES) {
    throw new ConfigError(
      `staysync: ${EnvVar.archivePrefix} is ${Buffer.byteLength(rawPrefix)} bytes; at most ${MAX_ARCHIVE_PREFIX_BYTES} leave room for the object key (S3 keys are at most 1024 bytes)`,
    );
  }
  const lookback = optionalEnv(EnvVar.archiveScanLookbackDays, env);
  const scanLookbackDays = lookback === undefined ? DEFAULT_SCAN_LOOKBACK_DAYS : Number(lookback);
  if (!Number.isSafeInteger(scanLookbackDays) || scanLookbackDays < 0 || scanLookbackDays > 366) {
    throw new ConfigError(
      `staysync: ${EnvVar.archiveScanLookbackDays} must be an integer from 0 to 366, got ${JSON.stringify(lookback)}`,
    );
  }
  return Object.freeze({
    ...readSinkCommonConfig(env, DEFAULT_SINK_NAME),
    archiveBucket,
    archivePrefix: normalizePrefix(rawPrefix),
    scanLookbackDays,
  });
}
