import type { Decision, Holder } from '../../../functions/core/claims/decide.js';
import type {
  ClaimStore,
  DecisionPublisher,
  StoredHolder,
} from '../../../functions/core/claims/ports.js';
import type { FaultRunner } from '../core/support/in-memory.js';

/** Holders and decisions in Maps, with the DynamoDB adapter's transaction semantics. */
export class MemoryClaimStore implements ClaimStore {
  readonly holders = new Map<string, { holder: Holder | null; version: number }>();
  /** requestId → the decision as stored (JSON) */
  readonly decisions = new Map<string, string>();

  async readDecision(requestId: string): Promise<Decision | null> {
    const json = this.decisions.get(requestId);
    return json === undefined ? null : (JSON.parse(json) as Decision);
  }
  async readHolder(key: string): Promise<StoredHolder> {
    return this.holders.get(key) ?? { holder: null, version: null };
  }
  async commit(key: string, expected: number | null, holder: Holder | null, decision: Decision) {
    const current = this.holders.get(key);
    if (this.decisions.has(decision.requestId) || (current?.version ?? null) !== expected)
      return 'conflict' as const;
    this.decisions.set(decision.requestId, JSON.stringify(decision));
    this.holders.set(key, { holder, version: decision.decidedAt.offset });
    return 'committed' as const;
  }
}

export const faultyClaimStore = (inner: ClaimStore, faults: FaultRunner): ClaimStore => ({
  readDecision: (id) => faults.run('read decision', () => inner.readDecision(id)),
  readHolder: (key) => faults.run('read holder', () => inner.readHolder(key)),
  commit: (key, expected, holder, decision) =>
    faults.run('commit', () => inner.commit(key, expected, holder, decision)),
});

/** The decisions topic in memory (the bytes published, in order). */
export class MemoryDecisions implements DecisionPublisher {
  readonly published: string[] = [];
  async publish(decisions: readonly Decision[]): Promise<void> {
    for (const d of decisions) this.published.push(JSON.stringify(d));
  }
}

export const faultyPublisher = (
  inner: DecisionPublisher,
  faults: FaultRunner,
): DecisionPublisher => ({
  publish: (decisions) => faults.run('publish', () => inner.publish(decisions)),
});
