import type { EntityIndexNames } from './index-naming.js';

export interface IndexLayoutOptions {
  readonly numberOfShards: number;
  /** undefined: the cluster default */
  readonly numberOfReplicas?: number | undefined;
  /** extra index settings merged last, e.g. `{ "index.gc_deletes": "0s", "index.refresh_interval": "5s" }` */
  readonly extraSettings?: Readonly<Record<string, unknown>>;
}

/** Template priority: above the default 0 so a catch-all template cannot shadow ours. */
export const TEMPLATE_PRIORITY = 200;

/**
 * Query clause the read alias filters with. `must_not _deleted:true` (rather than
 * `term _deleted:false`) keeps a document readable even if it somehow lacks the field.
 */
export const NOT_DELETED_FILTER = {
  bool: { must_not: [{ term: { _deleted: true } }] },
} as const;

/**
 * Mappings: the bookkeeping fields are typed and the root is `strict`; the entity's data
 * under `data` maps dynamically (a value whose type conflicts with the established mapping
 * is a per-document `mapper_parsing_exception`, i.e. poison).
 */
export const ENTITY_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    data: { type: 'object', dynamic: true },
    _deleted: { type: 'boolean' },
    _v: { type: 'long' },
    _sv: { type: 'long' },
    _eid: { type: 'keyword' },
    // a malformed source timestamp must not make the whole change poison
    _ts: { type: 'date', ignore_malformed: true },
    _topic: { type: 'keyword' },
    _partition: { type: 'integer' },
    _offset: { type: 'long' },
  },
} as const;

export function indexSettings(options: IndexLayoutOptions): Record<string, unknown> {
  return {
    'index.number_of_shards': options.numberOfShards,
    ...(options.numberOfReplicas === undefined
      ? {}
      : { 'index.number_of_replicas': options.numberOfReplicas }),
    ...options.extraSettings,
  };
}

/** Body of `PUT _index_template/<names.template>`. */
export function indexTemplateBody(names: EntityIndexNames, options: IndexLayoutOptions) {
  return {
    index_patterns: [names.indexPattern],
    priority: TEMPLATE_PRIORITY,
    template: { settings: indexSettings(options), mappings: ENTITY_MAPPINGS },
    _meta: { managed_by: 'staysync', entity: names.entity },
  };
}

/**
 * Body of `PUT <names.physicalIndex>`: the aliases are created with the index, atomically,
 * so no reader or writer ever sees the index without them. Settings and mappings repeat
 * the template's, so the index is right even if another template of higher priority
 * happens to match the name.
 */
export function createIndexBody(names: EntityIndexNames, options: IndexLayoutOptions) {
  return {
    settings: indexSettings(options),
    mappings: ENTITY_MAPPINGS,
    aliases: {
      [names.writeAlias]: { is_write_index: true },
      [names.readAlias]: { filter: NOT_DELETED_FILTER },
    },
  };
}
