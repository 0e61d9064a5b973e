/**
 * Jittered exponential backoff inside a time budget. The budget is the Lambda's remaining
 * time minus a safety margin, so the handler always answers (with batchItemFailures)
 * before it is killed: a timed-out invocation would redo the whole batch.
 */
export interface RetryPolicy {
  /** first backoff ceiling, ms */
  readonly baseDelayMs: number;
  /** largest backoff ceiling, ms */
  readonly maxDelayMs: number;
  /** attempts of one step at most (the first included) */
  readonly maxAttempts: number;
  /** time kept in reserve before the Lambda deadline, ms */
  readonly safetyMarginMs: number;
  /** budget when the invocation has no deadline (tests, local runs), ms */
  readonly defaultBudgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  baseDelayMs: 50,
  maxDelayMs: 2_000,
  maxAttempts: 8,
  safetyMarginMs: 3_000,
  defaultBudgetMs: 30_000,
});

/** "Full jitter": uniform in [0, min(max, base·2^attempt)]. `random` is injectable for tests. */
export const backoffDelay = (policy: RetryPolicy, attempt: number, random: () => number): number =>
  Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));

/** The clock and timer the engine uses; injectable so tests neither sleep nor depend on time. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * The time left for retries, shared by every partition of one invocation: the Lambda's
 * live remaining time minus the safety margin, or a fixed budget without a deadline.
 */
export class Budget {
  readonly #remaining: () => number;
  constructor(clock: Clock, policy: RetryPolicy, lambdaRemainingMs?: () => number) {
    if (lambdaRemainingMs === undefined) {
      const deadline = clock.now() + policy.defaultBudgetMs;
      this.#remaining = () => deadline - clock.now();
    } else {
      this.#remaining = () => lambdaRemainingMs() - policy.safetyMarginMs;
    }
  }
  remainingMs(): number {
    return Math.max(0, this.#remaining());
  }
}

/**
 * Waits before retry `attempt` (1-based) if the policy and the budget allow another one;
 * resolves false (without waiting) when they do not.
 */
export async function waitBeforeRetry(
  policy: RetryPolicy,
  budget: Budget,
  clock: Clock,
  attempt: number,
): Promise<boolean> {
  if (attempt >= policy.maxAttempts) return false;
  const delay = backoffDelay(policy, attempt, clock.random);
  if (delay >= budget.remainingMs()) return false;
  if (delay > 0) await clock.sleep(delay);
  return true;
}
