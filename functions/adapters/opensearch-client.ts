import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';

/**
 * How requests to the cluster are authenticated:
 * - `sigv4`: Amazon OpenSearch Service (`es`) or Serverless (`aoss`), signed with the
 *   Lambda role's credentials (default Node provider chain, cached until near expiry);
 * - `none`: plain HTTP, for the local node.
 */
export type OpenSearchAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'sigv4'; readonly region: string; readonly service: 'es' | 'aoss' };

export interface OpenSearchClientConfig {
  /** e.g. `https://search-x.eu-west-1.es.amazonaws.com` or `http://127.0.0.1:19200` */
  readonly endpoint: string;
  readonly auth: OpenSearchAuth;
  /** per request (default 30 s) */
  readonly requestTimeoutMs: number;
}

const clients = new Map<string, Client>();

/**
 * One client per endpoint and auth per process (a Lambda cold start), so its keep-alive
 * connections are reused across invocations; tests obtain the very instance a handler uses
 * by calling this with the same configuration (e.g. to count requests with
 * `client.on('response', …)`).
 */
export function openSearchClient(config: OpenSearchClientConfig): Client {
  const id = JSON.stringify([config.endpoint, config.auth, config.requestTimeoutMs]);
  let client = clients.get(id);
  if (client === undefined) {
    client = createClient(config);
    clients.set(id, client);
  }
  return client;
}

function createClient(config: OpenSearchClientConfig): Client {
  const common = {
    node: config.endpoint,
    requestTimeout: config.requestTimeoutMs,
    // The sink retries with backoff itself (only failed items, within the invocation's
    // time budget); the client's immediate retries would only add load to a busy cluster.
    maxRetries: 0,
  };
  if (config.auth.kind === 'none') return new Client(common);
  return new Client({
    ...common,
    ...AwsSigv4Signer({
      region: config.auth.region,
      service: config.auth.service,
      getCredentials: fromNodeProviderChain(),
    }),
  });
}
