/**
 * When the DynamoDB sink reads stored versions before writing (pure decision logic, no I/O).
 *
 * Why: a conditional PutItem whose condition fails is charged like a write (1 WRU per
 * started KB). When a stream re-sends many events the view already holds (producer
 * retries, a replay, redelivery after a crash), most writes fail their guard and the bill
 * is paid for nothing. An eventually consistent BatchGetItem of the key, `_v` and
 * `_eventId` costs 0.5 RRU per item up to 4 KB, that is, at on-demand prices, a tenth of
 * a 1 WRU write; a key it shows at or above the planned version is not written at all.
 * The read is pure overhead on keys that turn out fresh, so it pays only when the share
 * of stale keys exceeds the price ratio:
 *
 *   read every key:  n × 0.5 RRU × $0.125/M                       = n × $0.0625/M
 *   saved:           stale share × n × 1 WRU × $0.625/M            = share × n × $0.625/M
 *   break-even:      share = 0.0625 / 0.625                        = 0.1
 *
 * Items over 1 KB make the write cost more units while the read stays at 0.5 RRU up to
 * 4 KB (and 0.5 RRU per 4 KB above), so 0.1 is the break-even of the *smallest* items:
 * for larger ones reading pays sooner; the constant errs on the side of not reading.
 *
 * The policy keeps, per topic-partition, a running share of the blind-plan keys whose
 * write was stale or a duplicate (a failed guard, or a key the read skipped), over about
 * the last {@link STALE_WINDOW_KEYS} keys, and reads when that share is at least the
 * threshold. Both modes keep measuring: without the read, failed guards are the sample;
 * with it, the read itself tells how many keys were stale, so the filter turns itself off
 * again as soon as a stream runs fresh.
 */

/** Price of an eventually consistent read of an item ≤ 4 KB over a 1 WRU write, on demand
 *  ($0.125/M RRU × 0.5 ÷ $0.625/M WRU, bench/lib/prices.ts): the stale share above which
 *  reading first is cheaper. */
export const PREREAD_BREAK_EVEN = (0.5 * 0.125) / 0.625;

/** About how many recent keys the stale share is averaged over. */
export const STALE_WINDOW_KEYS = 50;

/** A running share of stale keys, weighted by the keys it has seen (capped at the window). */
export interface StaleEstimate {
  readonly share: number;
  readonly weight: number;
}

/** No evidence yet: the share starts at 0, so a new partition writes blind (the common,
 *  fresh case) until failed guards say otherwise. */
export const NO_EVIDENCE: StaleEstimate = Object.freeze({ share: 0, weight: 0 });

/**
 * Folds one batch's evidence (`keys` blind-plan keys with a definite outcome, `stale` of
 * which were stale or duplicates) into the estimate: a running mean over the first
 * window, then a moving one in which the window's worth of history counts as much as
 * {@link STALE_WINDOW_KEYS} keys of the new batch.
 */
export function observe(
  estimate: StaleEstimate,
  keys: number,
  stale: number,
  window: number = STALE_WINDOW_KEYS,
): StaleEstimate {
  if (!(keys > 0)) return estimate;
  if (stale < 0 || stale > keys) {
    throw new RangeError(`observe: stale (${stale}) must be within 0..keys (${keys})`);
  }
  const prior = Math.min(estimate.weight, window);
  return {
    share: (estimate.share * prior + stale) / (prior + keys),
    weight: Math.min(prior + keys, window),
  };
}

/** Read before writing when the stale share has reached the threshold (0: always read). */
export const shouldPreRead = (estimate: StaleEstimate, threshold: number): boolean =>
  estimate.share >= threshold;

/** Per topic-partition estimates for one sink instance (one Lambda container). */
export class PreReadPolicy {
  readonly #threshold: number;
  readonly #window: number;
  readonly #estimates = new Map<string, StaleEstimate>();

  constructor(threshold: number = PREREAD_BREAK_EVEN, window: number = STALE_WINDOW_KEYS) {
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new RangeError(`PreReadPolicy: threshold must be within 0..1, got ${threshold}`);
    }
    if (!(Number.isSafeInteger(window) && window >= 1)) {
      throw new RangeError(`PreReadPolicy: window must be a positive integer, got ${window}`);
    }
    this.#threshold = threshold;
    this.#window = window;
  }

  /** Whether the next batch of this partition should read before writing. */
  enabled(partition: string): boolean {
    return shouldPreRead(this.estimate(partition), this.#threshold);
  }

  /** The partition's current estimate. */
  estimate(partition: string): StaleEstimate {
    return this.#estimates.get(partition) ?? NO_EVIDENCE;
  }

  /** Records what a batch's blind writes (or the read) found. */
  record(partition: string, keys: number, stale: number): void {
    this.#estimates.set(partition, observe(this.estimate(partition), keys, stale, this.#window));
  }
}
