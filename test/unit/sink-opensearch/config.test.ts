import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.js';
import { readOpenSearchSinkConfig } from '../../../functions/sink-opensearch/config.js';

const base = {
  OPENSEARCH_ENDPOINT: 'http://127.0.0.1:19200',
  INDEX_PREFIX: 'staysync',
  LEDGER_TABLE: 'ledger',
  QUARANTINE_BUCKET: 'quarantine',
};

describe('OpenSearch sink configuration', () => {
  it.each(['OPENSEARCH_ENDPOINT', 'INDEX_PREFIX', 'LEDGER_TABLE', 'QUARANTINE_BUCKET'])(
    'fails the cold start naming %s when it is missing',
    (name) => {
      const env: Record<string, string> = { ...base };
      delete env[name];
      expect(() => readOpenSearchSinkConfig(env)).toThrow(ConfigError);
      expect(() => readOpenSearchSinkConfig(env)).toThrow(name);
    },
  );

  it('talks plain HTTP without signing to a loopback node, with no replicas', () => {
    const config = readOpenSearchSinkConfig(base);
    expect(config.client).toEqual({
      endpoint: 'http://127.0.0.1:19200',
      auth: { kind: 'none' },
      requestTimeoutMs: 30_000,
    });
    expect(config.layout).toEqual({ numberOfShards: 1, numberOfReplicas: 0, extraSettings: {} });
    expect(config.bulkLimits).toEqual({ maxActions: 1000, maxBytes: 5 * 1024 * 1024 });
    expect(config.sinkName).toBe('opensearch');
    expect(config.indexVersion).toBe(1);
  });

  it('signs with SigV4 for Amazon OpenSearch Service by default, leaving replicas to the cluster', () => {
    const config = readOpenSearchSinkConfig({
      ...base,
      OPENSEARCH_ENDPOINT: 'search-shop-abc.eu-west-1.es.amazonaws.com',
      AWS_REGION: 'eu-west-1',
    });
    expect(config.client.endpoint).toBe('https://search-shop-abc.eu-west-1.es.amazonaws.com');
    expect(config.client.auth).toEqual({ kind: 'sigv4', region: 'eu-west-1', service: 'es' });
    expect(config.layout.numberOfReplicas).toBeUndefined();
  });

  it('signs for the aoss service on a Serverless collection endpoint', () => {
    const config = readOpenSearchSinkConfig({
      ...base,
      OPENSEARCH_ENDPOINT: 'https://abc123.us-east-1.aoss.amazonaws.com',
      AWS_REGION: 'us-east-1',
    });
    expect(config.client.auth).toEqual({ kind: 'sigv4', region: 'us-east-1', service: 'aoss' });
  });

  it('requires a region to sign', () => {
    expect(() => readOpenSearchSinkConfig({ ...base, OPENSEARCH_AUTH: 'sigv4' })).toThrow(
      /AWS_REGION/,
    );
  });

  it('lets OPENSEARCH_AUTH override the default either way', () => {
    const https = {
      ...base,
      OPENSEARCH_ENDPOINT: 'https://search.example.com',
      AWS_REGION: 'us-east-1',
    };
    expect(readOpenSearchSinkConfig({ ...https, OPENSEARCH_AUTH: 'none' }).client.auth).toEqual({
      kind: 'none',
    });
    expect(() => readOpenSearchSinkConfig({ ...https, OPENSEARCH_AUTH: 'basic' })).toThrow(
      /OPENSEARCH_AUTH/,
    );
  });

  it('reads tuning variables and extra index settings', () => {
    const config = readOpenSearchSinkConfig({
      ...base,
      SINK_NAME: 'search',
      OPENSEARCH_INDEX_VERSION: '2',
      OPENSEARCH_NUMBER_OF_SHARDS: '3',
      OPENSEARCH_NUMBER_OF_REPLICAS: '1',
      OPENSEARCH_INDEX_SETTINGS: '{"index.gc_deletes":"0s"}',
      OPENSEARCH_BULK_MAX_ACTIONS: '500',
      OPENSEARCH_BULK_MAX_BYTES: '1048576',
      OPENSEARCH_REQUEST_TIMEOUT_MS: '10000',
    });
    expect(config.sinkName).toBe('search');
    expect(config.indexVersion).toBe(2);
    expect(config.layout).toEqual({
      numberOfShards: 3,
      numberOfReplicas: 1,
      extraSettings: { 'index.gc_deletes': '0s' },
    });
    expect(config.bulkLimits).toEqual({ maxActions: 500, maxBytes: 1048576 });
    expect(config.client.requestTimeoutMs).toBe(10_000);
  });

  it.each([
    ['INDEX_PREFIX', 'StaySync', /INDEX_PREFIX/],
    ['OPENSEARCH_BULK_MAX_ACTIONS', '0', /OPENSEARCH_BULK_MAX_ACTIONS/],
    ['OPENSEARCH_INDEX_VERSION', 'x', /OPENSEARCH_INDEX_VERSION/],
    ['OPENSEARCH_INDEX_SETTINGS', '[1]', /OPENSEARCH_INDEX_SETTINGS/],
    ['OPENSEARCH_ENDPOINT', 'ftp://x', /OPENSEARCH_ENDPOINT/],
  ])('rejects %s=%s', (name, value, message) => {
    expect(() => readOpenSearchSinkConfig({ ...base, [name]: value })).toThrow(message);
  });
});
