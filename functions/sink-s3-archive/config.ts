import { normalizePrefix } from '../core/archive/key.js';
import {
  optionalEnv,
  PIPELINE_ENV,
  type PipelineConfig,
  parsePipelineConfig,
  requireEnv,
} from '../core/config.js';
import { ConfigError } from '../core/errors.js';

/** Everything the archive sink reads from its environment, once per cold start. */
export interface S3ArchiveSinkConfig {
  readonly sinkName: string;
  readonly archiveBucket: string;
  /** normalized: no leading/trailing slash; '' for the bucket root */
  readonly archivePrefix: string;
  readonly pipeline: PipelineConfig;
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
 * the cold start with a ConfigError naming the variable. `LEDGER_TABLE` and
 * `QUARANTINE_BUCKET` are read by the ledger and quarantine factories.
 */
export function readS3ArchiveSinkConfig(env: NodeJS.ProcessEnv): S3ArchiveSinkConfig {
  const archiveBucket = requireEnv('ARCHIVE_BUCKET', env);
  const rawPrefix = env.ARCHIVE_PREFIX ?? DEFAULT_ARCHIVE_PREFIX;
  if (!SAFE_PREFIX.test(rawPrefix) || rawPrefix.split('/').some((s) => s === '..' || s === '.')) {
    throw new ConfigError(
      `staysync: ARCHIVE_PREFIX may hold only letters, digits, /, !, -, _, ., *, ', ( and ) without . or .. segments, got ${JSON.stringify(rawPrefix)}`,
    );
  }
  if (Buffer.byteLength(rawPrefix) > MAX_ARCHIVE_PREFIX_BYTES) {
    throw new ConfigError(
      `staysync: ARCHIVE_PREFIX is ${Buffer.byteLength(rawPrefix)} bytes; at most ${MAX_ARCHIVE_PREFIX_BYTES} leave room for the object key (S3 keys are at most 1024 bytes)`,
    );
  }
  const lookback = optionalEnv('ARCHIVE_SCAN_LOOKBACK_DAYS', env);
  const scanLookbackDays = lookback === undefined ? DEFAULT_SCAN_LOOKBACK_DAYS : Number(lookback);
  if (!Number.isSafeInteger(scanLookbackDays) || scanLookbackDays < 0 || scanLookbackDays > 366) {
    throw new ConfigError(
      `staysync: ARCHIVE_SCAN_LOOKBACK_DAYS must be an integer from 0 to 366, got ${JSON.stringify(lookback)}`,
    );
  }
  return Object.freeze({
    sinkName: optionalEnv('SINK_NAME', env) ?? DEFAULT_SINK_NAME,
    archiveBucket,
    archivePrefix: normalizePrefix(rawPrefix),
    pipeline: parsePipelineConfig(optionalEnv(PIPELINE_ENV, env)),
    scanLookbackDays,
  });
}
