import type { ResolvedProcessor } from './resolved.js';
import type { PipelineSettings, ProcessorSpec } from './types.js';
import { checkMappingLimits, type ProblemSink, resolvePollers } from './validate-sources.js';

/**
 * Validates the claims and transfers processors (docs/claims.md) and fills their defaults:
 * the mapping settings of a sink, except a smaller batch (each request is decided with
 * three DynamoDB calls in order) and a shorter timeout.
 */
export function resolveProcessors(
  s: PipelineSettings,
  topicNames: ReadonlySet<string>,
  p: ProblemSink,
): ResolvedProcessor[] {
  const out: ResolvedProcessor[] = [];
  const topic = (name: unknown, at: string) =>
    p.check(
      typeof name === 'string' && topicNames.has(name),
      `${at} names ${JSON.stringify(name)}, which is not in topics[]`,
    );
  if (s.claims !== undefined) {
    const c = s.claims;
    topic(c.requestsTopic, 'claims.requestsTopic');
    topic(c.decisionsTopic, 'claims.decisionsTopic');
    p.check(
      c.requestsTopic !== c.decisionsTopic,
      'claims.decisionsTopic must not be claims.requestsTopic (decisions are no requests)',
    );
    out.push(resolve('claims', c, c.requestsTopic, c.decisionsTopic, p));
  }
  if (s.transfers !== undefined) {
    const t = s.transfers;
    topic(t.topic, 'transfers.topic');
    p.check(
      s.claims === undefined ||
        (t.topic !== s.claims.requestsTopic && t.topic !== s.claims.decisionsTopic),
      'transfers.topic must be a topic of its own',
    );
    // credit steps go back to the topic the debits came from
    out.push(resolve('transfers', t, t.topic, t.topic, p));
  }
  return out;
}

function resolve(
  kind: ResolvedProcessor['kind'],
  spec: ProcessorSpec,
  consumes: string,
  produces: string,
  p: ProblemSink,
): ResolvedProcessor {
  checkMappingLimits(spec, kind, p);
  const { minimumPollers, maximumPollers } = resolvePollers(spec.pollers, kind, p);
  return {
    kind,
    topics: [consumes],
    produces,
    batchSize: spec.batchSize ?? 100,
    batchingWindowSeconds: spec.batchingWindowSeconds ?? 0,
    minimumPollers,
    maximumPollers,
    retryAttempts: spec.retryAttempts ?? 10,
    maxRecordAgeSeconds: spec.maxRecordAgeSeconds ?? -1,
    memoryMiB: spec.memoryMiB ?? 512,
    timeoutSeconds: spec.timeoutSeconds ?? 60,
  };
}
