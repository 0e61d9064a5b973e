/**
 * DynamoDB stream records shaped as Lambda delivers them (AWS Lambda Developer Guide,
 * "Using AWS Lambda with Amazon DynamoDB", example event), built per test.
 */
import type { CdcSource } from '../../../functions/relay-dynamodb-streams/source.js';
import type {
  Image,
  StreamRecord,
} from '../../../functions/relay-dynamodb-streams/stream-event.js';

let sequence = 100_000_000_000_000_000_000n;

export function streamRecord(
  eventName: StreamRecord['eventName'],
  images: { newImage?: Image; oldImage?: Image; keys?: Image },
  extra: Partial<StreamRecord> = {},
): StreamRecord {
  sequence += 1n;
  return {
    eventID: `e${sequence}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN:
      'arn:aws:dynamodb:us-east-1:123456789012:table/Shop/stream/2026-12-01T00:00:00.000',
    dynamodb: {
      ApproximateCreationDateTime: 1_764_547_200,
      ...(images.keys === undefined ? {} : { Keys: images.keys }),
      ...(images.newImage === undefined ? {} : { NewImage: images.newImage }),
      ...(images.oldImage === undefined ? {} : { OldImage: images.oldImage }),
      SequenceNumber: String(sequence),
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    ...extra,
  } as StreamRecord;
}

/** The userIdentity DynamoDB puts on a REMOVE made by its TTL process. */
export const TTL_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };

/** A table-CDC source of customers keyed by `pk`, versioned by `v`. */
export const cdcCustomers: CdcSource = {
  mode: 'cdc',
  table: 'Shop',
  topic: 'customers',
  entity: 'customer',
  keyAttributes: ['pk'],
  versionAttribute: 'v',
  ttlDeletes: 'delete',
};
