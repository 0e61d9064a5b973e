import type { Kafka } from 'kafkajs';
import { type FetchedRecord, fromKafkaJsMessage } from '../../local/esm/event-builder.js';
import { uniqueName } from './aws.js';

/**
 * Everything in `topic` from offset 0 (at least `expected` records), per partition in offset
 * order, read by a consumer group of its own; fails after 30 s with what it read so far.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  expected: number,
): Promise<FetchedRecord[]> {
  const consumer = kafka.consumer({ groupId: uniqueName(`${topic}-reader`) });
  const records: FetchedRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${records.length}/${expected}`)), 30_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push(fromKafkaJsMessage(topic, partition, 'CREATE_TIME', message));
        if (records.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
