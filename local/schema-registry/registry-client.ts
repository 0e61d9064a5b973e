/**
 * A client for the Confluent Schema Registry REST API (the subset staysync uses):
 * register a schema under a subject, fetch a schema by id. Apicurio Registry serves the
 * same API under /apis/ccompat/v7 (docs/local-stack.md).
 */

/** The registry answered that the schema id (or subject) does not exist (HTTP 404). */
export class SchemaNotFoundError extends Error {
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'SchemaNotFoundError';
  }
}

/** The registry could not be reached or answered 5xx: try again later. */
export class RegistryUnavailableError extends Error {
  readonly retriable = true;
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RegistryUnavailableError';
  }
}

/** The registry refused a request (4xx other than 404, e.g. an incompatible schema: 409). */
export class RegistryRequestError extends Error {
  readonly retriable = false;
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RegistryRequestError';
  }
}

export interface RegisteredSchema {
  /** the schema text as registered (Avro: JSON) */
  readonly schema: string;
  /** `AVRO` when the registry omits it (Confluent does for Avro) */
  readonly schemaType: string;
}

export interface SchemaRegistryClient {
  /** Registers `schema` under `subject` (idempotent: an identical schema keeps its id). */
  register(subject: string, schema: string, schemaType?: string): Promise<number>;
  schemaById(id: number): Promise<RegisteredSchema>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** @param baseUrl the registry's Confluent API root, e.g. `http://127.0.0.1:18081/apis/ccompat/v7` */
export function confluentRegistryClient(
  baseUrl: string,
  options: { readonly timeoutMs?: number; readonly fetch?: typeof fetch } = {},
): SchemaRegistryClient {
  const root = baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await doFetch(`${root}${path}`, {
        method,
        headers: { accept: CONTENT_TYPE, 'content-type': CONTENT_TYPE },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new RegistryUnavailableError(
        `schema registry ${method} ${path}: ${(err as Error).message}`,
        err,
      );
    }
    const text = await response.text();
    if (response.status === 404) {
      throw new SchemaNotFoundError(`schema registry ${method} ${path}: 404 ${text}`);
    }
    if (response.status >= 500 || response.status === 429) {
      throw new RegistryUnavailableError(
        `schema registry ${method} ${path}: ${response.status} ${text}`,
      );
    }
    if (!response.ok) {
      throw new RegistryRequestError(
        `schema registry ${method} ${path}: ${response.status} ${text}`,
        response.status,
      );
    }
    return JSON.parse(text) as unknown;
  }

  return {
    async register(subject, schema, schemaType = 'AVRO') {
      const answer = (await call(
        'POST',
        `/subjects/${encodeURIComponent(subject)}/versions`,
        schemaType === 'AVRO' ? { schema } : { schema, schemaType },
      )) as { id?: unknown };
      if (typeof answer.id !== 'number') {
        throw new RegistryRequestError(`schema registry: no id in ${JSON.stringify(answer)}`, 200);
      }
      return answer.id;
    },
    async schemaById(id) {
      const answer = (await call('GET', `/schemas/ids/${id}`)) as {
        schema?: unknown;
        schemaType?: unknown;
      };
      if (typeof answer.schema !== 'string') {
        throw new RegistryRequestError(
          `schema registry: no schema in ${JSON.stringify(answer)}`,
          200,
        );
      }
      return {
        schema: answer.schema,
        schemaType: typeof answer.schemaType === 'string' ? answer.schemaType : 'AVRO',
      };
    },
  };
}
