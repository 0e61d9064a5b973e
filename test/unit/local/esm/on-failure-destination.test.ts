import { describe, expect, it } from 'vitest';
import type { FetchedRecord } from '../../../../local/esm/event-builder.js';
import { buildMskEvent } from '../../../../local/esm/event-builder.js';
import {
  buildInvocationRecord,
  type FailedBatch,
} from '../../../../local/esm/on-failure-destination.js';

const records: FetchedRecord[] = [1, 3].map((offset) => ({
  topic: 'orders',
  partition: 0,
  offset,
  timestamp: Date.UTC(2026, 10, 26, 8, 0, offset),
  timestampType: 'CREATE_TIME',
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  headers: [],
}));

const batch = (extra: Partial<FailedBatch>): FailedBatch => ({
  functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
  eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/c/1',
  bootstrapServers: 'b:9092',
  event: buildMskEvent({ bootstrapServers: 'b:9092' }, records),
  records,
  approximateInvokeCount: 3,
  functionError: 'Unhandled',
  ...extra,
});

describe('the on-failure invocation record', () => {
  it('says RetryAttemptsExhausted unless told otherwise', () => {
    const record = buildInvocationRecord(batch({}), new Date(), 'r1');
    expect(record.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(record.responseContext.functionError).toBe('Unhandled');
  });

  it('carries RecordAgeExceeded and the expired records, without a function error', () => {
    const record = buildInvocationRecord(
      batch({
        condition: 'RecordAgeExceeded',
        functionError: undefined,
        approximateInvokeCount: 0,
      }),
      new Date(),
      'r2',
    );
    expect(record.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
    expect(record.responseContext.functionError).toBeUndefined();
    expect(record.KafkaBatchInfo.recordsInfo['orders-0']).toMatchObject({
      firstRecordOffset: '1',
      lastRecordOffset: '3',
    });
    expect(record.KafkaBatchInfo.batchSize).toBe(2);
  });
});
