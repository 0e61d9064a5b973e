/**
 * Where an OpenSearch rebuild stands, from the aliases alone (pure), so a rerun after a
 * kill -9 resumes where the last one stopped:
 * - `fresh`: no `<prefix>-<entity>-rebuild` alias: build version N+1 (N the highest
 *   `-v<N>` index of the prefix);
 * - `building`: rebuild aliases exist on `-v<N+1>`, the live aliases elsewhere;
 * - `swapped`: the live aliases already moved to the indexes that still carry the
 *   rebuild alias: only the final catch-up and the clean-up remain.
 */
import {
  entityIndexNames,
  rebuildIndexNames,
} from '../../functions/core/opensearch/index-naming.js';
import { NOT_DELETED_FILTER } from '../../functions/core/opensearch/index-template.js';
import { ToolError } from '../sinks/errors.js';

export interface IndexAliases {
  readonly index: string;
  readonly aliases: readonly string[];
}

export interface VersionedIndex {
  readonly index: string;
  readonly entity: string;
  readonly version: number;
}

export type RebuildPhase = 'fresh' | 'building' | 'swapped';

export interface OpenSearchRebuildPlan {
  readonly prefix: string;
  readonly phase: RebuildPhase;
  /** the version being built */
  readonly version: number;
  /** entity → index behind its live write alias */
  readonly live: ReadonlyMap<string, string>;
  /** entity → index behind its rebuild alias */
  readonly rebuilding: ReadonlyMap<string, string>;
  /** versioned indexes no alias points to (kept old versions: `--drop-old` deletes them) */
  readonly unreferenced: readonly string[];
}

/** `<prefix>-<entity>-v<N>` → entity and N (entities hold no `-`); null otherwise. */
export function parseVersionedIndex(prefix: string, index: string): VersionedIndex | null {
  if (!index.startsWith(`${prefix}-`)) return null;
  const match = /^([a-z0-9][a-z0-9_.]*)-v(\d+)$/.exec(index.slice(prefix.length + 1));
  if (match === null) return null;
  return { index, entity: match[1] as string, version: Number(match[2]) };
}

export function planOpenSearchRebuild(
  prefix: string,
  indices: readonly IndexAliases[],
): OpenSearchRebuildPlan {
  const live = new Map<string, string>();
  const rebuilding = new Map<string, string>();
  const unreferenced: string[] = [];
  const versions = new Set<number>();
  let highest = 0;
  for (const { index, aliases } of indices) {
    const parsed = parseVersionedIndex(prefix, index);
    if (parsed === null) continue;
    highest = Math.max(highest, parsed.version);
    const names = entityIndexNames(prefix, parsed.entity, parsed.version);
    const staging = rebuildIndexNames(prefix, parsed.entity, parsed.version);
    if (aliases.includes(names.writeAlias)) live.set(parsed.entity, index);
    if (aliases.includes(staging.writeAlias)) {
      rebuilding.set(parsed.entity, index);
      versions.add(parsed.version);
    }
    if (aliases.length === 0) unreferenced.push(index);
  }
  if (versions.size > 1) {
    throw new ToolError(
      `rebuild aliases of ${prefix} point to several versions (${[...versions].join(', ')}): fix the aliases by hand`,
    );
  }
  const [building] = versions;
  if (building === undefined) {
    return { prefix, phase: 'fresh', version: highest + 1, live, rebuilding, unreferenced };
  }
  const swapped = [...rebuilding].some(([entity, index]) => live.get(entity) === index);
  return {
    prefix,
    phase: swapped ? 'swapped' : 'building',
    version: building,
    live,
    rebuilding,
    unreferenced: unreferenced.sort(),
  };
}

/**
 * The one `_aliases` request of the swap: for every rebuilt entity, the live write and
 * read aliases leave the old index and join the new one, and the staging read alias goes
 * (the staging write alias stays as the marker of a swap not yet finished). OpenSearch
 * applies the actions atomically: no reader ever sees both versions or neither.
 */
export function swapActions(plan: OpenSearchRebuildPlan): object[] {
  const actions: object[] = [];
  for (const [entity, index] of [...plan.rebuilding].sort()) {
    const names = entityIndexNames(plan.prefix, entity, plan.version);
    const staging = rebuildIndexNames(plan.prefix, entity, plan.version);
    const old = plan.live.get(entity);
    if (old !== undefined && old !== index) {
      actions.push({ remove: { index: old, alias: names.writeAlias } });
      actions.push({ remove: { index: old, alias: names.readAlias } });
    }
    actions.push({ add: { index, alias: names.writeAlias, is_write_index: true } });
    actions.push({ add: { index, alias: names.readAlias, filter: NOT_DELETED_FILTER } });
    actions.push({ remove: { index, alias: staging.readAlias, must_exist: false } });
  }
  return actions;
}

/** After the final catch-up: the staging write aliases go. */
export function finishActions(plan: OpenSearchRebuildPlan): object[] {
  return [...plan.rebuilding].sort().map(([entity, index]) => ({
    remove: { index, alias: rebuildIndexNames(plan.prefix, entity, plan.version).writeAlias },
  }));
}
