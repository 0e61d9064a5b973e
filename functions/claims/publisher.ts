import type { ProducedMessage } from '../adapters/kafka-producer.js';
import type { Decision } from '../core/claims/decide.js';
import type { DecisionPublisher } from '../core/claims/ports.js';
import { claimKey } from '../core/claims/request.js';

/** Header carrying the decision id, so consumers can dedupe without parsing the value. */
export const DECISION_ID_HEADER = 'staysync-decision-id';

/** A decision as a record of `claim-decisions`: keyed like its request, so one value's
 *  decisions stay in order on one partition. */
export const decisionMessage = (topic: string, decision: Decision): ProducedMessage => ({
  topic,
  key: claimKey(decision.namespace, decision.value),
  value: JSON.stringify(decision),
  headers: { [DECISION_ID_HEADER]: decision.decisionId },
});

/** Publishes decisions through a producer (the relay's idempotent KafkaLogProducer). */
export function decisionPublisher(
  producer: { send(messages: readonly ProducedMessage[]): Promise<void> },
  topic: string,
): DecisionPublisher {
  return { publish: (decisions) => producer.send(decisions.map((d) => decisionMessage(topic, d))) };
}
