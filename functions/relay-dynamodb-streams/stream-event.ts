import { InvalidEventError } from '../core/errors.js';

/**
 * The DynamoDB Streams event as Lambda delivers it (AWS Lambda Developer Guide, "Using
 * AWS Lambda with Amazon DynamoDB", example event): attribute values in DynamoDB JSON,
 * `ApproximateCreationDateTime` in epoch seconds, one shard per batch, records in stream
 * order. Only what the relay reads is typed.
 */
export type AttributeValue = Readonly<Record<string, unknown>> & {
  readonly S?: string;
  readonly N?: string;
  readonly B?: string;
};
export type Image = Readonly<Record<string, AttributeValue>>;

export interface StreamRecord {
  readonly eventID?: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventSource?: string;
  readonly eventSourceARN?: string;
  readonly dynamodb: {
    readonly ApproximateCreationDateTime?: number;
    readonly Keys?: Image;
    readonly NewImage?: Image;
    readonly OldImage?: Image;
    readonly SequenceNumber: string;
    readonly SizeBytes?: number;
    readonly StreamViewType?: string;
  };
  /** `{ type: 'Service', principalId: 'dynamodb.amazonaws.com' }` on a TTL expiry */
  readonly userIdentity?: { readonly type?: string; readonly principalId?: string };
}

export interface StreamEvent {
  readonly Records: readonly StreamRecord[];
}

/** The partial batch response: `itemIdentifier` is the first failed record's sequence number. */
export interface StreamBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

const EVENT_NAMES = new Set(['INSERT', 'MODIFY', 'REMOVE']);

/**
 * Checks the shape the relay relies on before anything is converted. A payload that is not
 * a DynamoDB Streams event (or a record without an event name or sequence number) cannot
 * be quarantined or reported record by record: it throws, the mapping retries, bisects and
 * hands it to its on-failure destination.
 */
export function parseStreamEvent(event: unknown): StreamEvent {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) {
    throw new InvalidEventError('not a DynamoDB Streams event: Records is not a list');
  }
  for (const [i, record] of records.entries()) {
    const r = record as Partial<StreamRecord> | null;
    if (
      r === null ||
      typeof r !== 'object' ||
      !EVENT_NAMES.has(String(r.eventName)) ||
      typeof r.dynamodb?.SequenceNumber !== 'string' ||
      r.dynamodb.SequenceNumber === ''
    ) {
      throw new InvalidEventError(
        `not a DynamoDB Streams record at Records[${i}]: it needs an eventName (INSERT, MODIFY, REMOVE) and dynamodb.SequenceNumber`,
      );
    }
  }
  return event as StreamEvent;
}
