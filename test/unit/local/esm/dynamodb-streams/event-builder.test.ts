import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { buildDynamoDbStreamEvent } from '../../../../../local/esm/dynamodb-streams/event-builder.js';

const source = {
  streamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-11-26T10:00:00.000',
  awsRegion: 'eu-west-1',
};

// A record as @aws-sdk/client-dynamodb-streams GetRecords hands it over (a Date, bytes,
// the stream API's capitalised Identity): a TTL deletion of a REMOVE.
const ttlRemoval = (): _Record => ({
  eventID: 'c81e728d9d4c2f636f067f89cc14862c',
  eventName: 'REMOVE',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'dynoxide',
  dynamodb: {
    ApproximateCreationDateTime: new Date(1_764_151_200_900),
    Keys: { pk: { S: 'session#7' } },
    OldImage: {
      pk: { S: 'session#7' },
      expiresAt: { N: '1764151100' },
      token: { B: Uint8Array.from([0xc3, 0xab, 0x00]) },
      tags: { SS: ['a', 'b'] },
      nested: {
        M: { list: { L: [{ NULL: true }, { BOOL: false }, { BS: [Uint8Array.from([1])] }] } },
      },
    },
    SequenceNumber: '4421584500000000017450439091',
    SizeBytes: 59,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
  userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
});

describe('buildDynamoDbStreamEvent', () => {
  it('builds the record Lambda delivers for a TTL deletion, userIdentity included', () => {
    const event = buildDynamoDbStreamEvent(source, [ttlRemoval()]);

    expect(event).toEqual({
      Records: [
        {
          eventID: 'c81e728d9d4c2f636f067f89cc14862c',
          eventName: 'REMOVE',
          eventVersion: '1.1',
          eventSource: 'aws:dynamodb',
          awsRegion: 'eu-west-1',
          dynamodb: {
            ApproximateCreationDateTime: 1_764_151_200,
            Keys: { pk: { S: 'session#7' } },
            OldImage: {
              pk: { S: 'session#7' },
              expiresAt: { N: '1764151100' },
              token: { B: 'w6sA' },
              tags: { SS: ['a', 'b'] },
              nested: { M: { list: { L: [{ NULL: true }, { BOOL: false }, { BS: ['AQ=='] }] } } },
            },
            SequenceNumber: '4421584500000000017450439091',
            SizeBytes: 59,
            StreamViewType: 'NEW_AND_OLD_IMAGES',
          },
          eventSourceARN: source.streamArn,
          userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
        },
      ],
    });
  });

  it('leaves userIdentity and absent images out of an ordinary write, and keeps record order', () => {
    const insert: _Record = {
      ...ttlRemoval(),
      eventName: 'INSERT',
      eventVersion: undefined,
      userIdentity: undefined,
      dynamodb: {
        ApproximateCreationDateTime: new Date(1_764_151_201_000),
        Keys: { pk: { S: 'a' } },
        NewImage: { pk: { S: 'a' }, n: { N: '1' } },
        SequenceNumber: '100',
        SizeBytes: 9,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
    const second = { ...insert, dynamodb: { ...insert.dynamodb, SequenceNumber: '200' } };

    const event = buildDynamoDbStreamEvent(source, [insert, second]);

    const [first] = event.Records;
    expect(first).not.toHaveProperty('userIdentity');
    expect(first?.eventVersion).toBe('1.1');
    expect(first?.dynamodb).not.toHaveProperty('OldImage');
    expect(first?.dynamodb?.ApproximateCreationDateTime).toBe(1_764_151_201);
    expect(event.Records.map((r) => r.dynamodb?.SequenceNumber)).toEqual(['100', '200']);
  });
});
