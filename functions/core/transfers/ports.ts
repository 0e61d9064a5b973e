import type { StepDecision, StepOutcome, TransferStep } from './step.js';

/** Balances and step markers (DynamoDB: functions/adapters/transfers-dynamodb.ts). */
export interface TransferStore {
  /** strongly consistent; null when the step never committed */
  readOutcome(step: TransferStep): Promise<StepOutcome | null>;
  /** strongly consistent; 0 for an account never changed */
  readBalance(account: string): Promise<number>;
  /**
   * Atomically: the step's marker (must not exist) with its outcome, and the delta on the
   * subject's balance under the decision's guard. `duplicate`: the marker existed (an
   * earlier attempt committed); `conflict`: the guard failed. Nothing stored in both cases.
   */
  commit(
    step: TransferStep,
    decision: StepDecision,
  ): Promise<'committed' | 'duplicate' | 'conflict'>;
}

/** Appends steps to `topic` (the one they were emitted from), keyed `account:<subject>`,
 *  at least once. */
export interface StepPublisher {
  publish(topic: string, steps: readonly TransferStep[]): Promise<void>;
}
