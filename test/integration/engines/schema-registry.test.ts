import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadStackEnv } from '../../support/stack-env.js';

// Proves the local schema registry (Apicurio Registry through its Confluent-compatible
// API) behaves as Confluent's does where staysync relies on it: the id a producer puts in
// the wire format resolves with GET /schemas/ids/{id}, a schema evolved with a default
// registers, an incompatible one is refused, and an unknown id is Confluent's 40403.
// Subjects are unique per run and compatibility is set per subject, never globally.
const registry = loadStackEnv().schemaRegistryUrl;
const suffix = randomUUID().slice(0, 8);
const subjectOf = (name: string): string => `engine-${name}-${suffix}-value`;
const contentType = 'application/vnd.schemaregistry.v1+json';

interface RegistryAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(method: string, route: string, body?: unknown): Promise<RegistryAnswer> {
  const response = await fetch(`${registry}${route}`, {
    method,
    headers: { 'Content-Type': contentType, Accept: contentType },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const register = (subject: string, schema: object): Promise<RegistryAnswer> =>
  call('POST', `/subjects/${subject}/versions`, { schema: JSON.stringify(schema) });

const booking = (extraFields: readonly object[] = []): object => ({
  type: 'record',
  name: 'Booking',
  namespace: 'dev.staysync.engine',
  fields: [{ name: 'bookingId', type: 'string' }, ...extraFields],
});
const withNights = booking([{ name: 'nights', type: 'int', default: 1 }]);
/** A new field without a default: a reader on it cannot read records written before. */
const withRequiredGuest = booking([{ name: 'guest', type: 'string' }]);

function idOf(answer: RegistryAnswer): number {
  expect(answer.status).toBe(200);
  expect(answer.body.id).toEqual(expect.any(Number));
  return answer.body.id as number;
}

describe('the local schema registry (Confluent API)', () => {
  it('registers an Avro schema and returns it by the id it answered', async () => {
    const id = idOf(await register(subjectOf('fetch'), booking()));

    const fetched = await call('GET', `/schemas/ids/${id}`);

    expect(fetched.status).toBe(200);
    expect(JSON.parse(fetched.body.schema as string)).toEqual(booking());
  });

  it('gives one schema the same id under every subject, as Confluent does', async () => {
    const schema = booking([{ name: 'shared', type: 'string', default: '' }]);
    const first = idOf(await register(subjectOf('shared-a'), schema));
    const second = idOf(await register(subjectOf('shared-b'), schema));

    expect(second).toBe(first);
  });

  it('serves back by id a schema that references a named type it defines (Debezium envelopes do)', async () => {
    const subject = subjectOf('named-ref');
    const envelope = {
      type: 'record',
      name: 'Envelope',
      namespace: 'dev.staysync.engine',
      fields: [
        {
          name: 'before',
          type: ['null', { type: 'record', name: 'Value', fields: [{ name: 'id', type: 'int' }] }],
          default: null,
        },
        { name: 'after', type: ['null', 'Value'], default: null },
      ],
    };
    const id = idOf(await register(subject, envelope));

    const fetched = await call('GET', `/schemas/ids/${id}`);

    expect(fetched.status).toBe(200);
    expect(JSON.parse((fetched.body as { schema: string }).schema)).toMatchObject({
      name: 'Envelope',
      fields: [{ name: 'before' }, { name: 'after', type: ['null', 'Value'] }],
    });
  });

  it('registers a schema evolved with a defaulted field as a new version with a new id', async () => {
    const subject = subjectOf('evolve');
    const set = await call('PUT', `/config/${subject}`, { compatibility: 'BACKWARD' });
    expect(set).toEqual({ status: 200, body: { compatibility: 'BACKWARD' } });
    const first = idOf(await register(subject, booking()));

    const second = idOf(await register(subject, withNights));

    expect(second).not.toBe(first);
    expect((await call('GET', `/subjects/${subject}/versions/latest`)).body).toMatchObject({
      id: second,
      version: 2,
    });
  });

  it('refuses a BACKWARD-incompatible schema with 409 and keeps the subject as it was', async () => {
    const subject = subjectOf('refuse');
    await call('PUT', `/config/${subject}`, { compatibility: 'BACKWARD' });
    const first = idOf(await register(subject, booking()));

    const refused = await register(subject, withRequiredGuest);

    expect(refused.status).toBe(409);
    expect((await call('GET', `/subjects/${subject}/versions/latest`)).body).toMatchObject({
      id: first,
      version: 1,
    });
  });

  it('holds a subject without a setting of its own to BACKWARD, Confluent’s default', async () => {
    const subject = subjectOf('default');
    idOf(await register(subject, booking()));

    const refused = await register(subject, withRequiredGuest);

    expect(refused.status).toBe(409);
  });

  it('answers an unknown schema id with 404 and Confluent’s error code 40403', async () => {
    const unknown = await call('GET', '/schemas/ids/2147483000');

    expect(unknown.status).toBe(404);
    expect(unknown.body.error_code).toBe(40403);
  });
});
