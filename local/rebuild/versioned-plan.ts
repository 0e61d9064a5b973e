/**
 * Where a rebuild of a store the sinks name by one variable stands (pure): the DynamoDB
 * view (`VIEW_TABLE`) and the S3 archive (`ARCHIVE_PREFIX`). A new version is the live
 * name with `-v<N+1>` (the live name without a suffix is v1); what the sink and the
 * applications read moves to it with a deploy of that variable. The rebuild's own state
 * is one ledger item per version, `rebuild#<sink>-rebuild-v<N>` (see rebuild-markers.ts):
 * - `fresh`: no unfinished marker: build v<live+1>;
 * - `building`: the marker of v<live+1> is there (building or verified): resume it;
 * - `switched`: the deploy moved the variable to v<N> whose marker is not `done`: final
 *   catch-up, hand the checkpoints over to the live sink, verify, mark it done.
 */
import { ToolError } from '../sinks/errors.js';

export interface VersionedName {
  readonly base: string;
  readonly version: number;
}

/** `orders-view-v3` → { base: 'orders-view', version: 3 }; `orders-view` → version 1. */
export function parseVersionedName(name: string): VersionedName {
  const match = /^(.+)-v(\d+)$/.exec(name);
  return match === null
    ? { base: name, version: 1 }
    : { base: match[1] as string, version: Number(match[2]) };
}

export const versionedName = (base: string, version: number): string =>
  version === 1 ? base : `${base}-v${version}`;

export const MarkerStatuses = ['building', 'verified', 'done'] as const;
export type MarkerStatus = (typeof MarkerStatuses)[number];

export interface RebuildMarker {
  readonly target: string;
  readonly status: MarkerStatus;
}

export type VersionedPhase = 'fresh' | 'building' | 'switched';

export interface VersionedRebuildPlan {
  readonly phase: VersionedPhase;
  readonly version: number;
  /** the store name being built (or, once switched, the live one) */
  readonly target: string;
  readonly live: string;
  /** the rebuild's ledger namespace (its sink name): its checkpoints and event markers */
  readonly namespace: string;
}

/** The ledger namespace of version `version`'s rebuild. */
export const rebuildNamespace = (sink: string, version: number): string =>
  `${sink}-rebuild-v${version}`;

/**
 * @param markers the markers of v<live> and v<live+1>, by version (absent: none)
 */
export function planVersionedRebuild(
  sink: string,
  live: string,
  markers: ReadonlyMap<number, RebuildMarker>,
): VersionedRebuildPlan {
  const { base, version } = parseVersionedName(live);
  const next = markers.get(version + 1);
  if (next !== undefined && next.status === 'done') {
    throw new ToolError(
      `v${version + 1} (${next.target}) was rebuilt and switched to, but the live name is still ${live}: deploy it, or fix the marker by hand`,
    );
  }
  if (next !== undefined) {
    return plan('building', version + 1, next.target);
  }
  const current = markers.get(version);
  if (current !== undefined && current.status !== 'done') {
    if (current.target !== live) {
      throw new ToolError(`the rebuild marker of v${version} names ${current.target}, not ${live}`);
    }
    return plan('switched', version, live);
  }
  return plan('fresh', version + 1, versionedName(base, version + 1));

  function plan(phase: VersionedPhase, v: number, target: string): VersionedRebuildPlan {
    return { phase, version: v, target, live, namespace: rebuildNamespace(sink, v) };
  }
}

/** The names older than the live one (`--drop-old` candidates): v1 … v<live-1>. */
export function olderNames(live: string): string[] {
  const { base, version } = parseVersionedName(live);
  return Array.from({ length: version - 1 }, (_, i) => versionedName(base, i + 1));
}
