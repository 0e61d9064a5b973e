import { PoisonError } from '../errors.js';
import type { KafkaRecord } from '../record.js';

/** What a `claims` record asks for (docs/claims.md). */
export const ClaimTypes = ['claim', 'release'] as const;
export type ClaimType = (typeof ClaimTypes)[number];

/**
 * One request on the `claims` topic, keyed `<namespace>:<value>` so that every request
 * that can conflict over one value lands on one partition and is decided in log order.
 */
export interface ClaimRequest {
  readonly type: ClaimType;
  /** chosen by the client (a UUID); a retry reuses it, so it is decided once */
  readonly requestId: string;
  readonly namespace: string;
  readonly value: string;
  readonly owner: string;
  readonly requestedAt: string;
}

/** The Kafka key of a request: `<namespace>:<value>` (namespaces hold no `:`). */
export const claimKey = (namespace: string, value: string): string => `${namespace}:${value}`;

const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_FIELD = 512;

/**
 * Parses and validates one record of the `claims` topic. Throws PoisonError (never
 * retried: the record can never become valid) for bad JSON, a missing or malformed field,
 * or a Kafka key that is not the request's `<namespace>:<value>`.
 */
export function parseClaimRequest(record: KafkaRecord): ClaimRequest {
  const coords = { topic: record.topic, partition: record.partition, offset: record.offset };
  const poison = (reason: string, message: string, field?: string) =>
    new PoisonError(reason, `claims: ${message}`, {
      context: field === undefined ? coords : { ...coords, field },
    });
  if (record.value === null) throw poison('missing-value', 'a claim request has no value');
  let body: unknown;
  try {
    body = JSON.parse(record.value.toString('utf8'));
  } catch (cause) {
    throw new PoisonError('invalid-json', 'claims: the value is not JSON', {
      context: coords,
      cause,
    });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw poison('not-an-object', 'the value is not a JSON object');
  }
  const o = body as Record<string, unknown>;
  const text = (field: keyof ClaimRequest): string => {
    const v = o[field];
    if (typeof v !== 'string' || v === '' || v.length > MAX_FIELD) {
      throw poison('missing-field', `${field} must be a non-empty string`, field);
    }
    return v;
  };
  const type = text('type');
  if (!(ClaimTypes as readonly string[]).includes(type)) {
    throw poison('invalid-field', `type must be one of ${ClaimTypes.join(', ')}`, 'type');
  }
  const request: ClaimRequest = {
    type: type as ClaimType,
    requestId: text('requestId'),
    namespace: text('namespace'),
    value: text('value'),
    owner: text('owner'),
    requestedAt: text('requestedAt'),
  };
  if (!NAMESPACE.test(request.namespace)) {
    throw poison('invalid-field', `namespace must match ${NAMESPACE}`, 'namespace');
  }
  const key = record.key?.toString('utf8');
  if (key !== claimKey(request.namespace, request.value)) {
    // Routed by another key, it may sit on another partition than its rivals: deciding it
    // would break first-come-first-served.
    throw poison(
      'key-mismatch',
      `the Kafka key ${JSON.stringify(key)} is not ${JSON.stringify(claimKey(request.namespace, request.value))}`,
    );
  }
  return request;
}
