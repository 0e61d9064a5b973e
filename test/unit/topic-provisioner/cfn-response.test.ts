import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CfnRequest,
  failureResponse,
  truncateUtf8,
} from '../../../functions/topic-provisioner/cfn-response.js';

const request: CfnRequest = {
  RequestType: 'Create',
  ResponseURL: 'https://cloudformation-custom-resource-response.example/response',
  StackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${'s'.repeat(128)}/${'0'.repeat(36)}`,
  RequestId: '0'.repeat(36),
  LogicalResourceId: 'L'.repeat(255),
  ResourceType: 'Custom::KafkaTopic',
  ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:x' },
};

describe('the CloudFormation failure response', () => {
  it('stays under the 4096-byte body limit even when the reason quotes long non-ASCII input', () => {
    const reason = `Create failed: TopicName must be 1-249 characters, got ${JSON.stringify('€'.repeat(3000))}`;
    const body = JSON.stringify(failureResponse(request, `kafka-topic:${'t'.repeat(249)}`, reason));

    expect(Buffer.byteLength(body, 'utf8')).toBeLessThan(4096);
    expect(failureResponse(request, 'x', reason).Reason).toMatch(/^Create failed: .*€\.\.\.$/);
  });

  it('keeps a short reason unchanged', () => {
    expect(failureResponse(request, 'x', 'Create failed: brokers unreachable').Reason).toBe(
      'Create failed: brokers unreachable',
    );
  });
});

describe('truncateUtf8', () => {
  it('never exceeds the byte budget, never splits a character, and keeps a prefix of the input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 400 }),
        fc.integer({ min: 3, max: 300 }),
        (text, max) => {
          const cut = truncateUtf8(text, max);
          expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(Math.max(max, 3));
          expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut); // no lone surrogate
          if (cut !== text) {
            expect(cut.endsWith('...')).toBe(true);
            expect(text.startsWith(cut.slice(0, -3))).toBe(true);
          }
        },
      ),
    );
  });
});
