/**
 * DynamoDB Streams I/O for the mapping, and nothing else: find a table's stream, list its
 * shards (every DescribeStream page), get shard iterators, read pages of records.
 */
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { ShardInfo } from './shard-lineage.js';

export type ShardPosition =
  | { readonly type: 'TRIM_HORIZON' | 'LATEST' }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

export interface RecordsPage {
  readonly records: readonly _Record[];
  /** undefined: the shard is closed and read to its end */
  readonly next: string | undefined;
}

/** The newest stream of a table (a table re-enabling its stream gets a new one). */
export async function latestStreamArn(
  client: DynamoDBStreamsClient,
  tableName: string,
): Promise<string> {
  const listed = await client.send(new ListStreamsCommand({ TableName: tableName }));
  const arn = listed.Streams?.map((s) => s.StreamArn ?? '')
    .filter((a) => a !== '')
    .sort()
    .at(-1);
  if (arn === undefined) throw new Error(`table ${tableName} has no stream`);
  return arn;
}

export class StreamReader {
  constructor(
    private readonly client: DynamoDBStreamsClient,
    readonly streamArn: string,
  ) {}

  async shards(): Promise<ShardInfo[]> {
    const shards: ShardInfo[] = [];
    let start: string | undefined;
    do {
      const page = await this.client.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: start }),
      );
      for (const shard of page.StreamDescription?.Shards ?? []) {
        if (shard.ShardId === undefined) continue;
        shards.push({ shardId: shard.ShardId, parentShardId: shard.ParentShardId });
      }
      start = page.StreamDescription?.LastEvaluatedShardId;
    } while (start !== undefined);
    return shards;
  }

  async iterator(shardId: string, position: ShardPosition): Promise<string | undefined> {
    const answer = await this.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shardId,
        ShardIteratorType: position.type,
        ...(position.type === 'AFTER_SEQUENCE_NUMBER'
          ? { SequenceNumber: position.sequenceNumber }
          : {}),
      }),
    );
    return answer.ShardIterator;
  }

  async read(iterator: string, limit: number): Promise<RecordsPage> {
    const page = await this.client.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }),
    );
    return { records: page.Records ?? [], next: page.NextShardIterator };
  }
}
