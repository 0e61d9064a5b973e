import { NO_EVIDENCE, observe, STALE_WINDOW_KEYS, type StaleEstimate } from './preread-policy.js';

/**
 * Largest recent share of blind-plan keys found already stored at which the sink still
 * writes them with batched PartiQL INSERTs first. A new key costs an INSERT exactly what
 * its guarded PutItem costs (1 WRU per KB); a stored key costs one refused INSERT (a failed
 * conditional write, 1 WRU) before its guarded PutItem. At this share the extra is at most
 * 0.03 WRU per key written (DynamoDB sink docs, "Batched inserts").
 */
export const INSERT_FIRST_MAX_EXISTING = 0.03;

/**
 * Per partition, whether to send the batch's blind keys as INSERTs first, from the recent
 * share of such keys that were already stored (the same sliding estimate as the pre-read
 * policy, `observe`). With no evidence the share is 0: a fresh partition starts with
 * INSERTs. The evidence keeps coming while INSERTs are off (the guarded puts then ask for
 * the replaced item), so the policy switches back when new keys return.
 * A threshold of 0 never sends INSERTs.
 */
export class InsertFirstPolicy {
  readonly #threshold: number;
  readonly #window: number;
  readonly #estimates = new Map<string, StaleEstimate>();

  constructor(threshold: number = INSERT_FIRST_MAX_EXISTING, window: number = STALE_WINDOW_KEYS) {
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new RangeError(`InsertFirstPolicy: threshold must be within 0..1, got ${threshold}`);
    }
    this.#threshold = threshold;
    this.#window = window;
  }

  enabled(partition: string): boolean {
    return this.estimate(partition).share < this.#threshold;
  }

  estimate(partition: string): StaleEstimate {
    return this.#estimates.get(partition) ?? NO_EVIDENCE;
  }

  /** `existing` of `keys` blind keys written were found already stored */
  record(partition: string, keys: number, existing: number): void {
    this.#estimates.set(partition, observe(this.estimate(partition), keys, existing, this.#window));
  }
}
