/**
 * Which shards of a stream may be read now. DynamoDB Streams split shards: a child holds
 * the changes that follow its parent's, so a key's changes stay in order only when a child
 * is read after its parent has been read to its end ("process the parent shard before the
 * child shard", DynamoDB developer guide, "DynamoDB Streams: Reading and processing a
 * stream"; Lambda does so for its DynamoDB mappings). A parent no longer listed (trimmed
 * after 24 hours) does not hold its children back.
 */
export interface ShardInfo {
  readonly shardId: string;
  readonly parentShardId?: string | undefined;
}

export function readyShards(
  shards: readonly ShardInfo[],
  finished: ReadonlySet<string>,
): ShardInfo[] {
  const listed = new Set(shards.map((s) => s.shardId));
  return shards.filter(
    (s) =>
      !finished.has(s.shardId) &&
      (s.parentShardId === undefined ||
        !listed.has(s.parentShardId) ||
        finished.has(s.parentShardId)),
  );
}
