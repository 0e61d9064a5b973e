import { PoisonError } from '../errors.js';
import type { KafkaRecord } from '../record.js';

/**
 * The records of the `transfers` topic (docs/claims.md, "Transfers"), each keyed by the
 * one account it changes, `account:<id>`, so each account's changes are decided in log
 * order by one consumer:
 * - `deposit` (keyed `account`): adds `amount` (how balances are funded);
 * - `transfer` (keyed `from`): the debit step; refused if it would overdraw `from`,
 *   otherwise it takes `amount` from `from` and emits the credit step;
 * - `credit` (keyed `to`, emitted by an accepted debit only): adds `amount` to `to`.
 * Amounts are positive safe integers in minor units (cents), so sums are exact.
 */
export type TransferStep =
  | {
      readonly type: 'deposit';
      readonly requestId: string;
      readonly account: string;
      readonly amount: number;
    }
  | {
      readonly type: 'transfer' | 'credit';
      readonly requestId: string;
      readonly from: string;
      readonly to: string;
      readonly amount: number;
    };

export const accountKey = (account: string): string => `account:${account}`;

/** The account a step changes (its Kafka key is `account:<this>`). */
export const subjectOf = (step: TransferStep): string =>
  step.type === 'deposit' ? step.account : step.type === 'transfer' ? step.from : step.to;

/** Unique per step of a request: the `evt#` marker that makes the step effectively-once. */
export const stepId = (step: Pick<TransferStep, 'type' | 'requestId'>): string =>
  `${step.type}:${step.requestId}`;

/** What a step did, stored on its marker so a redelivery can emit the same credit again. */
export type StepOutcome = 'applied' | 'refused';

export interface StepDecision {
  readonly outcome: StepOutcome;
  /** added to the subject's balance (negative for a debit) */
  readonly delta: number;
  /** for a debit: the balance must still be at least this when the step commits (its
   *  guard); for a refusal, below it */
  readonly guard?: { readonly atLeast: number } | { readonly below: number };
  /** the credit step to emit after the commit (accepted debits only) */
  readonly emit: TransferStep | null;
}

/** The rule, a pure function of the subject's balance before the step and the step. */
export function decideStep(balance: number, step: TransferStep): StepDecision {
  switch (step.type) {
    case 'deposit':
    case 'credit':
      return { outcome: 'applied', delta: step.amount, emit: null };
    case 'transfer':
      if (balance < step.amount) {
        return { outcome: 'refused', delta: 0, guard: { below: step.amount }, emit: null };
      }
      return {
        outcome: 'applied',
        delta: -step.amount,
        guard: { atLeast: step.amount },
        emit: creditOf(step),
      };
  }
}

/** The credit step of an accepted transfer (deterministic: re-emitting it is a duplicate). */
export const creditOf = (step: {
  readonly requestId: string;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}): TransferStep => ({
  type: 'credit',
  requestId: step.requestId,
  from: step.from,
  to: step.to,
  amount: step.amount,
});

const ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** Parses one record of the transfers topic; PoisonError for anything malformed. */
export function parseTransferStep(record: KafkaRecord): TransferStep {
  const coords = { topic: record.topic, partition: record.partition, offset: record.offset };
  const poison = (reason: string, message: string, field?: string) =>
    new PoisonError(reason, `transfers: ${message}`, {
      context: field === undefined ? coords : { ...coords, field },
    });
  let body: unknown;
  try {
    body = JSON.parse(record.value?.toString('utf8') ?? '');
  } catch (cause) {
    throw new PoisonError('invalid-json', 'transfers: the value is not JSON', {
      context: coords,
      cause,
    });
  }
  if (typeof body !== 'object' || body === null) throw poison('not-an-object', 'not an object');
  const o = body as Record<string, unknown>;
  const id = (field: string): string => {
    const v = o[field];
    if (typeof v !== 'string' || !ID.test(v)) {
      throw poison('missing-field', `${field} must match ${ID}`, field);
    }
    return v;
  };
  const amount = o.amount;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    throw poison('invalid-field', 'amount must be a positive safe integer', 'amount');
  }
  let step: TransferStep;
  if (o.type === 'deposit') {
    step = { type: 'deposit', requestId: id('requestId'), account: id('account'), amount };
  } else if (o.type === 'transfer' || o.type === 'credit') {
    step = { type: o.type, requestId: id('requestId'), from: id('from'), to: id('to'), amount };
    if (step.from === step.to) throw poison('invalid-field', 'from and to are the same', 'to');
  } else {
    throw poison('invalid-field', 'type must be deposit, transfer or credit', 'type');
  }
  if (record.key?.toString('utf8') !== accountKey(subjectOf(step))) {
    throw poison('key-mismatch', `the Kafka key is not ${accountKey(subjectOf(step))}`);
  }
  return step;
}
