/**
 * The reference model of transfers, written from docs/claims.md ("Transfers") and sharing
 * no code with functions/: each account changes only through records keyed by it, so a
 * fold over each partition in offset order decides everything.
 * - a step (type + requestId) counts once, at its first occurrence in its partition;
 * - `deposit` adds its amount to `account`;
 * - `transfer` takes its amount from `from` if `from` holds at least that much (accepted),
 *   and otherwise changes nothing (refused);
 * - `credit` adds its amount to `to`.
 */
export interface ModelRecord {
  readonly key: string | null;
  readonly value: string | null;
}

export interface ModelOutcome {
  readonly balances: Map<string, number>;
  readonly accepted: Set<string>;
  readonly refused: Set<string>;
  /** requestIds whose credit was applied */
  readonly credited: Set<string>;
  /** total of the distinct deposits */
  readonly deposited: number;
}

export function modelTransfers(partitions: Iterable<readonly ModelRecord[]>): ModelOutcome {
  const out: ModelOutcome = {
    balances: new Map(),
    accepted: new Set(),
    refused: new Set(),
    credited: new Set(),
    deposited: 0,
  };
  let deposited = 0;
  const seen = new Set<string>();
  const add = (account: string, amount: number) =>
    out.balances.set(account, (out.balances.get(account) ?? 0) + amount);
  for (const records of partitions) {
    for (const r of records) {
      let v: {
        type?: string;
        requestId?: string;
        account?: string;
        from?: string;
        to?: string;
        amount?: number;
      };
      try {
        v = JSON.parse(r.value ?? '');
      } catch {
        continue;
      }
      const id = `${v.type}:${v.requestId}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const amount = v.amount ?? 0;
      if (v.type === 'deposit' && v.account !== undefined) {
        add(v.account, amount);
        deposited += amount;
      } else if (v.type === 'transfer' && v.from !== undefined) {
        if ((out.balances.get(v.from) ?? 0) >= amount) {
          add(v.from, -amount);
          out.accepted.add(v.requestId ?? '');
        } else out.refused.add(v.requestId ?? '');
      } else if (v.type === 'credit' && v.to !== undefined) {
        add(v.to, amount);
        out.credited.add(v.requestId ?? '');
      }
    }
  }
  return { ...out, deposited };
}
