import { type Change, effectiveVersion } from '../../../../functions/core/change.js';
import type { BatchEntry, SinkBatch } from '../../../../functions/core/sink.js';

export const TOPIC = 'changes';

export interface ChangeSpec {
  readonly offset: number;
  readonly key?: string;
  readonly entity?: string;
  readonly op?: Change['op'];
  /** omitted with `tombstone` */
  readonly version?: number;
  readonly data?: Record<string, unknown>;
  /** a source-versioned Kafka tombstone (offset guard) */
  readonly tombstone?: boolean;
  readonly eventId?: string;
  readonly partition?: number;
}

export function change(spec: ChangeSpec): Change {
  const coords = { topic: TOPIC, partition: spec.partition ?? 0, offset: spec.offset };
  const entity = spec.entity ?? 'customer';
  const key = spec.key ?? '42';
  if (spec.tombstone === true) {
    return {
      eventId: `${TOPIC}-${coords.partition}@${spec.offset}`,
      entity,
      key,
      op: 'delete',
      guard: { kind: 'offset' },
      sourceVersion: null,
      ts: '2026-11-26T10:00:00Z',
      coords,
      tombstone: true,
    };
  }
  const version = spec.version ?? spec.offset;
  const op = spec.op ?? 'upsert';
  return {
    eventId: spec.eventId ?? `evt-${entity}-${key}-${version}-${op}`,
    entity,
    key,
    op,
    guard: { kind: 'version', ev: effectiveVersion(version) },
    sourceVersion: version,
    ts: '2026-11-26T10:00:00Z',
    ...(op === 'delete' ? {} : { data: spec.data ?? { v: version } }),
    coords,
    tombstone: false,
  };
}

export function entry(c: Change): BatchEntry {
  return {
    record: {
      topic: c.coords.topic,
      partition: c.coords.partition,
      offset: c.coords.offset,
      timestamp: 0,
      timestampType: 'CREATE_TIME',
      key: Buffer.from(`${c.entity}:${c.key}`),
      value: null,
      headers: [],
      raw: {
        topic: c.coords.topic,
        partition: c.coords.partition,
        offset: c.coords.offset,
        timestamp: 0,
        timestampType: 'CREATE_TIME',
      },
    },
    change: c,
  };
}

export function batch(changes: readonly Change[], sink = 'opensearch'): SinkBatch {
  return { sink, topic: TOPIC, partition: 0, checkpoint: null, entries: changes.map(entry) };
}
