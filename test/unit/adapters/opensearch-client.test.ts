import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSearchClient } from '../../../functions/adapters/opensearch-client.js';

// The client's wiring of each auth mode, observed on the wire by an in-process loopback
// HTTP server (no cluster needed): what Amazon OpenSearch Service would receive.
let server: Server;
let endpoint: string;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"errors":false,"items":[]}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await once(server, 'close');
});

describe('OpenSearch client auth', () => {
  it('signs every request with SigV4 for the es service and the configured region', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    try {
      const client = openSearchClient({
        endpoint,
        auth: { kind: 'sigv4', region: 'eu-west-1', service: 'es' },
        requestTimeoutMs: 5000,
      });
      seen.length = 0;
      await client.transport.request({
        method: 'POST',
        path: '/_bulk',
        bulkBody: '{"index":{}}\n{}\n',
      });
      const headers = seen[0] ?? {};
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=.*host.*x-amz-content-sha256.*, Signature=[0-9a-f]{64}$/,
      );
      expect(headers['x-amz-security-token']).toBe('token');
      expect(headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('sends no credentials at all without signing', async () => {
    const client = openSearchClient({ endpoint, auth: { kind: 'none' }, requestTimeoutMs: 5000 });
    seen.length = 0;
    await client.transport.request({
      method: 'POST',
      path: '/_bulk',
      bulkBody: '{"index":{}}\n{}\n',
    });
    expect(seen[0]?.authorization).toBeUndefined();
  });

  it('hands out one client per endpoint and auth, so tests can observe the handler’s', () => {
    const config = { endpoint, auth: { kind: 'none' } as const, requestTimeoutMs: 5000 };
    expect(openSearchClient({ ...config })).toBe(openSearchClient({ ...config }));
    expect(openSearchClient({ ...config, requestTimeoutMs: 1000 })).not.toBe(
      openSearchClient(config),
    );
  });
});
