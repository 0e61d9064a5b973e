import { describe, expect, it } from 'vitest';
import { readyShards } from '../../../../../local/esm/dynamodb-streams/shard-lineage.js';

// parent → two children (a split) → a grandchild of the first
const shards = [
  { shardId: 'grandchild', parentShardId: 'child-1' },
  { shardId: 'child-1', parentShardId: 'parent' },
  { shardId: 'child-2', parentShardId: 'parent' },
  { shardId: 'parent' },
];
const ids = (finished: string[]) => readyShards(shards, new Set(finished)).map((s) => s.shardId);

describe('readyShards', () => {
  it('reads a parent before its children, and a child before its own children', () => {
    expect(ids([])).toEqual(['parent']);
    expect(ids(['parent'])).toEqual(['child-1', 'child-2']);
    expect(ids(['parent', 'child-2'])).toEqual(['child-1']);
    expect(ids(['parent', 'child-1'])).toEqual(['grandchild', 'child-2']);
  });

  it('does not wait for a parent that is no longer listed (trimmed)', () => {
    expect(readyShards([{ shardId: 'orphan', parentShardId: 'gone' }], new Set())).toEqual([
      { shardId: 'orphan', parentShardId: 'gone' },
    ]);
  });
});
