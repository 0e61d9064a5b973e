import type { ApplyContext, Sink, SinkBatch, SinkResult } from '../../../../functions/core/sink.js';
import { applyChange, planKeys, type ViewState } from '../../../../functions/core/view-state.js';
import type { FaultRunner } from './in-memory.js';
import { splitEntries } from './sinks.js';

/**
 * A state sink whose writes can lose races, as the DynamoDB view's do: a `blind` plan is
 * one conditional put (`stored.ev < ev`, checked when the put lands); a `fold` plan reads,
 * folds and compare-and-sets against what it read, re-reading when another writer got
 * there first. Every store call goes through `calls` (a fast-check scheduler in the race
 * properties), so two invocations interleave at any read, put or compare-and-set.
 */
export class RacyStateSink implements Sink {
  readonly decodes = true;
  /** compare-and-sets that found the item changed since their read */
  lost = 0;
  constructor(
    readonly store: Map<string, ViewState>,
    private readonly calls: FaultRunner,
    readonly name = 'view',
  ) {}

  async apply(batch: SinkBatch, _ctx: ApplyContext): Promise<SinkResult> {
    const { outcomes, changes } = splitEntries(batch);
    await Promise.all(
      planKeys(changes).map(async (plan) => {
        for (const c of plan.dropped) outcomes.push({ offset: c.coords.offset, status: 'stale' });
        if (plan.kind === 'blind') {
          const { final } = plan;
          const ev = final.guard.kind === 'version' ? final.guard.ev : Number.NaN;
          const applied = await this.calls.run(`put ${plan.key}`, () => {
            const stored = this.store.get(plan.key);
            if (stored !== undefined && stored.ev >= ev) return false;
            this.store.set(plan.key, applyChange(stored, final) as ViewState);
            return true;
          });
          for (const c of [...plan.superseded, final])
            outcomes.push({ offset: c.coords.offset, status: applied ? 'applied' : 'stale' });
          return;
        }
        for (;;) {
          const stored = await this.calls.run(`read ${plan.key}`, () => this.store.get(plan.key));
          let state = stored;
          const statuses = plan.changes.map((c) => {
            const next = applyChange(state, c);
            const status = next === state ? ('stale' as const) : ('applied' as const);
            state = next;
            return { offset: c.coords.offset, status };
          });
          const won =
            state === stored ||
            (await this.calls.run(`cas ${plan.key}`, () => {
              if (this.store.get(plan.key) !== stored) return false;
              this.store.set(plan.key, state as ViewState);
              return true;
            }));
          if (won) {
            outcomes.push(...statuses);
            return;
          }
          this.lost++;
        }
      }),
    );
    return { outcomes };
  }
}
