import { ENTITY_PATTERN } from '../contract/pipeline.js';
import { ConfigError } from '../core/errors.js';

/**
 * What one relay consumes and how (the relay function's `STAYSYNC_RELAY_SOURCE`, a JSON
 * object written by infra; docs/relay-dynamodb-streams.md):
 *
 * - `cdc`: the table itself is the system of record. INSERT/MODIFY → upsert of the new
 *   image, REMOVE → delete; entity from config, key from `keyAttributes`, version from the
 *   numeric `versionAttribute` the application maintains.
 * - `outbox`: the application writes its change and an outbox item (an attribute holding
 *   a native envelope) in one `TransactWriteItems`; the relay publishes that envelope as
 *   written. Items without the attribute, and outbox items' TTL removals, are ignored.
 */
export type RelaySource = CdcSource | OutboxSource;

export interface CdcSource {
  readonly mode: 'cdc';
  /** the source table's name (part of every event id) */
  readonly table: string;
  readonly topic: string;
  readonly entity: string;
  /** the attributes that make an item's key, e.g. `['pk']` or `['tenant', 'sku']` */
  readonly keyAttributes: readonly string[];
  /** a numeric attribute the application increases on every write of an item */
  readonly versionAttribute: string;
  /** what a TTL expiry (a REMOVE made by DynamoDB itself) becomes: `delete` or `ignore` */
  readonly ttlDeletes: 'delete' | 'ignore';
}

export interface OutboxSource {
  readonly mode: 'outbox';
  readonly table: string;
  readonly topic: string;
  /** the attribute of an outbox item that holds the envelope (JSON text or a map) */
  readonly envelopeAttribute: string;
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** Parses and validates a source; throws one ConfigError listing every problem. */
export function parseRelaySource(json: string | undefined, variable: string): RelaySource {
  if (json === undefined || json.trim() === '') {
    throw new ConfigError(`staysync: ${variable} is required (the relay's source, as JSON)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ConfigError(`staysync: ${variable} is not JSON: ${(error as Error).message}`);
  }
  const problems: string[] = [];
  const source = readSource(raw, problems);
  if (problems.length > 0 || source === undefined) {
    throw new ConfigError(`staysync: ${variable} is invalid:\n- ${problems.join('\n- ')}`);
  }
  return Object.freeze(source);
}

function readSource(raw: unknown, problems: string[]): RelaySource | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push('must be a JSON object');
    return undefined;
  }
  const o = raw as Record<string, unknown>;
  const table = str(o, 'table', TABLE_NAME, problems);
  const topic = str(o, 'topic', TOPIC_NAME, problems);
  if (o.mode === 'outbox') {
    const envelopeAttribute = o.envelopeAttribute ?? 'envelope';
    if (typeof envelopeAttribute !== 'string' || envelopeAttribute === '') {
      problems.push('envelopeAttribute must be a non-empty string');
    }
    return { mode: 'outbox', table, topic, envelopeAttribute: String(envelopeAttribute) };
  }
  if (o.mode !== 'cdc') {
    problems.push(`mode must be "cdc" or "outbox", got ${JSON.stringify(o.mode)}`);
    return undefined;
  }
  const entity = str(o, 'entity', ENTITY_PATTERN, problems);
  const keyAttributes = o.keyAttributes;
  if (
    !Array.isArray(keyAttributes) ||
    keyAttributes.length === 0 ||
    !keyAttributes.every((a) => typeof a === 'string' && a !== '') ||
    new Set(keyAttributes).size !== keyAttributes.length
  ) {
    problems.push('keyAttributes must be a non-empty list of distinct attribute names');
  }
  const versionAttribute = str(o, 'versionAttribute', /^.+$/, problems);
  const ttlDeletes = o.ttlDeletes ?? 'delete';
  if (ttlDeletes !== 'delete' && ttlDeletes !== 'ignore') {
    problems.push(`ttlDeletes must be "delete" or "ignore", got ${JSON.stringify(ttlDeletes)}`);
  }
  return {
    mode: 'cdc',
    table,
    topic,
    entity,
    keyAttributes: Array.isArray(keyAttributes) ? keyAttributes.map(String) : [],
    versionAttribute,
    ttlDeletes: ttlDeletes === 'ignore' ? 'ignore' : 'delete',
  };
}

function str(o: Record<string, unknown>, field: string, pattern: RegExp, problems: string[]) {
  const value = o[field];
  if (typeof value !== 'string' || !pattern.test(value)) {
    problems.push(`${field} must match ${pattern}, got ${JSON.stringify(value)}`);
    return '';
  }
  return value;
}
