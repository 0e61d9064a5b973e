import { describe, expect, it } from 'vitest';
import { itemSize, readUnitsOf, writeUnitsOf } from '../../../../bench/lib/dynamo-capacity.js';

const item = (bytes: number) => ({ pk: { S: 'k' }, d: { S: 'x'.repeat(bytes) } });

describe('DynamoDB request units', () => {
  it('sizes an item as attribute names plus values', () => {
    expect(itemSize({ pk: { S: 'abc' }, n: { N: '12345' }, b: { BOOL: true } })).toBe(
      2 + 3 + (1 + 4) + (1 + 1),
    );
  });

  it('charges one WRU per started KB of the item put', () => {
    // pk(2)+k(1)+d(1) = 4 bytes of overhead
    expect(writeUnitsOf('PutItemCommand', { Item: item(1020) })).toBe(1);
    expect(writeUnitsOf('PutItemCommand', { Item: item(1021) })).toBe(2);
  });

  it('counts every item of a BatchWriteItem and doubles transactional writes', () => {
    const put = { PutRequest: { Item: item(10) } };
    expect(writeUnitsOf('BatchWriteItemCommand', { RequestItems: { t: [put, put, put] } })).toBe(3);
    expect(
      writeUnitsOf('TransactWriteItemsCommand', {
        TransactItems: [{ Put: { Item: item(10) } }, { Update: { Key: { pk: { S: 'c' } } } }],
      }),
    ).toBe(4);
  });

  it('charges half a unit for an eventually consistent read and one for a strong one', () => {
    expect(readUnitsOf('GetItemCommand', {}, { Item: item(10) })).toBe(0.5);
    expect(readUnitsOf('GetItemCommand', { ConsistentRead: true }, {})).toBe(1);
    expect(readUnitsOf('GetItemCommand', { ConsistentRead: true }, { Item: item(5000) })).toBe(2);
  });
});
