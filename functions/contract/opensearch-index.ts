import { ConfigError } from '../core/errors.js';
import { EnvVar, type EnvVarName, optionalEnv } from './env.js';

/**
 * The OpenSearch sink's index layout as its environment carries it (all optional):
 * `OPENSEARCH_NUMBER_OF_SHARDS` (≥ 1), `OPENSEARCH_NUMBER_OF_REPLICAS` (≥ 0),
 * `OPENSEARCH_INDEX_SETTINGS` (a JSON object of extra index settings, merged last) and
 * `OPENSEARCH_INDEX_VERSION` (≥ 1, the physical index generation). The sink reads them with
 * this parser at cold start (functions/sink-opensearch/config.ts) and infra checks the values
 * it is about to set with the same parser at synth (infra/config/validate.ts).
 *
 * Mappings are not configurable: the sink's root mapping is fixed and `strict`, and the
 * entity's fields under `data` map dynamically (core/opensearch/index-template.ts).
 */
export interface OpenSearchIndexEnv {
  readonly numberOfShards?: number;
  readonly numberOfReplicas?: number;
  readonly extraSettings: Readonly<Record<string, unknown>>;
  readonly indexVersion?: number;
}

export function parseOpenSearchIndexEnv(env: NodeJS.ProcessEnv): OpenSearchIndexEnv {
  const shards = optionalInt(EnvVar.openSearchNumberOfShards, env, 1);
  const replicas = optionalInt(EnvVar.openSearchNumberOfReplicas, env, 0);
  const version = optionalInt(EnvVar.openSearchIndexVersion, env, 1);
  return Object.freeze({
    ...(shards === undefined ? {} : { numberOfShards: shards }),
    ...(replicas === undefined ? {} : { numberOfReplicas: replicas }),
    extraSettings: parseSettings(optionalEnv(EnvVar.openSearchIndexSettings, env)),
    ...(version === undefined ? {} : { indexVersion: version }),
  });
}

/** An optional integer variable ≥ `min`; a ConfigError naming it otherwise. */
export function optionalInt(
  name: EnvVarName,
  env: NodeJS.ProcessEnv,
  min: number,
): number | undefined {
  const raw = optionalEnv(name, env);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(
      `staysync: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** `OPENSEARCH_INDEX_SETTINGS`: a JSON object of extra index settings. */
function parseSettings(raw: string | undefined): Readonly<Record<string, unknown>> {
  if (raw === undefined) return Object.freeze({});
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(
      `staysync: ${EnvVar.openSearchIndexSettings} is not valid JSON: ${(err as Error).message}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(
      `staysync: ${EnvVar.openSearchIndexSettings} must be a JSON object of index settings`,
    );
  }
  return Object.freeze(parsed as Record<string, unknown>);
}
