import { parseRelaySource } from '../../functions/relay-dynamodb-streams/source.js';
import type { ResolvedSource } from './resolved.js';
import type { ImportedSourceTableSpec, SourceSpec } from './types.js';

/** What validate.ts's problem list offers (kept structural to avoid an import cycle). */
export interface ProblemSink {
  check(ok: boolean, message: string): void;
  int(value: unknown, path: string, min: number, max: number): void;
}

const SOURCE_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/([A-Za-z0-9_.-]{3,255})$/;
const STREAM_LABEL = /^\/stream\/[0-9T:.-]+$/;

/** The settings a Kafka mapping and a stream mapping share, and their function's. */
type MappingLimits = Pick<
  SourceSpec,
  | 'batchSize'
  | 'batchingWindowSeconds'
  | 'retryAttempts'
  | 'maxRecordAgeSeconds'
  | 'memoryMiB'
  | 'timeoutSeconds'
>;

/**
 * The provisioned pollers of a Kafka mapping (a sink's or a processor's): checked, with
 * their defaults (1 minimum; a maximum of 10, or the minimum when it is higher).
 */
export function resolvePollers(
  pollers: { readonly minimum?: number; readonly maximum?: number } | undefined,
  at: string,
  p: ProblemSink,
): { readonly minimumPollers: number; readonly maximumPollers: number } {
  p.int(pollers?.minimum, `${at}.pollers.minimum`, 1, 200);
  p.int(pollers?.maximum, `${at}.pollers.maximum`, 1, 2000);
  const minimumPollers = pollers?.minimum ?? 1;
  const maximumPollers = pollers?.maximum ?? Math.max(10, minimumPollers);
  p.check(
    minimumPollers <= maximumPollers,
    `${at}.pollers.minimum (${minimumPollers}) must not exceed pollers.maximum (${maximumPollers})`,
  );
  return { minimumPollers, maximumPollers };
}

/** The ranges both kinds of event source mapping (and their functions) accept. */
export function checkMappingLimits(spec: MappingLimits, at: string, p: ProblemSink): void {
  p.int(spec.batchSize, `${at}.batchSize`, 1, 10_000);
  p.int(spec.batchingWindowSeconds, `${at}.batchingWindowSeconds`, 0, 300);
  if (spec.retryAttempts !== -1) p.int(spec.retryAttempts, `${at}.retryAttempts`, 0, 10_000);
  if (spec.maxRecordAgeSeconds !== -1) {
    p.int(spec.maxRecordAgeSeconds, `${at}.maxRecordAgeSeconds`, 60, 604_800);
  }
  p.int(spec.memoryMiB, `${at}.memoryMiB`, 128, 10_240);
  p.int(spec.timeoutSeconds, `${at}.timeoutSeconds`, 1, 900);
}

const isImported = (t: SourceSpec['table']): t is ImportedSourceTableSpec =>
  typeof (t as ImportedSourceTableSpec)?.tableArn === 'string';

/**
 * Validates one source and fills its defaults. The relay's environment JSON is built here and
 * checked by the parser the relay runs at cold start (`parseRelaySource`), so a stage that
 * synthesizes is a source the relay accepts.
 */
export function resolveSource(
  src: SourceSpec,
  i: number,
  stageName: string,
  topicNames: ReadonlySet<string>,
  p: ProblemSink,
): ResolvedSource {
  const at = `sources[${i}] (${JSON.stringify(src.name)})`;
  p.check(
    typeof src.name === 'string' && SOURCE_NAME.test(src.name),
    `${at}.name must match ${SOURCE_NAME}`,
  );
  p.check(
    topicNames.has(src.topic),
    `${at}.topic names ${JSON.stringify(src.topic)}, which is not in topics[]`,
  );
  const table = resolveTable(src, at, stageName, p);
  const json = JSON.stringify(
    src.mode === 'outbox'
      ? {
          mode: 'outbox',
          table: table.tableName,
          topic: src.topic,
          envelopeAttribute: src.envelopeAttribute ?? 'envelope',
        }
      : {
          mode: src.mode,
          table: table.tableName,
          topic: src.topic,
          entity: src.entity,
          keyAttributes: src.keyAttributes,
          versionAttribute: src.versionAttribute,
          ttlDeletes: src.ttlDeletes ?? 'delete',
        },
  );
  try {
    parseRelaySource(json, `${at}`);
  } catch (err) {
    p.check(false, (err as Error).message.replace(/^staysync: /, ''));
  }
  checkMappingLimits(src, at, p);
  return {
    name: src.name,
    tableName: table.tableName,
    table: table.spec,
    topic: src.topic,
    relaySourceJson: json,
    batchSize: src.batchSize ?? 100,
    batchingWindowSeconds: src.batchingWindowSeconds ?? 0,
    retryAttempts: src.retryAttempts ?? 10,
    maxRecordAgeSeconds: src.maxRecordAgeSeconds ?? -1,
    memoryMiB: src.memoryMiB ?? 512,
    timeoutSeconds: src.timeoutSeconds ?? 60,
  };
}

function resolveTable(
  src: SourceSpec,
  at: string,
  stageName: string,
  p: ProblemSink,
): { tableName: string; spec: ResolvedSource['table'] } {
  const t = src.table;
  if (isImported(t)) {
    const name = TABLE_ARN.exec(t.tableArn)?.[1];
    p.check(
      name !== undefined,
      `${at}.table.tableArn must look like arn:aws:dynamodb:<region>:<account>:table/<name>, got ${JSON.stringify(t.tableArn)}`,
    );
    const label =
      typeof t.tableStreamArn === 'string' ? t.tableStreamArn.slice(t.tableArn.length) : '';
    p.check(
      typeof t.tableStreamArn === 'string' &&
        t.tableStreamArn.startsWith(t.tableArn) &&
        STREAM_LABEL.test(label),
      `${at}.table.tableStreamArn must be the table's stream ARN (<tableArn>/stream/<label>), got ${JSON.stringify(t.tableStreamArn)}`,
    );
    return { tableName: name ?? '', spec: t };
  }
  p.check(
    typeof t?.partitionKey === 'string' && t.partitionKey !== '',
    `${at}.table needs partitionKey (a created table) or tableArn and tableStreamArn (an imported one)`,
  );
  const tableName = t?.tableName ?? `staysync-${stageName}-${src.name}`;
  return { tableName, spec: { ...t, tableName } };
}
