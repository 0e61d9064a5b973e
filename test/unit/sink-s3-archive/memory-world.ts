/**
 * An in-memory S3 bucket (conditional create, HEAD, ordered listing) and ledger with the
 * semantics the archive relies on, for property tests that run thousands of crash and
 * interleaving scenarios. The same sink runs against moto in test/integration.
 *
 * Every operation passes a `gate` *after* taking effect: a gate that throws models a
 * process that dies before it sees the answer (e.g. between PutObject and checkpoint);
 * a gate that awaits a fast-check scheduler interleaves concurrent invocations.
 */

import type {
  ArchiveObjectStore,
  PutResult,
} from '../../../functions/adapters/s3-archive-store.js';
import type { ArchiveRange } from '../../../functions/core/archive/object.js';
import {
  decodeArchiveObject,
  rangeFromMetadata,
  rangeOfRecords,
} from '../../../functions/core/archive/object.js';
import type { CheckpointRef, Ledger } from '../../../functions/core/ledger.js';
import { checkpointKey } from '../../../functions/core/ledger.js';
import type { Quarantine, QuarantineEntry } from '../../../functions/core/quarantine.js';

export type Gate = (op: string) => Promise<void>;

export class Crash extends Error {
  override readonly name = 'Crash';
}

export interface StoredObject {
  readonly body: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
}

export class World {
  readonly objects = new Map<string, StoredObject>();
  readonly checkpoints = new Map<string, number>();
  readonly quarantined: QuarantineEntry[] = [];
  puts = 0;
}

export class MemoryArchiveStore implements ArchiveObjectStore {
  constructor(
    private readonly world: World,
    private readonly gate: Gate,
  ) {}

  async putIfAbsent(
    key: string,
    body: Uint8Array,
    metadata: Readonly<Record<string, string>>,
  ): Promise<PutResult> {
    this.world.puts++;
    const exists = this.world.objects.has(key);
    if (!exists) this.world.objects.set(key, { body, metadata });
    await this.gate('put');
    return exists ? 'exists' : 'created';
  }

  async inspect(key: string): Promise<ArchiveRange | null> {
    const obj = this.world.objects.get(key);
    await this.gate('head');
    if (obj === undefined) return null;
    return rangeFromMetadata(obj.metadata) ?? rangeOfRecords(await decodeArchiveObject(obj.body));
  }

  async *listKeys(prefix: string, startAfter?: string): AsyncIterable<string> {
    const keys = [...this.world.objects.keys()]
      .filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter))
      .sort();
    await this.gate('list');
    yield* keys;
  }

  async listFolders(prefix: string): Promise<string[]> {
    const folders = new Set<string>();
    for (const k of this.world.objects.keys()) {
      if (!k.startsWith(prefix)) continue;
      const slash = k.indexOf('/', prefix.length);
      if (slash >= 0) folders.add(k.slice(0, slash + 1));
    }
    await this.gate('list');
    return [...folders].sort();
  }
}

export class MemoryLedger implements Ledger {
  constructor(
    private readonly world: World,
    private readonly gate: Gate,
  ) {}

  async readCheckpoint(ref: CheckpointRef): Promise<number | null> {
    const v = this.world.checkpoints.get(checkpointKey(ref));
    await this.gate('read-checkpoint');
    return v ?? null;
  }

  async advanceCheckpoint(ref: CheckpointRef, offset: number): Promise<boolean> {
    const k = checkpointKey(ref);
    const cur = this.world.checkpoints.get(k);
    const ok = cur === undefined || cur < offset;
    if (ok) this.world.checkpoints.set(k, offset);
    await this.gate('advance-checkpoint');
    return ok;
  }
}

export class MemoryQuarantine implements Quarantine {
  constructor(private readonly world: World) {}
  async put(entries: readonly QuarantineEntry[]): Promise<void> {
    this.world.quarantined.push(...entries);
  }
}
