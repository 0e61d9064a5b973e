import type { Kafka, Producer } from 'kafkajs';
import { RetriableError, StaysyncError } from '../core/errors.js';

/** A message as the relay publishes it (mirrors `RelayMessage`; kept here so adapters import no function). */
export interface ProducedMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A kafkajs producer for one process: idempotent (the broker drops a retried batch it
 * already appended, KIP-98), `acks: -1` (every in-sync replica has the record before it
 * counts as sent) and one request in flight per broker, so a retry can never reorder a
 * key's records. Connected on first use and kept across invocations; `kafka` is asked for
 * the client then (an MSK client needs its brokers looked up first), and again after a
 * failed connect.
 */
export class KafkaLogProducer {
  readonly #kafka: () => Kafka | Promise<Kafka>;
  #producer: Producer | undefined;
  #connecting: Promise<Producer> | undefined;

  constructor(kafka: () => Kafka | Promise<Kafka>) {
    this.#kafka = kafka;
  }

  async send(messages: readonly ProducedMessage[]): Promise<void> {
    const byTopic = new Map<string, ProducedMessage[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic);
      if (list === undefined) byTopic.set(m.topic, [m]);
      else list.push(m);
    }
    try {
      const producer = await this.#connected();
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } })),
        })),
      });
    } catch (error) {
      throw asStaysync(error, `producing ${messages.length} record(s)`);
    }
  }

  #connected(): Promise<Producer> {
    if (this.#producer !== undefined) return Promise.resolve(this.#producer);
    this.#connecting ??= (async () => {
      try {
        const producer = (await this.#kafka()).producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
        });
        await producer.connect();
        this.#producer = producer;
        return producer;
      } catch (error) {
        this.#connecting = undefined; // the next send tries again
        throw error;
      }
    })();
    return this.#connecting;
  }
}

/**
 * kafkajs says whether an error may pass (`retriable`: a leader moving, a timeout, a
 * broker not reachable); anything it does not call retriable (an unknown topic with
 * auto-creation off, authorization, a record too large) is not.
 */
function asStaysync(error: unknown, what: string): StaysyncError {
  if (error instanceof StaysyncError) return error;
  const message = `Kafka: ${what} failed: ${(error as Error)?.message ?? String(error)}`;
  // By name and flag, not `instanceof`: kafkajs is CommonJS, and Node's ESM loader does not
  // see its error classes as named exports.
  const kafkaError = error as { name?: unknown; retriable?: unknown } | null;
  if (
    typeof kafkaError?.name === 'string' &&
    kafkaError.name.startsWith('KafkaJS') &&
    kafkaError.retriable === true
  ) {
    return new RetriableError(message, { cause: error });
  }
  // Connection-level failures surface as KafkaJSNonRetriableError after kafkajs's own
  // retries; their cause chain says whether the network was at fault.
  if (isNetworkFailure(error)) return new RetriableError(message, { cause: error });
  return new StaysyncError(message, { retriable: false, cause: error });
}

function isNetworkFailure(error: unknown): boolean {
  for (
    let e = error as { name?: string; cause?: unknown; code?: string } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (
      e.name === 'KafkaJSConnectionError' ||
      e.name === 'KafkaJSRequestTimeoutError' ||
      e.name === 'KafkaJSNumberOfRetriesExceeded' ||
      e.name === 'KafkaJSBrokerNotFound' ||
      e.code === 'ECONNREFUSED'
    ) {
      return true;
    }
  }
  return false;
}
