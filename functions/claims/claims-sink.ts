import { type Decision, decide, sameRequest } from '../core/claims/decide.js';
import type { ClaimStore, DecisionPublisher } from '../core/claims/ports.js';
import { claimKey, parseClaimRequest } from '../core/claims/request.js';
import { PoisonError, RetriableError } from '../core/errors.js';
import { publishThenSettle, runInLogOrder } from '../core/log-ordered.js';
import type { KafkaRecord } from '../core/record.js';
import type { ApplyContext, Sink, SinkBatch, SinkResult } from '../core/sink.js';

export interface ClaimsSinkOptions {
  readonly name: string;
  readonly store: ClaimStore;
  readonly publisher: DecisionPublisher;
}

interface Decided {
  readonly decision: Decision;
  /** applied: decided now; duplicate: decided before (redelivery, client retry) */
  readonly status: 'applied' | 'duplicate';
}

/**
 * The claims processor (docs/claims.md), driven by the engine like a sink. Each record of
 * a partition, in offset order:
 * 1. a request whose `requestId` already has a decision gets that stored decision again
 *    (a redelivery, a producer duplicate or a client retry: decided once);
 * 2. otherwise it is decided from the value's holder (`decide`), and the decision and the
 *    new holder are stored in one transaction guarded by the holder's version;
 * then the batch's decisions are published, and only then does the engine advance the
 * checkpoint: store → publish → checkpoint. A crash after storing republishes the stored
 * decision (same bytes, same `decisionId`); consumers drop the duplicate.
 */
export class ClaimsSink implements Sink {
  readonly name: string;
  readonly decodes = false;
  readonly #store: ClaimStore;
  readonly #publisher: DecisionPublisher;

  constructor(opts: ClaimsSinkOptions) {
    this.name = opts.name;
    this.#store = opts.store;
    this.#publisher = opts.publisher;
  }

  async apply(batch: SinkBatch, _ctx: ApplyContext): Promise<SinkResult> {
    const { outcomes, handled } = await runInLogOrder(batch.entries, (record) =>
      this.#decide(record),
    );
    const publish =
      handled.length === 0
        ? undefined
        : () => this.#publisher.publish(handled.map((h) => h.value.decision));
    const settled = handled.map((h) => ({ offset: h.offset, status: h.value.status }));
    outcomes.push(...(await publishThenSettle(settled, publish)));
    return { outcomes };
  }

  /** Decides one request (or finds its stored decision) and stores what it decided. */
  async #decide(record: KafkaRecord): Promise<Decided> {
    const offset = record.offset;
    const request = parseClaimRequest(record);
    const stored = await this.#store.readDecision(request.requestId);
    if (stored !== null) {
      if (!sameRequest(stored, request)) {
        throw new PoisonError(
          'request-id-reused',
          `claims: requestId ${request.requestId} was already decided for another request`,
          { context: { topic: record.topic, partition: record.partition, offset } },
        );
      }
      return { decision: stored, status: 'duplicate' };
    }
    const key = claimKey(request.namespace, request.value);
    const current = await this.#store.readHolder(key);
    if (current.version !== null && current.version >= offset) {
      // The store was decided from another log (a recreated topic): deciding on would
      // mix two histories. Quarantine, so an operator sees it, rather than stall.
      throw new PoisonError(
        'store-ahead-of-log',
        `claims: ${key} was decided at offset ${current.version}, at or past ${offset}`,
        { context: { topic: record.topic, partition: record.partition, offset } },
      );
    }
    const next = decide(current.holder, request, record);
    const result = await this.#store.commit(key, current.version, next.holder, next.decision);
    if (result === 'conflict') {
      throw new RetriableError(`claims: ${key} was decided concurrently; re-reading`, {
        context: { topic: record.topic, partition: record.partition, offset },
      });
    }
    return { decision: next.decision, status: 'applied' };
  }
}
