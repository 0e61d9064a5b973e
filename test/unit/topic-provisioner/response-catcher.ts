import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CaughtResponse {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/**
 * A loopback HTTP server standing in for CloudFormation's pre-signed ResponseURL: it
 * records every PUT so tests assert the exact response body the provisioner sent.
 * `failNext` makes the next n requests answer 500 (to exercise the retries).
 */
export async function startResponseCatcher(): Promise<{
  readonly url: string;
  readonly received: CaughtResponse[];
  failNext(n: number): void;
  close(): Promise<void>;
}> {
  const received: CaughtResponse[] = [];
  let failures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.statusCode = 500;
        res.end();
        return;
      }
      received.push({
        method: req.method ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cfn-response?X-Amz-Signature=test`,
    received,
    failNext: (n) => {
      failures = n;
    },
    close: () =>
      new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
