import { describe, expect, it } from 'vitest';
import { interpretStreamsResponse } from '../../../../../local/esm/dynamodb-streams/batch-response.js';

const batch = [
  { offset: 10, sequenceNumber: '900' },
  { offset: 11, sequenceNumber: '1000' },
  { offset: 12, sequenceNumber: '1100' },
];

describe('interpretStreamsResponse (DynamoDB Streams partial batch response)', () => {
  it.each([
    ['no answer', undefined],
    ['a null answer', null],
    ['an empty answer', {}],
    ['a null list', { batchItemFailures: null }],
    ['an empty list', { batchItemFailures: [] }],
  ])('treats %s as a complete success', (_what, response) => {
    expect(interpretStreamsResponse(batch, response)).toEqual({ kind: 'success' });
  });

  it('resumes at the record with the lowest reported sequence number (numeric, not text, order)', () => {
    const response = {
      batchItemFailures: [{ itemIdentifier: '1000' }, { itemIdentifier: '900' }],
    };

    expect(interpretStreamsResponse(batch, response)).toEqual({ kind: 'partial', resumeAt: 10 });
  });

  it.each([
    ['an empty-string itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a wrong key name', { batchItemFailures: [{ itemIdentifer: '1000' }] }],
    ['a sequence number not in the batch', { batchItemFailures: [{ itemIdentifier: '1050' }] }],
    ['a Kafka-style identifier', { batchItemFailures: [{ itemIdentifier: { offset: 11 } }] }],
    ['a list that is not an array', { batchItemFailures: 'all' }],
    ['a string answer', 'ok'],
  ])('treats %s as a failure of the whole batch', (_what, response) => {
    expect(interpretStreamsResponse(batch, response).kind).toBe('failed');
  });
});
