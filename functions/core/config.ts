import { ConfigError } from './errors.js';

// Re-exported for callers that reach for config errors next to the config helpers.
export { ConfigError };

/**
 * Reads a required environment variable once (callers keep the result at module scope),
 * failing the cold start with a message naming the variable.
 */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(`staysync: environment variable ${name} is required but not set`);
  }
  return value;
}

export function optionalEnv(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

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

export const PIPELINE_ENV = 'STAYSYNC_PIPELINE';

export function parsePipelineConfig(json: string | undefined): PipelineConfig {
  if (json === undefined || json.trim() === '') return Object.freeze({ topics: {} });
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(`staysync: ${PIPELINE_ENV} is not valid JSON: ${(err as Error).message}`);
  }
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

export const topicVersioning = (config: PipelineConfig, topic: string): Versioning =>
  config.topics[topic]?.versioning ?? 'source';

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
