/**
 * The reference model of claims, written from docs/claims.md and sharing no code with
 * functions/: each partition of the claims topic folded in offset order.
 * - a record that is not a valid request for its key is poison (no decision);
 * - a requestId seen before gets its first decision again when the request is the same
 *   (type, value, owner), and is poison otherwise;
 * - claim: granted if the value is free (the owner takes it) or already the owner's;
 *   refused if someone else holds it;
 * - release: granted if the owner holds it (the value becomes free); refused otherwise.
 */
export interface ModelRecord {
  readonly key: string | null;
  readonly value: string | null;
}

export interface ModelDecision {
  readonly granted: boolean;
  readonly holder: string | null;
}

export interface ClaimsModel {
  /** by requestId */
  readonly decisions: Map<string, ModelDecision>;
  /** by `<namespace>:<value>`: the owner at the end (absent: free) */
  readonly holders: Map<string, string>;
  /** `partition/offset` of the records that are poison */
  readonly poison: Set<string>;
}

export function modelClaims(partitions: ReadonlyMap<number, readonly ModelRecord[]>): ClaimsModel {
  const model: ClaimsModel = { decisions: new Map(), holders: new Map(), poison: new Set() };
  const requests = new Map<string, string>(); // requestId → type/ns/value/owner
  for (const [partition, records] of partitions) {
    records.forEach((r, offset) => {
      let v: Record<string, unknown>;
      try {
        v = JSON.parse(r.value ?? '');
      } catch {
        model.poison.add(`${partition}/${offset}`);
        return;
      }
      const fields = ['type', 'requestId', 'namespace', 'value', 'owner', 'requestedAt'];
      const valid =
        typeof v === 'object' &&
        v !== null &&
        fields.every((f) => typeof v[f] === 'string' && v[f] !== '') &&
        (v.type === 'claim' || v.type === 'release') &&
        r.key === `${v.namespace}:${v.value}`;
      if (!valid) {
        model.poison.add(`${partition}/${offset}`);
        return;
      }
      const id = v.requestId as string;
      const what = `${v.type}/${v.namespace}/${v.value}/${v.owner}`;
      if (requests.has(id)) {
        if (requests.get(id) !== what) model.poison.add(`${partition}/${offset}`);
        return;
      }
      requests.set(id, what);
      const key = r.key as string;
      const owner = v.owner as string;
      const holder = model.holders.get(key);
      let granted: boolean;
      if (v.type === 'claim') {
        granted = holder === undefined || holder === owner;
        if (holder === undefined) model.holders.set(key, owner);
      } else {
        granted = holder === owner;
        if (granted) model.holders.delete(key);
      }
      model.decisions.set(id, { granted, holder: model.holders.get(key) ?? null });
    });
  }
  return model;
}
