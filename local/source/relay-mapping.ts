/**
 * A relay as the local stack runs it: the real `relay-dynamodb-streams` handler, in this
 * process, driven by the DynamoDB Streams event-source-mapping emulator over a source
 * table's stream (what Lambda's stream poller does for a deployed relay).
 */
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EnvVar } from '../../functions/contract/env.js';
import { createHandler as createRelay } from '../../functions/relay-dynamodb-streams/create-handler.js';
import {
  DynamoDbStreamsEventSourceMapping,
  type StreamMappingOptions,
} from '../esm/dynamodb-streams/stream-event-source-mapping.js';
import { inProcessInvoker } from '../esm/in-process-invoker.js';

export interface RelayMappingOptions {
  readonly client: DynamoDBStreamsClient;
  readonly table: string;
  /** the relay's source without its table (`STAYSYNC_RELAY_SOURCE`) */
  readonly source: Readonly<Record<string, unknown>>;
  /** the local stack's variables (`.local/stack.env`) */
  readonly stack: Readonly<Record<string, string>>;
  readonly quarantineBucket: string;
  readonly settings?: StreamMappingOptions['settings'];
}

export function relayMapping(options: RelayMappingOptions): DynamoDbStreamsEventSourceMapping {
  const relay = createRelay({
    ...options.stack,
    [EnvVar.relaySource]: JSON.stringify({ table: options.table, ...options.source }),
    [EnvVar.quarantineBucket]: options.quarantineBucket,
  });
  return new DynamoDbStreamsEventSourceMapping({
    functionName: `relay-${options.table}`,
    client: options.client,
    source: { tableName: options.table },
    invoker: inProcessInvoker(relay),
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  });
}
