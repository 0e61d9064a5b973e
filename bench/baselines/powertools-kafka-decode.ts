/**
 * The Powertools way to decode and validate the same MSK events: the
 * `@aws-lambda-powertools/kafka` consumer with a JSON value schema and a zod parser schema
 * equivalent to staysync's native-envelope checks (DESIGN §3.1). Every record's key and
 * value are read (the consumer decodes lazily, on access).
 */
import { kafkaConsumer, SchemaType } from '@aws-lambda-powertools/kafka';
import type { SchemaConfig } from '@aws-lambda-powertools/kafka/types';
import { z } from 'zod';
import type { MskEvent } from '../../functions/core/index.js';

export const EnvelopeSchema = z.object({
  id: z.string().min(1).max(512),
  entity: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/),
  key: z.string().min(1).max(1024),
  op: z.enum(['upsert', 'patch', 'delete']),
  version: z
    .number()
    .int()
    .min(0)
    .max(2 ** 52 - 1),
  ts: z.iso.datetime({ offset: true }),
  data: z.record(z.string(), z.unknown()).optional(),
});

export type ParsedEnvelope = z.infer<typeof EnvelopeSchema>;

const schemaConfig = {
  value: { type: SchemaType.JSON, parserSchema: EnvelopeSchema },
} satisfies SchemaConfig;

/** Decodes and validates every record; resolves with how many records were valid. */
export const powertoolsDecode = kafkaConsumer<unknown, ParsedEnvelope>(async (event) => {
  let valid = 0;
  for (const record of event.records) {
    const key = record.key;
    const value = record.value;
    if (key !== undefined && value.key.length > 0) valid++;
  }
  return valid;
}, schemaConfig) as unknown as (event: MskEvent, context: unknown) => Promise<number>;
