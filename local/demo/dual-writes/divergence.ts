/**
 * Which keys a store holds differently from the system of record. Each write of the
 * demo carries a unique sequence number `n`, so "same state" is "same `n`" (a missing
 * item or document counts as different).
 */
export type Snapshot = ReadonlyMap<string, number>;

export function divergentKeys(source: Snapshot, store: Snapshot): string[] {
  const keys = new Set([...source.keys(), ...store.keys()]);
  return [...keys].filter((key) => source.get(key) !== store.get(key)).sort();
}

/** One sample of the timeline: divergent keys per store, at `atMs` since the writes began. */
export interface Sample {
  readonly atMs: number;
  readonly counts: Readonly<Record<string, number>>;
}
