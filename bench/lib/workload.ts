import type { MskEvent, MskEventRecord } from '../../functions/core/index.js';
/**
 * Deterministic workloads: native change envelopes (DESIGN §3.1) of about 1 KB, and the
 * MSK events Lambda would deliver for them (base64 key/value, `topic-partition` groups).
 */

/** Small, fast, seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Envelope {
  readonly id: string;
  readonly entity: string;
  readonly key: string;
  readonly op: 'upsert';
  readonly version: number;
  readonly ts: string;
  readonly data: Record<string, unknown>;
}

const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike'.split(
  ' ',
);

/** An upsert envelope whose JSON is close to `targetBytes` (default ~1 KB). */
export function envelope(
  key: string,
  version: number,
  random: () => number,
  targetBytes = 1000,
): Envelope {
  const pick = () => WORDS[Math.floor(random() * WORDS.length)] as string;
  const data: Record<string, unknown> = {
    name: `${pick()} ${pick()}`,
    email: `${key}@example.com`,
    tier: random() < 0.2 ? 'gold' : 'standard',
    balance: Math.round(random() * 1e6) / 100,
    active: random() < 0.9,
    tags: [pick(), pick(), pick()],
    address: {
      street: `${Math.floor(random() * 999)} ${pick()} street`,
      city: pick(),
      zip: `${10000 + Math.floor(random() * 89999)}`,
    },
    notes: '',
  };
  const base: Envelope = {
    id: `evt-${key}-v${version}-${Math.floor(random() * 1e9).toString(36)}`,
    entity: 'customer',
    key,
    op: 'upsert',
    version,
    ts: new Date(Date.UTC(2026, 10, 26, 10, 0, 0) + version * 1000).toISOString(),
    data,
  };
  const missing = targetBytes - Buffer.byteLength(JSON.stringify(base));
  if (missing > 0) {
    let notes = '';
    while (notes.length < missing) notes += `${pick()} `;
    data.notes = notes.slice(0, missing);
  }
  return base;
}

export interface LogRecord {
  readonly partition: number;
  readonly offset: number;
  readonly kafkaKey: string;
  /** JSON text of the envelope */
  readonly value: string;
  /** true when this record re-sends an envelope already published (same id and version) */
  readonly duplicate: boolean;
}

/**
 * `count` records on one partition: each is, with probability `duplicateShare`, a re-send
 * of an envelope published earlier in the log (the producer retried, or the source
 * re-emitted it: same id, key and version, new offset); otherwise a change to a new key.
 */
export function duplicateLog(options: {
  count: number;
  duplicateShare: number;
  seed: number;
  partition?: number;
  firstOffset?: number;
  keyPrefix?: string;
  valueBytes?: number;
}): LogRecord[] {
  const random = prng(options.seed);
  const partition = options.partition ?? 0;
  const first = options.firstOffset ?? 0;
  const prefix = options.keyPrefix ?? 'c';
  const fresh: Array<{ kafkaKey: string; value: string }> = [];
  const log: LogRecord[] = [];
  for (let i = 0; i < options.count; i++) {
    const offset = first + i;
    if (fresh.length > 0 && random() < options.duplicateShare) {
      const again = fresh[Math.floor(random() * fresh.length)] as {
        kafkaKey: string;
        value: string;
      };
      log.push({ partition, offset, ...again, duplicate: true });
      continue;
    }
    const key = `${prefix}${i}`;
    const env = envelope(key, 1, random, options.valueBytes);
    const rec = { kafkaKey: `customer:${key}`, value: JSON.stringify(env) };
    fresh.push(rec);
    log.push({ partition, offset, ...rec, duplicate: false });
  }
  return log;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export function mskRecord(topic: string, r: LogRecord, timestamp = Date.now()): MskEventRecord {
  return {
    topic,
    partition: r.partition,
    offset: r.offset,
    timestamp,
    timestampType: 'CREATE_TIME',
    key: b64(r.kafkaKey),
    value: b64(r.value),
    headers: [],
  };
}

/** One MSK event holding `records` (grouped by partition, ascending offsets). */
export function mskEvent(topic: string, records: readonly LogRecord[]): MskEvent {
  const groups: Record<string, MskEventRecord[]> = {};
  const now = Date.now();
  for (const r of records) {
    const id = `${topic}-${r.partition}`;
    const list = groups[id] ?? [];
    list.push(mskRecord(topic, r, now));
    groups[id] = list;
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn:
      'arn:aws:kafka:us-east-1:000000000000:cluster/staysync-bench/00000000-0000-0000-0000-000000000000-1',
    bootstrapServers: 'b-1.bench.kafka.us-east-1.amazonaws.com:9098',
    records: groups,
  };
}

/** Splits a log into consecutive batches of `size` records (one invocation each). */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
