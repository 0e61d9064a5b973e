import { StaysyncError } from '../errors.js';
import type { RecordCoordinates } from '../record.js';
import type { EngineDeps } from './deps.js';
import { Metric } from './observability.js';
import { type Budget, waitBeforeRetry } from './retry-policy.js';

export type Attempted<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: StaysyncError };

/**
 * Runs one I/O step, retrying retriable `StaysyncError`s with backoff inside the budget.
 * Resolves `{ ok: false }` when retries run out; rethrows anything else (with
 * `failNonRetriable`, a non-retriable `StaysyncError` also resolves `{ ok: false }`).
 */
export async function withRetry<T>(
  step: string,
  fn: () => Promise<T>,
  deps: EngineDeps,
  budget: Budget,
  where: Partial<RecordCoordinates>,
  failNonRetriable = false,
): Promise<Attempted<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await fn() };
    } catch (err) {
      if (!(err instanceof StaysyncError)) throw err;
      if (!err.retriable) {
        if (failNonRetriable) {
          deps.logger.error(`${step} failed`, { ...where, step, error: describe(err) });
          return { ok: false, error: err };
        }
        throw err;
      }
      deps.logger.warn(`${step} failed, retrying`, {
        ...where,
        step,
        attempt,
        error: describe(err),
      });
      if (!(await waitBeforeRetry(deps.retry, budget, deps.clock, attempt)))
        return { ok: false, error: err };
      deps.metrics.count(Metric.retries, 1);
    }
  }
}

export const describe = (err: unknown): Record<string, unknown> =>
  err instanceof Error
    ? {
        name: err.name,
        message: err.message,
        ...(err instanceof StaysyncError ? { retriable: err.retriable } : {}),
      }
    : { message: String(err) };
