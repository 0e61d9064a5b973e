import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { isRetriableAwsError, toStaysyncError } from '../../../functions/adapters/aws-errors.js';
import { PoisonError, StaysyncError } from '../../../functions/core/errors.js';

const sdkError = (name: string, status?: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
    ...extra,
  });

describe('toStaysyncError', () => {
  it.each([
    [
      'DynamoDB throttling',
      new ProvisionedThroughputExceededException({
        message: 'slow down',
        $metadata: { httpStatusCode: 400 },
      }),
    ],
    ['S3 SlowDown', sdkError('SlowDown', 503)],
    ['an unnamed 500', sdkError('UnknownError', 500)],
    ['a 429', sdkError('TooManyRequests', 429)],
    ['a transaction conflict', sdkError('TransactionConflictException', 400)],
    ['a socket reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['an SDK timeout', sdkError('TimeoutError')],
    [
      'an error the SDK marks retryable',
      sdkError('Weird', 400, { $retryable: { throttling: false } }),
    ],
  ])('makes %s retriable', (_name, err) => {
    const mapped = toStaysyncError(err, 'ledger: advancing ckpt#x failed', {
      sink: 'view',
      partition: 1,
    });
    expect(mapped.retriable).toBe(true);
    expect(mapped.cause).toBe(err);
    expect(mapped.context).toEqual({ sink: 'view', partition: 1 });
  });

  it.each([
    ['a validation error', sdkError('ValidationException', 400)],
    ['access denied', sdkError('AccessDeniedException', 403)],
    ['a missing table', sdkError('ResourceNotFoundException', 400)],
    [
      'a failed condition',
      new ConditionalCheckFailedException({ message: 'no', $metadata: { httpStatusCode: 400 } }),
    ],
    ['a plain error', new Error('boom')],
    ['a thrown string', 'boom'],
  ])('makes %s non-retriable', (_name, err) => {
    expect(toStaysyncError(err, 'write failed').retriable).toBe(false);
    expect(isRetriableAwsError(err)).toBe(false);
  });

  it('names the SDK error in the message', () => {
    expect(toStaysyncError(sdkError('ValidationException', 400), 'PutItem failed').message).toBe(
      'PutItem failed: ValidationException (ValidationException happened)',
    );
  });

  it('passes staysync errors through unchanged', () => {
    const poison = new PoisonError('mapping', 'data.size: not a number');
    expect(toStaysyncError(poison, 'x')).toBe(poison);
    expect(toStaysyncError(poison, 'x')).toBeInstanceOf(StaysyncError);
  });
});
