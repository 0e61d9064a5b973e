import { type Decision, decide, sameRequest } from '../core/claims/decide.js';
import type { ClaimStore, DecisionPublisher } from '../core/claims/ports.js';
import { claimKey, parseClaimRequest } from '../core/claims/request.js';
import { PoisonError, RetriableError, StaysyncError } from '../core/errors.js';
import type { ApplyContext, RecordOutcome, Sink, SinkBatch, SinkResult } from '../core/sink.js';

export interface ClaimsSinkOptions {
  readonly name: string;
  readonly store: ClaimStore;
  readonly publisher: DecisionPublisher;
}

interface Decided {
  readonly offset: number;
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
    const outcomes: RecordOutcome[] = [];
    const decided: Decided[] = [];
    let failed: StaysyncError | undefined;
    for (const { record } of batch.entries) {
      const offset = record.offset;
      // A later request of this partition may depend on the failed one: keep log order.
      if (failed !== undefined) {
        outcomes.push({ offset, status: 'retry', error: failed });
        continue;
      }
      try {
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
          decided.push({ offset, decision: stored, status: 'duplicate' });
          continue;
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
        decided.push({ offset, decision: next.decision, status: 'applied' });
      } catch (err) {
        if (err instanceof PoisonError) {
          outcomes.push({ offset, status: 'poison', error: err });
        } else if (err instanceof StaysyncError && err.retriable) {
          failed = err;
          outcomes.push({ offset, status: 'retry', error: err });
        } else {
          throw err;
        }
      }
    }
    outcomes.push(...(await this.#publish(decided)));
    return { outcomes };
  }

  /** Publishes what was decided; if that fails retriably, all of it is retried (re-read,
   *  republished: the stored decisions make the retry identical). */
  async #publish(decided: readonly Decided[]): Promise<RecordOutcome[]> {
    if (decided.length === 0) return [];
    try {
      await this.#publisher.publish(decided.map((d) => d.decision));
    } catch (err) {
      if (!(err instanceof StaysyncError) || !err.retriable) throw err;
      return decided.map((d) => ({ offset: d.offset, status: 'retry', error: err }));
    }
    return decided.map((d) => ({ offset: d.offset, status: d.status }));
  }
}
