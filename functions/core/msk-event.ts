/**
 * The Kafka event as Lambda delivers it for an Amazon MSK (`aws:kafka`) or a
 * self-managed Kafka (`SelfManagedKafka`) event source mapping.
 * Keys and values are base64; header values are arrays of Java *signed* bytes.
 */
export interface MskEventRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  /** base64; absent for records produced without a key */
  readonly key?: string | null;
  /** base64; absent or null for a tombstone */
  readonly value?: string | null;
  readonly headers?: ReadonlyArray<Readonly<Record<string, ReadonlyArray<number>>>>;
  /** set when the mapping's schema registry integration decoded the key (see below) */
  readonly keySchemaMetadata?: MskSchemaMetadata;
  /** set when the mapping's schema registry integration decoded the value */
  readonly valueSchemaMetadata?: MskSchemaMetadata;
}

/**
 * What the event source mapping's schema registry integration adds to a record it
 * validated: the format and the registry's id of the schema the bytes were written with.
 * With `EventRecordFormat` `JSON` the key/value it decoded arrive as base64 of JSON text
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html).
 */
export interface MskSchemaMetadata {
  /** `AVRO`, `PROTOBUF` or `JSON` */
  readonly dataFormat: string;
  /** Confluent: the numeric id as a string; AWS Glue: the schema version UUID */
  readonly schemaId?: string;
}

export interface MskEvent {
  readonly eventSource: 'aws:kafka' | 'SelfManagedKafka' | (string & {});
  readonly eventSourceArn?: string;
  readonly bootstrapServers?: string;
  /** grouped by `"<topic>-<partition>"` */
  readonly records: Readonly<Record<string, ReadonlyArray<MskEventRecord>>>;
}

/** The partial batch response Lambda honours when `ReportBatchItemFailures` is on. */
export interface MskBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: { partition: string; offset: number } }>;
}
