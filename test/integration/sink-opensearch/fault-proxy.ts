import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The request header through which a test tells the proxy what to do to one request. */
export const FAULT_HEADER = 'x-staysync-fault';

/** What the proxy does to a request carrying {@link FAULT_HEADER}. */
export type HttpFault = '429' | '503' | 'timeout-after-applied' | 'reset-after-applied';

/**
 * An HTTP proxy in front of the real OpenSearch node that fails requests at the HTTP
 * layer, as a busy or failing cluster would: `429`/`503` answered without reaching the
 * node (an OpenSearch error body), `timeout-after-applied` forwarded and applied, the
 * answer withheld until the client gives up, `reset-after-applied` forwarded and applied,
 * then the connection dropped. Requests without the header pass through untouched.
 */
export async function startFaultProxy(
  target: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const fault = req.headers[FAULT_HEADER] as HttpFault | undefined;
    if (fault === '429' || fault === '503') {
      req.resume();
      const type =
        fault === '429' ? 'es_rejected_execution_exception' : 'unavailable_shards_exception';
      res.writeHead(Number(fault), { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type, reason: 'injected' }, status: Number(fault) }));
      return;
    }
    const headers: Record<string, string | string[] | undefined> = {
      ...req.headers,
      host: upstream.host,
    };
    delete headers[FAULT_HEADER];
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => body.push(chunk));
        answer.on('end', () => {
          if (fault === 'reset-after-applied') {
            req.socket.destroy();
            return;
          }
          if (fault === 'timeout-after-applied') return; // the client times out and hangs up
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(body));
        });
      },
    );
    forward.on('error', () => req.socket.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
