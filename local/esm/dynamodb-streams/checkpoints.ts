/**
 * Where a DynamoDB Streams mapping keeps its progress per shard: the sequence number of the
 * last record applied (or handed to the on-failure destination), or {@link SHARD_END} once
 * a closed shard is done. Written only after the function applied the records. In memory by
 * default; give the mapping another store to survive a restart.
 */
export const SHARD_END = 'SHARD_END';

export interface StreamCheckpointStore {
  get(shardId: string): Promise<string | undefined>;
  put(shardId: string, sequenceNumber: string): Promise<void>;
}

export class MemoryCheckpointStore implements StreamCheckpointStore {
  readonly checkpoints = new Map<string, string>();

  async get(shardId: string): Promise<string | undefined> {
    return this.checkpoints.get(shardId);
  }

  async put(shardId: string, sequenceNumber: string): Promise<void> {
    this.checkpoints.set(shardId, sequenceNumber);
  }
}
