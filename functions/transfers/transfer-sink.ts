import { PoisonError, RetriableError, StaysyncError } from '../core/errors.js';
import type { ApplyContext, RecordOutcome, Sink, SinkBatch, SinkResult } from '../core/sink.js';
import type { StepPublisher, TransferStore } from '../core/transfers/ports.js';
import {
  creditOf,
  decideStep,
  parseTransferStep,
  subjectOf,
  type TransferStep,
} from '../core/transfers/step.js';

export interface TransferSinkOptions {
  readonly name: string;
  readonly store: TransferStore;
  readonly publisher: StepPublisher;
}

/**
 * The transfers processor (docs/claims.md, "Transfers"): one step per record, in offset
 * order per partition. A step already committed (its marker exists) is a duplicate whose
 * credit, for an accepted debit, is emitted again; otherwise it is decided from the
 * subject's balance and committed with its marker in one transaction (the aggregates'
 * rule: the effect and the marker move together). The batch's credits are published
 * before the engine advances the checkpoint: commit → publish → checkpoint.
 */
export class TransferSink implements Sink {
  readonly name: string;
  readonly decodes = false;
  readonly #store: TransferStore;
  readonly #publisher: StepPublisher;

  constructor(opts: TransferSinkOptions) {
    this.name = opts.name;
    this.#store = opts.store;
    this.#publisher = opts.publisher;
  }

  async apply(batch: SinkBatch, _ctx: ApplyContext): Promise<SinkResult> {
    const outcomes: RecordOutcome[] = [];
    const done: Array<{ offset: number; status: 'applied' | 'duplicate' }> = [];
    const emits: TransferStep[] = [];
    let failed: StaysyncError | undefined;
    for (const { record } of batch.entries) {
      const offset = record.offset;
      if (failed !== undefined) {
        outcomes.push({ offset, status: 'retry', error: failed });
        continue;
      }
      try {
        const step = parseTransferStep(record);
        const stored = await this.#store.readOutcome(step);
        if (stored !== null) {
          if (stored === 'applied' && step.type === 'transfer') emits.push(creditOf(step));
          done.push({ offset, status: 'duplicate' });
          continue;
        }
        const decision = decideStep(await this.#store.readBalance(subjectOf(step)), step);
        const result = await this.#store.commit(step, decision);
        if (result === 'conflict') {
          throw new RetriableError(`transfers: ${subjectOf(step)} changed meanwhile`, {
            context: { topic: record.topic, partition: record.partition, offset },
          });
        }
        // `duplicate`: an earlier attempt committed between our read and our commit
        if (result === 'duplicate') {
          const again = await this.#store.readOutcome(step);
          if (again === 'applied' && step.type === 'transfer') emits.push(creditOf(step));
        } else if (decision.emit !== null) emits.push(decision.emit);
        done.push({ offset, status: result === 'committed' ? 'applied' : 'duplicate' });
      } catch (err) {
        if (err instanceof PoisonError) outcomes.push({ offset, status: 'poison', error: err });
        else if (err instanceof StaysyncError && err.retriable) {
          failed = err;
          outcomes.push({ offset, status: 'retry', error: err });
        } else throw err;
      }
    }
    if (emits.length > 0) {
      try {
        await this.#publisher.publish(batch.topic, emits);
      } catch (err) {
        if (!(err instanceof StaysyncError) || !err.retriable) throw err;
        return { outcomes: [...outcomes, ...done.map((d) => retry(d.offset, err))] };
      }
    }
    return { outcomes: [...outcomes, ...done] };
  }
}

const retry = (offset: number, error: StaysyncError): RecordOutcome => ({
  offset,
  status: 'retry',
  error,
});
