// The smallest useful Powertools Kafka handler (bundle-size reference): the kafka consumer
// with a zod schema, the Powertools logger, and one DynamoDB PutItem per record.

import { kafkaConsumer, SchemaType } from '@aws-lambda-powertools/kafka';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { EnvVar } from '../../functions/contract/env.js';
import { EnvelopeSchema, type ParsedEnvelope } from './powertools-kafka-decode.js';

const table = process.env[EnvVar.viewTable];
if (table === undefined) throw new Error(`${EnvVar.viewTable} is required`);
const logger = new Logger({ serviceName: 'baseline' });
const client = new DynamoDBClient({});

export const handler = kafkaConsumer<unknown, ParsedEnvelope>(
  async (event) => {
    for (const record of event.records) {
      const { entity, key, version, data } = record.value;
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: marshall({ pk: `${entity}#${key}`, _v: version, data: data ?? {} }),
        }),
      );
    }
    logger.info('batch written', { records: event.records.length });
  },
  { value: { type: SchemaType.JSON, parserSchema: EnvelopeSchema } },
);
