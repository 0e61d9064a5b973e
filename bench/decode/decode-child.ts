/**
 * Runs in a fresh Node process (one thread of JavaScript: "one core"): times the three
 * decode paths over the same 10,000-record MSK event, interleaved round by round so load
 * from other processes hits all three alike. Prints one JSON line on stdout.
 *
 * argv: <records> <rounds> <valueBytes> [only-path]
 */

import { parsePipelineConfig } from '../../functions/contract/pipeline.js';
import {
  type Change,
  DEFAULT_DECODE_LIMITS,
  decodeMskEvent,
  type MskEvent,
  planKeys,
  toBatchEntry,
} from '../../functions/core/index.js';
import { powertoolsDecode } from '../baselines/powertools-kafka-decode.js';
import { envelope, type LogRecord, mskEvent, prng } from '../lib/workload.js';

export const DecodePaths = ['raw', 'staysync', 'powertools'] as const;
export type DecodePath = (typeof DecodePaths)[number];

const [recordsArg, roundsArg, bytesArg, only] = process.argv.slice(2);
const records = Number(recordsArg ?? 10_000);
const rounds = Number(roundsArg ?? 9);
const valueBytes = Number(bytesArg ?? 1000);

/** 10,000 changes to 5,000 keys (two versions each) over 4 partitions, keyed by entity. */
function buildEvent(): MskEvent {
  const random = prng(42);
  const keys = Math.max(1, Math.floor(records / 2));
  const log: LogRecord[] = [];
  const nextOffset = [0, 0, 0, 0];
  for (let i = 0; i < records; i++) {
    const k = i % keys;
    const partition = k % 4;
    const key = `c${k}`;
    const env = envelope(key, Math.floor(i / keys) + 1, random, valueBytes);
    const offset = nextOffset[partition] ?? 0;
    nextOffset[partition] = offset + 1;
    log.push({
      partition,
      offset,
      kafkaKey: `customer:${key}`,
      value: JSON.stringify(env),
      duplicate: false,
    });
  }
  log.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  return mskEvent('bench-decode', log);
}

const event = buildEvent();
const pipeline = parsePipelineConfig(undefined);
const limits = DEFAULT_DECODE_LIMITS;

function raw(e: MskEvent): number {
  let n = 0;
  for (const group of Object.values(e.records)) {
    for (const r of group) {
      const value = JSON.parse(Buffer.from(r.value as string, 'base64').toString('utf8')) as {
        key?: string;
      };
      if (value.key !== undefined) n++;
    }
  }
  return n;
}

function staysync(e: MskEvent): number {
  let n = 0;
  for (const part of decodeMskEvent(e, limits)) {
    const changes: Change[] = [];
    for (const decoded of part.records) {
      const entry = toBatchEntry(decoded, true, pipeline, limits);
      if (entry.change !== undefined) changes.push(entry.change);
    }
    n += planKeys(changes).length > 0 ? changes.length : 0;
  }
  return n;
}

const powertools = (e: MskEvent): Promise<number> => powertoolsDecode(e, {});

const paths: Record<DecodePath, (e: MskEvent) => number | Promise<number>> = {
  raw,
  staysync,
  powertools,
};
const selected = DecodePaths.filter((p) => only === undefined || only === p);

// Correctness first: every path must see every record as valid.
for (const p of selected) {
  const n = await paths[p](event);
  if (n !== records) throw new Error(`decode bench: ${p} validated ${n} of ${records} records`);
}

const samples: Record<string, number[]> = Object.fromEntries(selected.map((p) => [p, []]));
const WARMUP = 2;
for (let round = 0; round < rounds + WARMUP; round++) {
  // rotate the order each round so no path always runs right after a GC-heavy one
  const order = selected.map((_, i) => selected[(i + round) % selected.length] as DecodePath);
  for (const p of order) {
    const t0 = process.hrtime.bigint();
    await paths[p](event);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (round >= WARMUP) (samples[p] as number[]).push(records / (ms / 1000));
  }
}
const valueSize = Buffer.from(
  (Object.values(event.records)[0]?.[0]?.value ?? '') as string,
  'base64',
).length;
process.stdout.write(`${JSON.stringify({ records, rounds, valueBytes: valueSize, samples })}\n`);
