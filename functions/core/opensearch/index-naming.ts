/**
 * Index, alias and template names of one entity (DESIGN §4, issue 5).
 *
 * - physical index `<prefix>-<entity>-v<N>`: versioned so a rebuild can fill `-v<N+1>` and
 *   swap the aliases atomically;
 * - write alias `<prefix>-<entity>-write` (`is_write_index`): the sink only ever writes
 *   through it (bulk `require_alias=true`), so a missing alias fails the item instead of
 *   auto-creating a concrete index named like the alias;
 * - read alias `<prefix>-<entity>`: filtered on `_deleted`, what applications search;
 * - index template `<prefix>-<entity>` matching `<prefix>-<entity>-v*`.
 */

/** Index names are at most 255 bytes; leave room for `-v<N>` and `-write`. */
const MAX_INDEX_NAME_BYTES = 255;
const MAX_SUFFIX_BYTES = '-write'.length + '-v'.length + 10;

/**
 * Entity names become part of index names: lowercase letters, digits, `_` and `.`, starting
 * with a letter or digit. Anything else (uppercase, `*`, `,`, spaces…) is poison rather than
 * silently rewritten, so two entities can never share an index. `-` is excluded although
 * the core accepts it: it separates the name parts, and entity `a-write` would otherwise
 * read through the write alias of entity `a`, `a-v1` through its physical index, and the
 * template patterns `p-a-v*` / `p-a-v1-v*` would overlap (OpenSearch refuses that).
 */
const ENTITY_PATTERN = /^[a-z0-9][a-z0-9_.]*$/;

/** Prefixes follow the same rules (they are chosen by infra, not by the data). */
const PREFIX_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

export interface EntityIndexNames {
  readonly entity: string;
  /** `<prefix>-<entity>-v<N>` */
  readonly physicalIndex: string;
  /** `<prefix>-<entity>-write` */
  readonly writeAlias: string;
  /** `<prefix>-<entity>`: filtered, never returns tombstones */
  readonly readAlias: string;
  /** `<prefix>-<entity>` (template namespace is separate from index names) */
  readonly template: string;
  /** `<prefix>-<entity>-v*` */
  readonly indexPattern: string;
}

/** Why an entity name cannot name an index, or null when it can. */
export function invalidEntityReason(prefix: string, entity: string): string | null {
  if (!ENTITY_PATTERN.test(entity)) {
    return `entity ${JSON.stringify(entity)} cannot name an OpenSearch index: use lowercase letters, digits, "_" and ".", starting with a letter or digit`;
  }
  if (Buffer.byteLength(`${prefix}-${entity}`) + MAX_SUFFIX_BYTES > MAX_INDEX_NAME_BYTES) {
    return `entity ${JSON.stringify(entity)} makes index names longer than ${MAX_INDEX_NAME_BYTES} bytes`;
  }
  return null;
}

/** Why an index prefix is unusable, or null when it is fine. */
export function invalidPrefixReason(prefix: string): string | null {
  if (!PREFIX_PATTERN.test(prefix)) {
    return `index prefix ${JSON.stringify(prefix)} must use lowercase letters, digits, "_" and "-", starting with a letter or digit`;
  }
  if (Buffer.byteLength(prefix) > 100)
    return `index prefix ${JSON.stringify(prefix)} is longer than 100 bytes`;
  return null;
}

export function entityIndexNames(
  prefix: string,
  entity: string,
  indexVersion: number,
): EntityIndexNames {
  const base = `${prefix}-${entity}`;
  return {
    entity,
    physicalIndex: `${base}-v${indexVersion}`,
    writeAlias: `${base}-write`,
    readAlias: base,
    template: base,
    indexPattern: `${base}-v*`,
  };
}

/**
 * Names a rebuild writes through (local/rebuild): the same physical index and template as
 * {@link entityIndexNames}, but staging aliases no application or live sink uses —
 * `<prefix>-<entity>-rebuild` (write) and `<prefix>-<entity>-rebuild-read` (filtered, to
 * look at the new version before the swap). Neither ends in `-write`, so tools that list
 * the live write aliases (`<prefix>-*-write`) never mistake them for an entity. Entity
 * names hold no `-`, so no entity's aliases can be these.
 */
export function rebuildIndexNames(
  prefix: string,
  entity: string,
  indexVersion: number,
): EntityIndexNames {
  const live = entityIndexNames(prefix, entity, indexVersion);
  return {
    ...live,
    writeAlias: `${live.readAlias}-${REBUILD_ALIAS_SUFFIX}`,
    readAlias: `${live.readAlias}-${REBUILD_ALIAS_SUFFIX}-read`,
  };
}

/** Suffix of a rebuild's write alias (`<prefix>-<entity>-rebuild`). */
export const REBUILD_ALIAS_SUFFIX = 'rebuild';

/** Which aliases a sink writes through: the live ones, or a rebuild's staging ones. */
export type IndexStage = 'live' | 'rebuild';

/** OpenSearch limits `_id` to 512 bytes. */
export const MAX_DOCUMENT_ID_BYTES = 512;

/** Why an entity key cannot be a document id, or null when it can. */
export function invalidDocumentIdReason(key: string): string | null {
  if (key.length === 0) return 'entity key is empty: it cannot be a document id';
  const bytes = Buffer.byteLength(key);
  if (bytes > MAX_DOCUMENT_ID_BYTES) {
    return `entity key is ${bytes} bytes: OpenSearch document ids are limited to ${MAX_DOCUMENT_ID_BYTES}`;
  }
  return null;
}
