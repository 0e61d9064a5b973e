import type { PipelineConfig } from '../../contract/pipeline.js';
import type { Ledger } from '../ledger.js';
import type { DecodeLimits } from '../limits.js';
import type { Quarantine } from '../quarantine.js';
import type { Sink } from '../sink.js';
import type { EngineLogger, EngineMetrics } from './observability.js';
import type { Clock, RetryPolicy } from './retry-policy.js';

/** Everything the engine drives; the runtime fills in production defaults. */
export interface EngineDeps {
  readonly sink: Sink;
  readonly ledger: Ledger;
  readonly quarantine: Quarantine;
  readonly pipeline: PipelineConfig;
  /** partitions processed at once */
  readonly concurrency: number;
  readonly limits: DecodeLimits;
  readonly retry: RetryPolicy;
  readonly clock: Clock;
  readonly logger: EngineLogger;
  readonly metrics: EngineMetrics;
}
