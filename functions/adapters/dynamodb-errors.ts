import { type ErrorContext, PoisonError, type StaysyncError } from '../core/errors.js';
import { errorName, toStaysyncError } from './aws-errors.js';

/**
 * Gives a DynamoDB failure (after the SDK's own retries) its meaning for the DynamoDB sink:
 * - `ValidationException` (item over 400 KB, bad attribute, key too long, ...) is the
 *   record's fault: poison, reason `dynamodb-validation`, never retried;
 * - throttling, 5xx, timeouts and network failures: a retriable error (shared
 *   classification of `aws-errors.ts`), so the engine retries and then redelivers;
 * - anything else (a missing table, a permission): a non-retriable error the caller
 *   throws, failing the invocation loudly instead of quarantining good records.
 */
export function classifyDynamoError(
  err: unknown,
  what: string,
  context: ErrorContext,
): StaysyncError {
  if (errorName(err) === 'ValidationException') {
    return new PoisonError(
      'dynamodb-validation',
      `DynamoDB rejected the ${what}: ${err instanceof Error ? err.message : String(err)}`,
      { context, cause: err },
    );
  }
  return toStaysyncError(err, `DynamoDB ${what} failed`, context);
}

/** A marshalling failure (a value DynamoDB cannot hold) is the record's fault: poison. */
export function marshallPoison(err: unknown, context: ErrorContext): PoisonError {
  return new PoisonError(
    'dynamodb-unmarshallable',
    `the item cannot be stored in DynamoDB: ${err instanceof Error ? err.message : String(err)}`,
    { context, cause: err },
  );
}
