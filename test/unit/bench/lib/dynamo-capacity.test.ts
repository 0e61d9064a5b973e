import { describe, expect, it } from 'vitest';
import {
  insertedItem,
  itemSize,
  readUnitsOf,
  StoredSizes,
  writeUnitsOf,
} from '../../../../bench/lib/dynamo-capacity.js';

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

  it('charges a BatchGetItem per requested key, each item rounded up to 4 KB, half when eventually consistent', () => {
    const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ pk: { S: `k${i}` } }));
    const input = (consistent: boolean) => ({
      RequestItems: { t: { Keys: keys(4), ConsistentRead: consistent } },
    });
    // two items found (10 B and ~5 KB), two absent: absent keys still cost the minimum
    const output = {
      Responses: { t: [{ pk: { S: 'k0' } }, { pk: { S: 'k1' }, d: { S: 'x'.repeat(5000) } }] },
    };
    expect(readUnitsOf('BatchGetItemCommand', input(false), output)).toBe(0.5 + 1 + 0.5 + 0.5);
    expect(readUnitsOf('BatchGetItemCommand', input(true), output)).toBe(1 + 2 + 1 + 1);
    // the consistency flag of BatchGetItem is per table, not top-level
    expect(
      readUnitsOf('BatchGetItemCommand', { ...input(false), ConsistentRead: true }, output),
    ).toBe(2.5);
  });

  it('does not charge the keys a BatchGetItem returned unprocessed', () => {
    const keys = Array.from({ length: 10 }, (_, i) => ({ pk: { S: `k${i}` } }));
    const output = {
      Responses: { t: [{ pk: { S: 'k0' } }] },
      UnprocessedKeys: { t: { Keys: keys.slice(4) } },
    };
    // 4 keys read: 1 found + 3 absent, 0.5 each
    expect(
      readUnitsOf('BatchGetItemCommand', { RequestItems: { t: { Keys: keys } } }, output),
    ).toBe(2);
  });

  it('charges a projected read on the full size of the item it saw put', () => {
    const sizes = new StoredSizes();
    const big = { pk: { S: 'k0' }, _v: { N: '2' }, d: { S: 'x'.repeat(9000) } };
    sizes.observe('PutItemCommand', { TableName: 't', Item: big });
    const projected = { pk: { S: 'k0' }, _v: { N: '2' } };
    const input = { RequestItems: { t: { Keys: [{ pk: { S: 'k0' } }] } } };
    const output = { Responses: { t: [projected] } };
    expect(readUnitsOf('BatchGetItemCommand', input, output)).toBe(0.5);
    expect(readUnitsOf('BatchGetItemCommand', input, output, sizes.sizeOf)).toBe(1.5);
    expect(
      readUnitsOf(
        'GetItemCommand',
        { TableName: 't', ConsistentRead: true },
        { Item: projected },
        sizes.sizeOf,
      ),
    ).toBe(3);
    // another table, or the item deleted: the returned size again
    expect(
      readUnitsOf(
        'BatchGetItemCommand',
        { RequestItems: { u: input.RequestItems.t } },
        {
          Responses: { u: [projected] },
        },
        sizes.sizeOf,
      ),
    ).toBe(0.5);
    sizes.observe('DeleteItemCommand', { TableName: 't', Key: { pk: { S: 'k0' } } });
    expect(readUnitsOf('BatchGetItemCommand', input, output, sizes.sizeOf)).toBe(0.5);
  });

  it('charges each INSERT statement of a BatchExecuteStatement like the put of its item, refused or not', () => {
    const insert = (bytes: number) => ({
      Statement: `INSERT INTO "t" VALUE {'pk': ?, 'd': ?}`,
      Parameters: [{ S: 'k' }, { S: 'x'.repeat(bytes) }],
    });
    expect(insertedItem(insert(3))).toEqual(item(3));
    expect(
      insertedItem({ Statement: `INSERT INTO "t" VALUE {'it''s': ?}`, Parameters: [{ N: '1' }] }),
    ).toEqual({ "it's": { N: '1' } });
    expect(
      writeUnitsOf('BatchExecuteStatementCommand', {
        Statements: [insert(10), insert(1020), insert(1021)],
      }),
    ).toBe(1 + 1 + 2);
  });

  it('remembers the size of the items INSERT statements stored, not of those refused', () => {
    const sizes = new StoredSizes();
    const statement = (key: string) => ({
      Statement: `INSERT INTO "t" VALUE {'pk': ?, 'd': ?}`,
      Parameters: [{ S: key }, { S: 'x'.repeat(5000) }],
    });
    sizes.observe(
      'BatchExecuteStatementCommand',
      { Statements: [statement('a'), statement('b')] },
      { Responses: [{}, { Error: { Code: 'DuplicateItem' } }] },
    );
    expect(sizes.sizeOf('t', { pk: { S: 'a' } })).toBe(
      itemSize({ pk: { S: 'a' }, d: { S: 'x'.repeat(5000) } }),
    );
    expect(sizes.sizeOf('t', { pk: { S: 'b' } })).toBeUndefined();
  });
});
