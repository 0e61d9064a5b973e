import { type ErrorContext, RetriableError, StaysyncError } from '../core/errors.js';

/**
 * Maps an AWS SDK v3 failure to staysync's meaning at the adapter boundary, so the engine
 * can decide from `retriable` alone (STYLE "Errors"). Shared by every AWS adapter.
 *
 * Retriable: throttling, 5xx, timeouts and network errors, transaction conflicts (the SDK
 * already retried a few times; the engine retries more, within the Lambda's time).
 * Not retriable: validation, access, missing resources and other 4xx — these need a fix,
 * not a retry.
 */
export function toStaysyncError(
  err: unknown,
  message: string,
  context: ErrorContext = {},
): StaysyncError {
  if (err instanceof StaysyncError) return err;
  const detail = `${message}: ${errorName(err)}${errorMessage(err) ? ` (${errorMessage(err)})` : ''}`;
  if (isRetriableAwsError(err)) return new RetriableError(detail, { context, cause: err });
  return new StaysyncError(detail, { retriable: false, context, cause: err });
}

const RETRIABLE_NAMES = new Set([
  // throttling
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  // transient server-side
  'InternalServerError',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'TransactionInProgressException',
  // timeouts and sockets
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);

const RETRIABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface AwsLikeError {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown };
}

/** Whether an SDK error is transient (throttling, 5xx, timeout, network). */
export function isRetriableAwsError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as AwsLikeError;
  if (typeof e.name === 'string' && RETRIABLE_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && RETRIABLE_CODES.has(e.code)) return true;
  if (e.$retryable !== undefined && e.$retryable !== null) return true;
  const status = httpStatus(err);
  return status !== undefined && (status >= 500 || status === 429);
}

/** The HTTP status of an SDK error, when it got one. */
export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as AwsLikeError;
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The SDK's error name (`ConditionalCheckFailedException`, `PreconditionFailed`, ...). */
export const errorName = (err: unknown): string =>
  typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string'
    ? (err as { name: string }).name
    : 'Error';

const errorMessage = (err: unknown): string =>
  err instanceof Error ? err.message : typeof err === 'string' ? err : '';
