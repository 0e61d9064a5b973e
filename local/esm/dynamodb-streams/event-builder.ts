/**
 * Builds the event Lambda hands a function for a DynamoDB Streams event source mapping,
 * from records read with `@aws-sdk/client-dynamodb-streams` GetRecords.
 *
 * Shape as Lambda sends it (AWS Lambda developer guide, "Using AWS Lambda with Amazon
 * DynamoDB", example event, https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html;
 * and the DynamoDB Streams `Record` / `StreamRecord` of the DynamoDB API reference):
 * `{ Records: [{ eventID, eventName, eventVersion, eventSource: 'aws:dynamodb', awsRegion,
 * dynamodb: { ApproximateCreationDateTime, Keys, NewImage, OldImage, SequenceNumber,
 * SizeBytes, StreamViewType }, eventSourceARN, userIdentity? }] }`:
 * - `ApproximateCreationDateTime` is epoch *seconds*, a JSON number (the SDK hands us a
 *   `Date`); DynamoDB Streams records carry whole seconds;
 * - attribute values stay DynamoDB JSON (`{ S }`, `{ N }`, ...); binary values are base64
 *   strings, as in the JSON wire format (the SDK decodes them into bytes);
 * - `eventVersion` is the stream record's (`1.1` from DynamoDB Streams today, and the
 *   default when a record lacks it; the guide's hand-written example says `1.0`);
 * - `userIdentity` is present only on records that have it: `{ type: 'Service',
 *   principalId: 'dynamodb.amazonaws.com' }` marks a deletion by TTL (DynamoDB developer
 *   guide, "Time to Live (TTL) and DynamoDB Streams"); Lambda spells it in lower camel
 *   case where the stream API says `Type`/`PrincipalId`.
 */
import type {
  _Record,
  AttributeValue as SdkAttributeValue,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent, StreamRecord } from 'aws-lambda';

/** Where the records come from, for the fields a stream record does not carry. */
export interface StreamSourceIdentity {
  /** the stream ARN (`eventSourceARN` of every record) */
  readonly streamArn: string;
  /** `awsRegion` of every record: the stream's region, which is the mapping's (a Lambda
   *  mapping reads streams of its own region); Dynoxide writes `dynoxide` there */
  readonly awsRegion: string;
}

type Image = Record<string, AttributeValue>;

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** One SDK attribute value (bytes for B/BS) in the JSON form Lambda sends. */
export function toLambdaAttributeValue(value: SdkAttributeValue): AttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.SS !== undefined) return { SS: [...value.SS] };
  if (value.NS !== undefined) return { NS: [...value.NS] };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttributeValue) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  throw new TypeError(`unsupported attribute value: ${JSON.stringify(Object.keys(value))}`);
}

function toLambdaImage(image: Record<string, SdkAttributeValue>): Image {
  const out: Image = {};
  for (const [name, value] of Object.entries(image)) out[name] = toLambdaAttributeValue(value);
  return out;
}

/** One stream record as Lambda delivers it. */
export function toLambdaRecord(record: _Record, source: StreamSourceIdentity): DynamoDBRecord {
  const ddb = record.dynamodb;
  if (ddb === undefined || ddb.SequenceNumber === undefined) {
    throw new TypeError(`stream record ${record.eventID ?? '?'} has no SequenceNumber`);
  }
  const dynamodb: StreamRecord = {
    ...(ddb.ApproximateCreationDateTime === undefined
      ? {}
      : {
          ApproximateCreationDateTime: Math.floor(ddb.ApproximateCreationDateTime.getTime() / 1000),
        }),
    ...(ddb.Keys === undefined ? {} : { Keys: toLambdaImage(ddb.Keys) }),
    ...(ddb.NewImage === undefined ? {} : { NewImage: toLambdaImage(ddb.NewImage) }),
    ...(ddb.OldImage === undefined ? {} : { OldImage: toLambdaImage(ddb.OldImage) }),
    SequenceNumber: ddb.SequenceNumber,
    ...(ddb.SizeBytes === undefined ? {} : { SizeBytes: ddb.SizeBytes }),
    ...(ddb.StreamViewType === undefined ? {} : { StreamViewType: ddb.StreamViewType }),
  };
  const identity = record.userIdentity;
  return {
    ...(record.eventID === undefined ? {} : { eventID: record.eventID }),
    ...(record.eventName === undefined ? {} : { eventName: record.eventName }),
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: source.awsRegion,
    dynamodb,
    eventSourceARN: source.streamArn,
    ...(identity === undefined
      ? {}
      : { userIdentity: { type: identity.Type, principalId: identity.PrincipalId } }),
  };
}

/** The whole event for records of one shard, in sequence order. */
export function buildDynamoDbStreamEvent(
  source: StreamSourceIdentity,
  records: readonly _Record[],
): DynamoDBStreamEvent {
  return { Records: records.map((r) => toLambdaRecord(r, source)) };
}
