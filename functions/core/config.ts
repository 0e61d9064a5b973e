import { ConfigError } from './errors.js';

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

export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
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

export interface TopicSettings {
  readonly versioning: Versioning;
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
    topics[topic] = Object.freeze({ versioning: versioning as Versioning });
  }
  return Object.freeze({ topics: Object.freeze(topics) });
}

export const topicVersioning = (config: PipelineConfig, topic: string): Versioning =>
  config.topics[topic]?.versioning ?? 'source';
