import { ConfigError } from '../core/errors.js';
import { EnvVar } from './env.js';

/** `STAYSYNC_PIPELINE`, for messages. */
const PIPELINE_ENV = EnvVar.pipeline;

/**
 * How a topic's records are versioned (DESIGN §3.1):
 * - `source`: envelopes carry `version` (the default: env vars alone are enough);
 * - `log`: the Kafka offset is the version of every record (keys never move partitions).
 */
export const Versionings = ['source', 'log'] as const;
export type Versioning = (typeof Versionings)[number];

/**
 * How a topic's values are parsed (docs/core.md "Envelope formats"):
 * - `auto` (default): Debezium when the (unwrapped) value has a `source` object and an
 *   `op` string and no `entity`; the native envelope otherwise;
 * - `native` / `debezium`: force one parser (a mismatching record is poison).
 */
export const EnvelopeFormats = ['auto', 'native', 'debezium'] as const;
export type EnvelopeFormat = (typeof EnvelopeFormats)[number];

export interface TopicSettings {
  readonly versioning: Versioning;
  /** @default 'auto' */
  readonly format?: EnvelopeFormat;
  /**
   * Entity of every record of the topic. Needed for Kafka tombstones whose key carries no
   * entity (a bare id, a Debezium key struct) and for Debezium topics renamed by routing.
   * @default native: the Kafka key's `<entity>:` prefix; Debezium: `source.table`, or for
   * tombstones the last `.`-separated segment of the topic name (Debezium's default naming)
   */
  readonly entity?: string;
}

/** Per-topic settings infra passes to every function as JSON in `STAYSYNC_PIPELINE`. */
export interface PipelineConfig {
  readonly topics: Readonly<Record<string, TopicSettings>>;
}

/**
 * A declarative aggregate as JSON in `STAYSYNC_PIPELINE.aggregates` (docs/sink-dynamodb.md);
 * the DynamoDB sink validates it in full (`defineAggregates`, core/dynamodb/aggregates.ts).
 */
export interface AggregateSpecJson {
  readonly name: string;
  readonly entity: string;
  /** @default ['upsert'] */
  readonly ops?: readonly ('upsert' | 'patch' | 'delete')[];
  readonly groupBy: string | readonly string[];
  readonly measures: Readonly<Record<string, { readonly count: true } | { readonly sum: string }>>;
}

/**
 * A declarative projection as JSON in `STAYSYNC_PIPELINE.projections`: what the DynamoDB
 * view stores for one entity, field by field (so it works on patches too), applied in
 * this order: `pick` (keep only these fields), `omit` (drop these), `rename` (from → to).
 * The DynamoDB sink validates it in full (`projectionFromSpec`,
 * core/dynamodb/projection.ts: e.g. no target the view item layout reserves, like `pk`).
 */
export interface ProjectionSpecJson {
  readonly entity: string;
  readonly pick?: readonly string[];
  readonly omit?: readonly string[];
  readonly rename?: Readonly<Record<string, string>>;
}

/**
 * What `STAYSYNC_PIPELINE` holds: infra writes it (`infra/config/validate.ts`
 * `pipelineJson`), the functions read it ({@link parsePipelineConfig}, and the DynamoDB
 * sink {@link parsePipelineAggregates}). Unset topic settings take their defaults.
 */
export interface PipelineJson {
  readonly topics: Readonly<
    Record<
      string,
      {
        readonly versioning?: Versioning;
        readonly format?: EnvelopeFormat;
        readonly entity?: string;
      }
    >
  >;
  readonly aggregates?: readonly AggregateSpecJson[];
  readonly projections?: readonly ProjectionSpecJson[];
}

export function parsePipelineConfig(json: string | undefined): PipelineConfig {
  if (json === undefined || json.trim() === '') return Object.freeze({ topics: {} });
  const parsed = parsePipelineJson(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`staysync: ${PIPELINE_ENV} must be a JSON object with a "topics" map`);
  }
  const topicsIn = (parsed as { topics?: unknown }).topics ?? {};
  if (typeof topicsIn !== 'object' || topicsIn === null || Array.isArray(topicsIn)) {
    throw new ConfigError(`staysync: ${PIPELINE_ENV}.topics must be an object keyed by topic name`);
  }
  const topics: Record<string, TopicSettings> = {};
  for (const [topic, settings] of Object.entries(topicsIn)) {
    const versioning = (settings as { versioning?: unknown } | null)?.versioning ?? 'source';
    if (!Versionings.includes(versioning as Versioning)) {
      throw new ConfigError(
        `staysync: ${PIPELINE_ENV}.topics.${topic}.versioning must be one of ${Versionings.join(', ')}, got ${JSON.stringify(versioning)}`,
      );
    }
    const format = (settings as { format?: unknown } | null)?.format ?? 'auto';
    if (!EnvelopeFormats.includes(format as EnvelopeFormat)) {
      throw new ConfigError(
        `staysync: ${PIPELINE_ENV}.topics.${topic}.format must be one of ${EnvelopeFormats.join(', ')}, got ${JSON.stringify(format)}`,
      );
    }
    const entity = (settings as { entity?: unknown } | null)?.entity;
    if (entity !== undefined && (typeof entity !== 'string' || !ENTITY_PATTERN.test(entity))) {
      throw new ConfigError(
        `staysync: ${PIPELINE_ENV}.topics.${topic}.entity must match ${ENTITY_PATTERN}, got ${JSON.stringify(entity)}`,
      );
    }
    topics[topic] = Object.freeze({
      versioning: versioning as Versioning,
      format: format as EnvelopeFormat,
      ...(entity === undefined ? {} : { entity }),
    });
  }
  return Object.freeze({ topics: Object.freeze(topics) });
}

/** Settings of a topic, defaults filled in (source-versioned, auto-detected format). */
export const topicSettings = (config: PipelineConfig, topic: string): TopicSettings =>
  config.topics[topic] ?? DEFAULT_TOPIC_SETTINGS;

const DEFAULT_TOPIC_SETTINGS: TopicSettings = Object.freeze({
  versioning: 'source',
  format: 'auto',
});

/**
 * Entity names pick table prefixes and index aliases and are joined with `#` into item
 * keys: letters, digits, `_`, `-`, `.`, starting with a letter or digit, at most 128.
 */
export const ENTITY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The declarative aggregates of the `STAYSYNC_PIPELINE` JSON (its optional `aggregates`
 * array; the topics are {@link parsePipelineConfig}'s), checked for shape only. Throws
 * ConfigError when the JSON or the array is malformed.
 */
export function parsePipelineAggregates(json: string | undefined): readonly AggregateSpecJson[] {
  const list = pipelineList(json, 'aggregates');
  for (const spec of list) {
    const groupBy = (spec as { groupBy?: unknown } | null)?.groupBy;
    if (typeof groupBy === 'function' || (typeof groupBy !== 'string' && !Array.isArray(groupBy))) {
      throw new ConfigError(
        `staysync: ${PIPELINE_ENV}.aggregates[].groupBy must be a field name or an array of them`,
      );
    }
  }
  return list as AggregateSpecJson[];
}

/**
 * The declarative projections of the `STAYSYNC_PIPELINE` JSON (its optional `projections`
 * array), checked for shape: an entity name, lists of non-empty field names, a rename map
 * of non-empty names. Throws ConfigError naming the entry at fault.
 */
export function parsePipelineProjections(json: string | undefined): readonly ProjectionSpecJson[] {
  return pipelineList(json, 'projections').map((spec, i) =>
    checkProjectionShape(spec, `${PIPELINE_ENV}.projections[${i}]`),
  );
}

function checkProjectionShape(spec: unknown, at: string): ProjectionSpecJson {
  const o = spec as Record<string, unknown> | null;
  const fail = (what: string): never => {
    throw new ConfigError(`staysync: ${at}${what}`);
  };
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return fail(' must be an object');
  if (typeof o.entity !== 'string' || !ENTITY_PATTERN.test(o.entity)) {
    fail(`.entity must match ${ENTITY_PATTERN}, got ${JSON.stringify(o.entity)}`);
  }
  for (const field of ['pick', 'omit'] as const) {
    const names = o[field];
    if (
      names !== undefined &&
      (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && n !== ''))
    ) {
      fail(`.${field} must be a list of field names`);
    }
  }
  const rename = o.rename;
  if (rename !== undefined) {
    if (typeof rename !== 'object' || rename === null || Array.isArray(rename)) {
      fail('.rename must be an object of from → to field names');
    }
    for (const [from, to] of Object.entries(rename as object)) {
      if (from === '' || typeof to !== 'string' || to === '') {
        fail(`.rename.${from} must name a non-empty field`);
      }
    }
  }
  const known = new Set(['entity', 'pick', 'omit', 'rename']);
  const extra = Object.keys(o).filter((k) => !known.has(k));
  if (extra.length > 0) fail(` has unknown fields ${JSON.stringify(extra)}`);
  return o as unknown as ProjectionSpecJson;
}

/** The optional array `field` of the `STAYSYNC_PIPELINE` JSON ([] when unset). */
function pipelineList(json: string | undefined, field: 'aggregates' | 'projections'): unknown[] {
  if (json === undefined || json.trim() === '') return [];
  const list = (parsePipelineJson(json) as Record<string, unknown> | null)?.[field];
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new ConfigError(`staysync: ${PIPELINE_ENV}.${field} must be an array`);
  }
  return list;
}

/** `STAYSYNC_PIPELINE` as JSON, or a ConfigError saying it is not. */
function parsePipelineJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new ConfigError(`staysync: ${PIPELINE_ENV} is not valid JSON: ${(err as Error).message}`);
  }
}
