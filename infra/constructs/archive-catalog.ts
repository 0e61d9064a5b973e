import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ArchiveCatalogProps {
  readonly stageName: string;
  readonly archive: s3.IBucket;
  readonly prefix: string;
  readonly results: s3.IBucket;
  readonly topics: readonly string[];
  /** Highest partition count among the topics: `partition` projection goes 0..max-1. */
  readonly maxPartitions: number;
  /** First `dt` offered by projection, yyyy-MM-dd. */
  readonly projectionStartDate: string;
}

/**
 * Columns of one archive line (functions/core/archive/line.ts: gzip JSON Lines, one Kafka
 * record per line). `value` is kept as JSON text: it is whatever the producer wrote (an
 * envelope, a Debezium event), so Athena reads it with `json_extract`; `keyencoding` /
 * `valueencoding` are `base64` when the bytes were not UTF-8 (canonical JSON), else null.
 */
export const ARCHIVE_COLUMNS: readonly glue.CfnTable.ColumnProperty[] = [
  { name: 'topic', type: 'string' },
  { name: 'partition', type: 'int' },
  { name: 'offset', type: 'bigint' },
  { name: 'timestamp', type: 'bigint', comment: 'Kafka record timestamp, epoch milliseconds' },
  { name: 'timestamptype', type: 'string', comment: 'CREATE_TIME or LOG_APPEND_TIME' },
  {
    name: 'key',
    type: 'string',
    comment: 'UTF-8 key, or base64 when keyencoding = base64; null without key',
  },
  { name: 'keyencoding', type: 'string' },
  { name: 'headers', type: 'array<struct<key:string,value:string,valueencoding:string>>' },
  {
    name: 'value',
    type: 'string',
    comment: 'JSON text of the value, base64 when valueencoding = base64, null for a tombstone',
  },
  { name: 'valueencoding', type: 'string' },
];

/**
 * A Glue database and table over the archive with partition projection, so Athena can
 * query the archive right after deploy (no crawler, no MSCK REPAIR), and an Athena
 * workgroup whose results are encrypted in their own bucket.
 *
 * Partition keys are `p_topic`, `dt`, `p_partition` (Hive forbids a partition key named like
 * a column, and every line carries `topic` and `partition`); the storage template maps them
 * onto the `topic=/dt=/partition=` key layout of the archive sink.
 */
export class ArchiveCatalog extends Construct {
  readonly databaseName: string;
  readonly tableName = 'archive';
  readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: ArchiveCatalogProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.databaseName = `staysync_${props.stageName.replace(/-/g, '_')}`;
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: this.databaseName, description: 'staysync archive of the Kafka log' },
    });
    const location = `s3://${props.archive.bucketName}/${props.prefix}/`;
    const table = new glue.CfnTable(this, 'Table', {
      catalogId: account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description: 'One row per archived Kafka record',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [
          { name: 'p_topic', type: 'string' },
          { name: 'dt', type: 'string' },
          { name: 'p_partition', type: 'int' },
        ],
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.p_topic.type': 'enum',
          'projection.p_topic.values': props.topics.join(','),
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': `${props.projectionStartDate},NOW`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'projection.p_partition.type': 'integer',
          'projection.p_partition.range': `0,${Math.max(0, props.maxPartitions - 1)}`,
          'storage.location.template': `${location}topic=\${p_topic}/dt=\${dt}/partition=\${p_partition}/`,
        },
        storageDescriptor: {
          location,
          columns: [...ARCHIVE_COLUMNS],
          // TextInputFormat decompresses .gz objects by extension.
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: {
              'ignore.malformed.json': 'true',
              // timestampType -> timestamptype etc.: Glue column names are lowercase.
              'case.insensitive': 'true',
            },
          },
        },
      },
    });
    table.addDependency(database);
    this.workGroupName = `staysync-${props.stageName}`;
    new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'Queries over the staysync archive',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${props.results.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }
}
