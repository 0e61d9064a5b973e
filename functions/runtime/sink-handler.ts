import type { PipelineConfig } from '../contract/pipeline.js';
import type { EngineDeps } from '../core/engine/deps.js';
import type { EngineLogger, MetricName } from '../core/engine/observability.js';
import { processEvent } from '../core/engine/process-event.js';
import {
  type Clock,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  systemClock,
} from '../core/engine/retry-policy.js';
import { InvalidEventError } from '../core/errors.js';
import type { Ledger } from '../core/ledger.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../core/limits.js';
import type { MskBatchResponse, MskEvent } from '../core/msk-event.js';
import type { Quarantine } from '../core/quarantine.js';
import type { Sink } from '../core/sink.js';
import type { LambdaContextLike } from './lambda-context.js';
import {
  type MetricsPublisher,
  powertoolsLogger,
  powertoolsMetricsPublisher,
} from './observability.js';

/** Partitions of one invocation processed at once. */
export const DEFAULT_CONCURRENCY = 4;

export interface SinkHandlerDeps {
  readonly sink: Sink;
  readonly ledger: Ledger;
  readonly quarantine: Quarantine;
  readonly pipeline: PipelineConfig;
  /** @default 4 */
  readonly concurrency?: number;
  /** @default Powertools Logger (JSON, service `staysync`, key `sink`) */
  readonly logger?: EngineLogger;
  /** @default Powertools Metrics (EMF, namespace `staysync`, dimension `sink`) */
  readonly metrics?: MetricsPublisher;
  /** @default DEFAULT_DECODE_LIMITS (1 MiB values) */
  readonly limits?: Partial<DecodeLimits>;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: Partial<RetryPolicy>;
  /** @default the system clock (tests inject one that does not sleep) */
  readonly clock?: Clock;
}

export type SinkHandler = (
  event: MskEvent,
  context?: LambdaContextLike,
) => Promise<MskBatchResponse>;

/**
 * The Lambda handler every sink shares: decodes the MSK event, applies each partition in
 * offset order through `sink` effectively-once (ledger checkpoints, quarantine for
 * poison, retries within the Lambda's remaining time) and answers the partial-batch
 * response. Never throws for bad records; throws for an event that is not a Kafka event
 * and for bugs (the invocation fails and Lambda retries the batch).
 *
 * @example
 * // functions/<name>/create-handler.ts
 * const config = readMySinkConfig(env); // its config.ts: readSinkCommonConfig + its own variables
 * export const handler = createSinkHandler({
 *   sink: new MySink(config), ...sinkLedgerAndQuarantine(config, env), pipeline: config.pipeline,
 * });
 */
export function createSinkHandler(deps: SinkHandlerDeps): SinkHandler {
  const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError(
      `createSinkHandler: concurrency must be a positive integer, got ${concurrency}`,
    );
  }
  const logger = deps.logger ?? powertoolsLogger(deps.sink.name);
  const publisher = deps.metrics ?? powertoolsMetricsPublisher(deps.sink.name);
  const base = {
    sink: deps.sink,
    ledger: deps.ledger,
    quarantine: deps.quarantine,
    pipeline: deps.pipeline,
    concurrency,
    limits: { ...DEFAULT_DECODE_LIMITS, ...deps.limits },
    retry: { ...DEFAULT_RETRY_POLICY, ...deps.retry },
    clock: deps.clock ?? systemClock,
    logger,
  };

  return async (event, context) => {
    // Counts are per invocation (the local emulator may run several at once).
    const counts = new Map<MetricName, number>();
    const engine: EngineDeps = {
      ...base,
      metrics: {
        count: (name, value) => {
          if (value !== 0) counts.set(name, (counts.get(name) ?? 0) + value);
        },
      },
    };
    const remaining = context?.getRemainingTimeInMillis?.bind(context);
    try {
      return await processEvent(event, engine, remaining);
    } catch (err) {
      logger.error(err instanceof InvalidEventError ? 'invalid event' : 'invocation failed', {
        error:
          err instanceof Error
            ? { name: err.name, message: err.message, stack: err.stack }
            : String(err),
      });
      throw err;
    } finally {
      publisher.publish(counts);
    }
  };
}
