/**
 * staysync's local schema registry: the Confluent Schema Registry REST API (the part
 * serializers, Lambda's schema registry integration and staysync use) over
 * {@link SchemaStore}, on 127.0.0.1. State is kept in one JSON file, rewritten after each
 * registration, so schema ids survive a restart of the stack.
 *
 * Run by the stack (local/stack/services/schema-registry.ts):
 *   node --import tsx local/schema-registry/server.ts --port 18081 --data <dir>
 * docs/local-stack.md says why staysync serves its own (no third-party registry installs
 * from the package registries this project can reach).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RegistryError, SchemaStore, type StoreState } from './store.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

type Route = (match: RegExpExecArray, body: unknown) => unknown;

export function routes(store: SchemaStore, persist: () => void): Array<[string, RegExp, Route]> {
  return [
    [
      'GET',
      /^\/schemas\/ids\/(\d+)$/,
      (m) => {
        const found = store.byId(Number(m[1]));
        return found.schemaType === 'AVRO'
          ? { schema: found.schema }
          : { schema: found.schema, schemaType: found.schemaType };
      },
    ],
    ['GET', /^\/subjects$/, () => store.subjects()],
    [
      'GET',
      /^\/subjects\/([^/]+)\/versions$/,
      (m) => store.versions(decodeURIComponent(m[1] ?? '')),
    ],
    [
      'GET',
      /^\/subjects\/([^/]+)\/versions\/(latest|\d+)$/,
      (m) => store.version(decodeURIComponent(m[1] ?? ''), m[2] ?? ''),
    ],
    [
      'POST',
      /^\/subjects\/([^/]+)\/versions$/,
      (m, body) => {
        const { schema, schemaType } = (body ?? {}) as { schema?: unknown; schemaType?: unknown };
        if (typeof schema !== 'string')
          throw new RegistryError(422, 42201, 'Invalid schema: "schema" must be a string');
        const id = store.register(
          decodeURIComponent(m[1] ?? ''),
          schema,
          typeof schemaType === 'string' ? schemaType : 'AVRO',
        );
        persist();
        return { id };
      },
    ],
    ['GET', /^\/config$/, () => ({ compatibilityLevel: 'BACKWARD' })],
  ];
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RegistryError(400, 400, 'Request body is not JSON');
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': CONTENT_TYPE });
  res.end(JSON.stringify(body));
}

export function startRegistry(options: { port: number; dataDir: string }) {
  mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, 'schemas.json');
  const state = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as StoreState)
    : undefined;
  const store = new SchemaStore(state);
  const persist = (): void => {
    writeFileSync(`${file}.tmp`, JSON.stringify(store.snapshot));
    renameSync(`${file}.tmp`, file);
  };
  const table = routes(store, persist);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    void (async () => {
      try {
        for (const [method, pattern, route] of table) {
          const match = pattern.exec(url.pathname);
          if (match === null) continue;
          if (req.method !== method) continue;
          answer(res, 200, route(match, method === 'POST' ? await readBody(req) : undefined));
          return;
        }
        answer(res, 404, { error_code: 404, message: `HTTP 404 Not Found: ${url.pathname}` });
      } catch (err) {
        if (err instanceof RegistryError) {
          answer(res, err.status, { error_code: err.errorCode, message: err.message });
        } else {
          answer(res, 500, { error_code: 50001, message: (err as Error).message });
        }
      }
    })();
  });
  server.listen(options.port, '127.0.0.1');
  return server;
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]).endsWith(path.join('schema-registry', 'server.ts'))
) {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, data: { type: 'string' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || values.data === undefined) {
    console.error('usage: server.ts --port <port> --data <dir>');
    process.exit(2);
  }
  startRegistry({ port, dataDir: values.data }).once('listening', () => {
    console.log(`schema registry listening on 127.0.0.1:${port}`);
  });
}
