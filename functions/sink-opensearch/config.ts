import type { OpenSearchAuth, OpenSearchClientConfig } from '../adapters/opensearch-client.js';
import {
  EnvVar,
  optionalEnv,
  optionalInt,
  parseOpenSearchIndexEnv,
  requireEnv,
} from '../contract/index.js';
import { ConfigError } from '../core/errors.js';
import { type BulkLimits, DEFAULT_BULK_LIMITS } from '../core/opensearch/bulk-body.js';
import { invalidPrefixReason } from '../core/opensearch/index-naming.js';
import type { IndexLayoutOptions } from '../core/opensearch/index-template.js';
import { readSinkCommonConfig, type SinkCommonConfig } from '../runtime/sink-config.js';

/** Everything the OpenSearch sink reads from its environment, once per cold start. */
export interface OpenSearchSinkConfig extends SinkCommonConfig {
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
  const endpoint = parseEndpoint(requireEnv(EnvVar.openSearchEndpoint, env));
  const indexPrefix = requireEnv(EnvVar.indexPrefix, env);
  const badPrefix = invalidPrefixReason(indexPrefix);
  if (badPrefix !== null) throw new ConfigError(`staysync: ${EnvVar.indexPrefix}: ${badPrefix}`);
  const auth = parseAuth(endpoint, env);
  const index = parseOpenSearchIndexEnv(env);
  return Object.freeze({
    ...readSinkCommonConfig(env, DEFAULT_SINK_NAME),
    client: Object.freeze({
      endpoint: endpoint.origin,
      auth,
      requestTimeoutMs: optionalInt(EnvVar.openSearchRequestTimeoutMs, env, 1) ?? 30_000,
    }),
    indexPrefix,
    indexVersion: index.indexVersion ?? 1,
    layout: Object.freeze({
      numberOfShards: index.numberOfShards ?? 1,
      // a single local node can never allocate a replica (the index would stay yellow)
      numberOfReplicas: index.numberOfReplicas ?? (auth.kind === 'none' ? 0 : undefined),
      extraSettings: index.extraSettings,
    }),
    bulkLimits: Object.freeze({
      maxActions:
        optionalInt(EnvVar.openSearchBulkMaxActions, env, 1) ?? DEFAULT_BULK_LIMITS.maxActions,
      maxBytes: optionalInt(EnvVar.openSearchBulkMaxBytes, env, 1) ?? DEFAULT_BULK_LIMITS.maxBytes,
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
    throw new ConfigError(
      `staysync: ${EnvVar.openSearchEndpoint} is not a URL: ${JSON.stringify(raw)}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(
      `staysync: ${EnvVar.openSearchEndpoint} must be http(s), got ${url.protocol}`,
    );
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
  const explicit = optionalEnv(EnvVar.openSearchAuth, env);
  const kind =
    explicit ??
    (endpoint.protocol === 'https:' && !isLoopback(endpoint.hostname) ? 'sigv4' : 'none');
  if (kind === 'none') return Object.freeze({ kind: 'none' });
  if (kind !== 'sigv4') {
    throw new ConfigError(
      `staysync: ${EnvVar.openSearchAuth} must be sigv4 or none, got ${JSON.stringify(kind)}`,
    );
  }
  const service =
    optionalEnv(EnvVar.openSearchService, env) ??
    (endpoint.hostname.endsWith('.aoss.amazonaws.com') ? 'aoss' : 'es');
  if (service !== 'es' && service !== 'aoss') {
    throw new ConfigError(
      `staysync: ${EnvVar.openSearchService} must be es or aoss, got ${JSON.stringify(service)}`,
    );
  }
  const region = optionalEnv('AWS_REGION', env) ?? optionalEnv('AWS_DEFAULT_REGION', env);
  if (region === undefined) {
    throw new ConfigError(
      `staysync: environment variable AWS_REGION is required for ${EnvVar.openSearchAuth}=sigv4`,
    );
  }
  return Object.freeze({ kind: 'sigv4', region, service });
}
