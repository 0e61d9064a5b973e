import { type Change, type ChangeOp, effectiveVersion } from '../../../functions/core/change.js';

export interface ChangeSpec {
  readonly key: string;
  readonly offset: number;
  readonly entity?: string;
  readonly op?: ChangeOp;
  /** source version; null makes a source-versioned Kafka tombstone (offset-guarded) */
  readonly version: number | null;
  readonly data?: Record<string, unknown>;
  readonly id?: string;
  readonly topic?: string;
  readonly partition?: number;
}

/** A decoded change as the engine hands it to a sink. */
export function change(spec: ChangeSpec): Change {
  const topic = spec.topic ?? 'changes';
  const partition = spec.partition ?? 0;
  const coords = { topic, partition, offset: spec.offset };
  const tombstone = spec.version === null;
  const op = tombstone ? 'delete' : (spec.op ?? 'upsert');
  const eventId =
    spec.id ??
    (tombstone ? `${topic}-${partition}@${spec.offset}` : `evt-${spec.key}-${spec.version}`);
  return {
    eventId,
    entity: spec.entity ?? 'customer',
    key: spec.key,
    op,
    guard: tombstone
      ? { kind: 'offset' }
      : { kind: 'version', ev: effectiveVersion(spec.version as number) },
    sourceVersion: spec.version,
    ts: '2026-11-26T10:00:00Z',
    ...(op === 'delete' ? {} : { data: spec.data ?? { name: `${spec.key} v${spec.version}` } }),
    coords,
    tombstone,
  };
}
