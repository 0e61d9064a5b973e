import type { RecordCoordinates } from './record.js';

export interface ErrorContext extends Partial<RecordCoordinates> {
  readonly sink?: string;
  readonly field?: string;
}

/**
 * Base of every staysync error. The engine decides "retry" versus "quarantine" from
 * `retriable` alone (kafkajs `KafkaJSError.retriable`).
 */
export class StaysyncError extends Error {
  readonly retriable: boolean;
  readonly context: ErrorContext;
  constructor(
    message: string,
    opts: { retriable: boolean; context?: ErrorContext; cause?: unknown },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retriable = opts.retriable;
    this.context = opts.context ?? {};
  }
}

/** A record that can never be applied: quarantined with this reason, never retried. */
export class PoisonError extends StaysyncError {
  /** short machine-readable reason, e.g. `invalid-json`, `missing-field` */
  readonly reason: string;
  constructor(
    reason: string,
    message: string,
    opts: { context?: ErrorContext; cause?: unknown } = {},
  ) {
    super(message, { retriable: false, ...opts });
    this.reason = reason;
  }
}

/** Throttling, 5xx, timeouts: retried with backoff, then reported as a batch item failure. */
export class RetriableError extends StaysyncError {
  constructor(message: string, opts: { context?: ErrorContext; cause?: unknown } = {}) {
    super(message, { retriable: true, ...opts });
  }
}

/** Missing or invalid configuration: fails the cold start with a clear message. */
export class ConfigError extends StaysyncError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/**
 * The invocation payload is not a Kafka event at all (wrong shape, a record without
 * valid coordinates). Nothing can be quarantined or reported for it, so the handler
 * throws: the event source mapping retries and finally hands it to its on-failure
 * destination. Lambda never produces such an event; a misrouted test invoke does.
 */
export class InvalidEventError extends StaysyncError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}
