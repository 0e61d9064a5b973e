import type { OpenSearchAuth, OpenSearchClientConfig } from '../adapters/opensearch-client.js';
import {
  optionalEnv,
  PIPELINE_ENV,
  type PipelineConfig,
  parsePipelineConfig,
  requireEnv,
} from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { type BulkLimits, DEFAULT_BULK_LIMITS } from '../core/opensearch/bulk-body.js';
import { invalidPrefixReason } from '../core/opensearch/index-naming.js';
import type { IndexLayoutOptions } from '../core/opensearch/index-template.js';

/** Everything the OpenSearch sink reads from its environment, once per cold start. */
export interface OpenSearchSinkConfig {
  readonly sinkName: string;
  readonly ledgerTable: string;
  readonly quarantineBucket: string;
  readonly pipeline: PipelineConfig;
  readonly client: OpenSearchClientConfig;
  readonly indexPrefix: string;
  readonly indexVersion: number;
  readonly layout: IndexLayoutOptions;
  readonly bulkLimits: BulkLimits;
}

export const DEFAULT_SINK_NAME = 'opensearch';

/**
 * Reads and validates the sink's variables (docs/sink-opensearch.md lists them), failing
 * the cold start with a ConfigError naming the variable.
 */
export function readOpenSearchSinkConfig(env: NodeJS.ProcessEnv): OpenSearchSinkConfig {
  const endpoint = parseEndpoint(requireEnv('OPENSEARCH_ENDPOINT', env));
  const indexPrefix = requireEnv('INDEX_PREFIX', env);
  const badPrefix = invalidPrefixReason(indexPrefix);
  if (badPrefix !== null) throw new ConfigError(`staysync: INDEX_PREFIX: ${badPrefix}`);
  const auth = parseAuth(endpoint, env);
  const replicas = optionalInt('OPENSEARCH_NUMBER_OF_REPLICAS', env, 0);
  return Object.freeze({
    sinkName: optionalEnv('SINK_NAME', env) ?? DEFAULT_SINK_NAME,
    ledgerTable: requireEnv('LEDGER_TABLE', env),
    quarantineBucket: requireEnv('QUARANTINE_BUCKET', env),
    pipeline: parsePipelineConfig(optionalEnv(PIPELINE_ENV, env)),
    client: Object.freeze({
      endpoint: endpoint.origin,
      auth,
      requestTimeoutMs: optionalInt('OPENSEARCH_REQUEST_TIMEOUT_MS', env, 1) ?? 30_000,
    }),
    indexPrefix,
    indexVersion: optionalInt('OPENSEARCH_INDEX_VERSION', env, 1) ?? 1,
    layout: Object.freeze({
      numberOfShards: optionalInt('OPENSEARCH_NUMBER_OF_SHARDS', env, 1) ?? 1,
      // a single local node can never allocate a replica (the index would stay yellow)
      numberOfReplicas: replicas ?? (auth.kind === 'none' ? 0 : undefined),
      extraSettings: parseSettings(optionalEnv('OPENSEARCH_INDEX_SETTINGS', env)),
    }),
    bulkLimits: Object.freeze({
      maxActions:
        optionalInt('OPENSEARCH_BULK_MAX_ACTIONS', env, 1) ?? DEFAULT_BULK_LIMITS.maxActions,
      maxBytes: optionalInt('OPENSEARCH_BULK_MAX_BYTES', env, 1) ?? DEFAULT_BULK_LIMITS.maxBytes,
    }),
  });
}

/** Accepts a full URL or a bare domain endpoint as the console shows it (then https). */
function parseEndpoint(raw: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`staysync: OPENSEARCH_ENDPOINT is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`staysync: OPENSEARCH_ENDPOINT must be http(s), got ${url.protocol}`);
  }
  return url;
}

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * `OPENSEARCH_AUTH=sigv4|none`; default `sigv4` for an https endpoint that is not loopback
 * (Amazon OpenSearch Service), `none` otherwise (the local node). The signing service is
 * `OPENSEARCH_SERVICE=es|aoss`, default `aoss` for `*.aoss.amazonaws.com`, else `es`.
 */
function parseAuth(endpoint: URL, env: NodeJS.ProcessEnv): OpenSearchAuth {
  const explicit = optionalEnv('OPENSEARCH_AUTH', env);
  const kind =
    explicit ??
    (endpoint.protocol === 'https:' && !isLoopback(endpoint.hostname) ? 'sigv4' : 'none');
  if (kind === 'none') return Object.freeze({ kind: 'none' });
  if (kind !== 'sigv4') {
    throw new ConfigError(
      `staysync: OPENSEARCH_AUTH must be sigv4 or none, got ${JSON.stringify(kind)}`,
    );
  }
  const service =
    optionalEnv('OPENSEARCH_SERVICE', env) ??
    (endpoint.hostname.endsWith('.aoss.amazonaws.com') ? 'aoss' : 'es');
  if (service !== 'es' && service !== 'aoss') {
    throw new ConfigError(
      `staysync: OPENSEARCH_SERVICE must be es or aoss, got ${JSON.stringify(service)}`,
    );
  }
  const region = optionalEnv('AWS_REGION', env) ?? optionalEnv('AWS_DEFAULT_REGION', env);
  if (region === undefined) {
    throw new ConfigError(
      'staysync: environment variable AWS_REGION is required for OPENSEARCH_AUTH=sigv4',
    );
  }
  return Object.freeze({ kind: 'sigv4', region, service });
}

function optionalInt(name: string, env: NodeJS.ProcessEnv, min: number): number | undefined {
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
      `staysync: OPENSEARCH_INDEX_SETTINGS is not valid JSON: ${(err as Error).message}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(
      'staysync: OPENSEARCH_INDEX_SETTINGS must be a JSON object of index settings',
    );
  }
  return Object.freeze(parsed as Record<string, unknown>);
}
