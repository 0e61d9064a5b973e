import type { Decision, Holder } from './decide.js';

/** A value's holder as stored, with the offset of the last request decided for it. */
export interface StoredHolder {
  readonly holder: Holder | null;
  /** `_v`: offset of the request that last decided this value; null: never decided */
  readonly version: number | null;
}

/** Where decisions and holders live (DynamoDB: functions/adapters/claims-dynamodb.ts). */
export interface ClaimStore {
  /** strongly consistent; null when the request was never decided */
  readDecision(requestId: string): Promise<Decision | null>;
  /** strongly consistent */
  readHolder(key: string): Promise<StoredHolder>;
  /**
   * Stores, atomically, the decision (which must not exist yet) and the value's holder
   * after it at version `offset` (only if its version is still `expected`). `conflict`:
   * one of the two conditions failed (another consumer decided meanwhile); nothing stored.
   */
  commit(
    key: string,
    expected: number | null,
    holder: Holder | null,
    decision: Decision,
  ): Promise<'committed' | 'conflict'>;
}

/** Publishes decisions on `claim-decisions`, in the order given (at least once). */
export interface DecisionPublisher {
  publish(decisions: readonly Decision[]): Promise<void>;
}
