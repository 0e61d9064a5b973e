/**
 * The reference model of docs/core.md: what every store must hold after a Kafka log has
 * been applied, written from the spec alone. It imports nothing from `functions/` but
 * types, so a bug in the engine's decoder, planner or fold cannot hide in the oracle that
 * checks it (the unit properties, the sinks' properties and the integration checks all
 * compare against this file).
 *
 * Scope: native envelopes and Kafka tombstones keyed `<entity>:<id>` (Debezium events are
 * checked against fixtures elsewhere); source-versioned and log-ordered topics; versions
 * (`ev = 2v`), tombstones and their offset guard (`stored.ev + 1`), patches (shallow merge
 * over live data), deletes kept as tombstones; delta aggregates (a sum per key over
 * distinct event ids); poison with its reason.
 *
 * Deliberately naive: a whole log in, one state per key out, no batching, no planning.
 */
import type { Change } from '../../functions/core/change.js';
import type { MskEventRecord } from '../../functions/core/msk-event.js';
import type { ViewState } from '../../functions/core/view-state.js';

export type Versioning = 'source' | 'log';

/** A record the model rejects, with the reason docs/core.md §4 gives for it. */
export interface ModelPoison {
  readonly poison: string;
}

const MAX_VERSION = 2 ** 52 - 1; // docs/core.md §3: 2v+1 must stay a safe integer
const MAX_KEY_BYTES = 4096;
const MAX_VALUE_BYTES = 1024 * 1024;
const ENTITY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const B64 = /^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Bytes of a base64 field (RFC 4648 alphabet and padding only), null when absent. */
function bytesOf(text: unknown, max: number): Buffer | null | ModelPoison {
  if (text === null || text === undefined) return null;
  if (typeof text !== 'string' || !B64.test(text)) return { poison: 'invalid-base64' };
  const bytes = Buffer.from(text, 'base64');
  return bytes.length > max ? { poison: 'too-large' } : bytes;
}

function textOf(bytes: Buffer): string | ModelPoison {
  try {
    // fatal: invalid sequences are poison, never U+FFFD; a leading BOM is dropped
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { poison: 'invalid-utf8' };
  }
}

const isPoison = (v: unknown): v is ModelPoison =>
  typeof v === 'object' && v !== null && 'poison' in v && !Buffer.isBuffer(v);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function headersValid(headers: unknown): boolean {
  if (headers === undefined || headers === null) return true;
  if (!Array.isArray(headers)) return false;
  return headers.every(
    (h) =>
      isObject(h) &&
      Object.values(h).every(
        (bytes) =>
          Array.isArray(bytes) &&
          bytes.every((b) => Number.isInteger(b) && (b as number) >= -128 && b <= 255),
      ),
  );
}

/** Nesting depth of objects and arrays (1 for a flat object). */
function depthOf(value: unknown): number {
  let depth = 0;
  let level: unknown[] = [value];
  while (level.length > 0) {
    depth++;
    level = level.flatMap((v) =>
      Object.values(v as object).filter((c) => typeof c === 'object' && c !== null),
    );
  }
  return depth;
}

/** One record as the spec reads it: a change, or poison with its reason. */
export function modelDecode(raw: MskEventRecord, versioning: Versioning): Change | ModelPoison {
  const coords = { topic: raw.topic, partition: raw.partition, offset: raw.offset };
  if (!Number.isSafeInteger(raw.timestamp)) return { poison: 'invalid-timestamp' };
  const keyBytes = bytesOf(raw.key, MAX_KEY_BYTES);
  if (isPoison(keyBytes)) return keyBytes;
  const valueBytes = bytesOf(raw.value, MAX_VALUE_BYTES);
  if (isPoison(valueBytes)) return valueBytes;
  if (!headersValid(raw.headers)) return { poison: 'invalid-header' };
  const kafkaKey = keyBytes === null ? null : textOf(keyBytes);
  if (isPoison(kafkaKey)) return kafkaKey;

  if (valueBytes === null) {
    // a Kafka tombstone: `<entity>:<id>` names what to delete
    if (kafkaKey === null) return { poison: 'missing-kafka-key' };
    const colon = kafkaKey.indexOf(':');
    const entity = kafkaKey.slice(0, Math.max(0, colon));
    const key = kafkaKey.slice(colon + 1);
    if (!ENTITY.test(entity) || key.length === 0 || key.length > 1024)
      return { poison: 'invalid-field' };
    const log = versioning === 'log';
    return {
      eventId: `${raw.topic}-${raw.partition}@${raw.offset}`,
      entity,
      key,
      op: 'delete',
      guard: log ? { kind: 'version', ev: 2 * raw.offset } : { kind: 'offset' },
      sourceVersion: log ? raw.offset : null,
      ts: new Date(raw.timestamp).toISOString(),
      coords,
      tombstone: true,
    };
  }

  const text = textOf(valueBytes);
  if (isPoison(text)) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { poison: 'invalid-json' };
  }
  if (isObject(value) && 'schema' in value && 'payload' in value) value = value.payload;
  if (!isObject(value)) return { poison: 'not-an-object' };
  if (depthOf(value) > 64) return { poison: 'too-large' }; // docs/core.md §4: nesting limit

  const str = (field: string, max: number): string | ModelPoison => {
    const v = value[field];
    if (v === undefined || v === null) return { poison: 'missing-field' };
    return typeof v === 'string' && v.length > 0 && v.length <= max
      ? v
      : { poison: 'invalid-field' };
  };
  const id = str('id', 512);
  if (isPoison(id)) return id;
  const entity = str('entity', 128);
  if (isPoison(entity)) return entity;
  if (!ENTITY.test(entity)) return { poison: 'invalid-field' };
  const key = str('key', 1024);
  if (isPoison(key)) return key;
  const op = value.op;
  if (op === undefined || op === null) return { poison: 'missing-field' };
  if (op !== 'upsert' && op !== 'patch' && op !== 'delete') return { poison: 'unknown-op' };
  if (kafkaKey === null) return { poison: 'missing-kafka-key' };
  if (kafkaKey !== `${entity}:${key}` && kafkaKey !== key) return { poison: 'key-mismatch' };
  const ts = str('ts', 64);
  if (isPoison(ts)) return ts;
  if (!ISO.test(ts) || Number.isNaN(Date.parse(ts))) return { poison: 'invalid-field' };
  const data = value.data;
  if (op !== 'delete' && (data === undefined || data === null)) return { poison: 'missing-field' };
  if (op !== 'delete' && !isObject(data)) return { poison: 'invalid-field' };

  let sourceVersion = raw.offset;
  if (versioning === 'source') {
    const v = value.version;
    if (v === undefined || v === null) return { poison: 'missing-version' };
    if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > MAX_VERSION) {
      return { poison: 'invalid-version' };
    }
    sourceVersion = v as number;
  }
  const change = {
    eventId: id,
    entity,
    key,
    op,
    guard: { kind: 'version', ev: 2 * sourceVersion },
    sourceVersion,
    ts,
    coords,
    tombstone: false,
  } as const;
  return op === 'delete' ? change : { ...change, data: data as Record<string, unknown> };
}

/** The state one change leaves over `stored` (docs/core.md §3), or `stored` unchanged. */
export function modelStep(stored: ViewState | undefined, c: Change): ViewState | undefined {
  const written = {
    sourceVersion: c.sourceVersion,
    eventId: c.eventId,
    ts: c.ts,
    topic: c.coords.topic,
    partition: c.coords.partition,
    offset: c.coords.offset,
  };
  if (c.guard.kind === 'offset') {
    // deletes only live state written from an earlier offset of the same topic-partition
    const deletable =
      stored !== undefined &&
      !stored.deleted &&
      stored.topic === c.coords.topic &&
      stored.partition === c.coords.partition &&
      stored.offset < c.coords.offset;
    if (!deletable) return stored;
    return { ...written, ev: stored.ev + 1, deleted: true, data: null };
  }
  const ev = c.guard.ev;
  if (stored !== undefined && ev <= stored.ev) return stored; // stale or duplicate
  if (c.op === 'delete') return { ...written, ev, deleted: true, data: null };
  const fields = { ...(c.data ?? {}) };
  if (c.op === 'upsert') return { ...written, ev, deleted: false, data: fields };
  const live = stored === undefined || stored.deleted ? {} : (stored.data ?? {});
  // the patch's fields win over the stored ones
  return { ...written, ev, deleted: false, data: { ...live, ...fields } };
}

/** Every key's state after its changes, taken in the order given (log order per key). */
export function modelFold(changes: Iterable<Change>): Map<string, ViewState> {
  const states = new Map<string, ViewState>();
  for (const c of changes) {
    const k = `${c.entity}#${c.key}`;
    const next = modelStep(states.get(k), c);
    if (next !== undefined) states.set(k, next);
  }
  return states;
}

/** What the model makes of a whole log: the view, and the poison by `partition/offset`. */
export interface ModelOutcome {
  readonly view: Map<string, ViewState>;
  readonly poison: Map<string, string>;
  /** the valid changes, in the order given */
  readonly changes: Change[];
}

/** Applies a log (each partition in offset order; partitions in any order). */
export function modelRun(records: Iterable<MskEventRecord>, versioning: Versioning): ModelOutcome {
  const poison = new Map<string, string>();
  const changes: Change[] = [];
  for (const raw of records) {
    const decoded = modelDecode(raw, versioning);
    if (isPoison(decoded)) poison.set(`${raw.partition}/${raw.offset}`, decoded.poison);
    else changes.push(decoded);
  }
  return { view: modelFold(changes), poison, changes };
}

/** Delta aggregates: `field` summed per `<entity>#<key>`, once per distinct event id. */
export function modelTotals(changes: Iterable<Change>, field: string): Map<string, number> {
  const seen = new Set<string>();
  const totals = new Map<string, number>();
  for (const c of changes) {
    if (seen.has(c.eventId)) continue;
    seen.add(c.eventId);
    const amount = c.data?.[field];
    const k = `${c.entity}#${c.key}`;
    totals.set(k, (totals.get(k) ?? 0) + (typeof amount === 'number' ? amount : 0));
  }
  return totals;
}
