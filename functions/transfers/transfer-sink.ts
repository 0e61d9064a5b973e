import { RetriableError } from '../core/errors.js';
import { publishThenSettle, runInLogOrder } from '../core/log-ordered.js';
import type { KafkaRecord } from '../core/record.js';
import type { ApplyContext, Sink, SinkBatch, SinkResult } from '../core/sink.js';
import type { StepPublisher, TransferStore } from '../core/transfers/ports.js';
import {
  creditOf,
  decideStep,
  parseTransferStep,
  type StepOutcome,
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
    const { outcomes, handled } = await runInLogOrder(batch.entries, (record) =>
      this.#step(record),
    );
    const emits = handled.flatMap((h) => h.value.emits);
    const publish =
      emits.length === 0 ? undefined : () => this.#publisher.publish(batch.topic, emits);
    const settled = handled.map((h) => ({ offset: h.offset, status: h.value.status }));
    outcomes.push(...(await publishThenSettle(settled, publish)));
    return { outcomes };
  }

  /** Commits one step (or finds it committed) and returns the credit it emits, if any. */
  async #step(
    record: KafkaRecord,
  ): Promise<{ status: 'applied' | 'duplicate'; emits: TransferStep[] }> {
    const step = parseTransferStep(record);
    const stored = await this.#store.readOutcome(step);
    if (stored !== null) {
      return { status: 'duplicate', emits: creditIfAccepted(step, stored) };
    }
    const decision = decideStep(await this.#store.readBalance(subjectOf(step)), step);
    const result = await this.#store.commit(step, decision);
    if (result === 'conflict') {
      throw new RetriableError(`transfers: ${subjectOf(step)} changed meanwhile`, {
        context: { topic: record.topic, partition: record.partition, offset: record.offset },
      });
    }
    // `duplicate`: an earlier attempt committed between our read and our commit
    if (result === 'duplicate') {
      return {
        status: 'duplicate',
        emits: creditIfAccepted(step, await this.#store.readOutcome(step)),
      };
    }
    return { status: 'applied', emits: decision.emit === null ? [] : [decision.emit] };
  }
}

/** A committed transfer's credit, emitted again for a duplicate of an accepted debit. */
const creditIfAccepted = (step: TransferStep, outcome: StepOutcome | null): TransferStep[] =>
  outcome === 'applied' && step.type === 'transfer' ? [creditOf(step)] : [];
