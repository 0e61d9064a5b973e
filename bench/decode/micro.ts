/**
 * Where the staysync decode path spends its time, piece by piece (µs per record over the
 * same 10,000 ~1 KB records), next to the native pieces it is built from. Not part of
 * `npm run bench`; run it alone, under the bench lock:
 * `flock /tmp/staysync-bench.lock npx tsx bench/decode/micro.ts`.
 */
import { isUtf8 } from 'node:buffer';
import {
  DEFAULT_DECODE_LIMITS,
  decodeBase64Strict,
  decodeChange,
  decodeRecord,
  decodeUtf8,
  type MskEventRecord,
} from '../../functions/core/index.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../functions/core/limits.js';
import { median } from '../lib/stats.js';
import { envelope, mskEvent, prng } from '../lib/workload.js';

const random = prng(1);
const log = Array.from({ length: 10_000 }, (_, i) => ({
  partition: 0,
  offset: i,
  kafkaKey: `customer:c${i}`,
  value: JSON.stringify(envelope(`c${i}`, 1, random)),
  duplicate: false,
}));
const recs = mskEvent('t', log).records['t-0'] as MskEventRecord[];
const values = recs.map((r) => r.value as string);
const keys = recs.map((r) => r.key as string);
const coords = { topic: 't', partition: 0, offset: 0 };
const decoded = recs.map((r) => decodeRecord(r, DEFAULT_DECODE_LIMITS).record);
const buffers = values.map((v) => Buffer.from(v, 'base64'));
const texts = buffers.map((b) => b.toString('utf8'));
const parsed = texts.map((t) => JSON.parse(t) as object);
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

const settings = { versioning: 'source', format: 'auto' } as const;
const cases: Record<string, () => number> = {
  'raw: Buffer.from + toString + JSON.parse': () =>
    values.reduce((n, v) => n + (JSON.parse(Buffer.from(v, 'base64').toString('utf8')) ? 1 : 0), 0),
  'Buffer.from(base64)': () => values.reduce((n, v) => n + Buffer.from(v, 'base64').length, 0),
  'STRICT_BASE64 regex test': () => values.reduce((n, v) => n + (STRICT_BASE64.test(v) ? 1 : 0), 0),
  'decodeBase64Strict (value)': () =>
    values.reduce((n, v) => n + (decodeBase64Strict(v)?.length ?? 0), 0),
  'decodeBase64Strict (key)': () =>
    keys.reduce((n, k) => n + (decodeBase64Strict(k)?.length ?? 0), 0),
  'decodeRecord (msk-decode, per record)': () =>
    recs.reduce((n, r) => n + (decodeRecord(r, DEFAULT_DECODE_LIMITS).poison ? 0 : 1), 0),
  'TextDecoder fatal': () => buffers.reduce((n, b) => n + fatalUtf8.decode(b).length, 0),
  'Buffer toString utf8': () => buffers.reduce((n, b) => n + b.toString('utf8').length, 0),
  'isUtf8 + toString': () => buffers.reduce((n, b) => n + (isUtf8(b) ? b.toString().length : 0), 0),
  decodeUtf8: () => buffers.reduce((n, b) => n + decodeUtf8(b, coords, 'value').length, 0),
  'JSON.parse': () => texts.reduce((n, t) => n + (JSON.parse(t) ? 1 : 0), 0),
  nestsDeeperThan: () =>
    parsed.reduce((n, p) => n + (nestsDeeperThan(p, MAX_JSON_DEPTH) ? 0 : 1), 0),
  'decodeChange (utf8 + JSON.parse + envelope checks)': () =>
    decoded.reduce((n, d) => n + (decodeChange(d, settings, DEFAULT_DECODE_LIMITS) ? 1 : 0), 0),
};

// the strict decoder must accept every value, with the bytes Node's decoder gives
for (const v of values) {
  if (!STRICT_BASE64.test(v) || !decodeBase64Strict(v)?.equals(Buffer.from(v, 'base64'))) {
    throw new Error('decodeBase64Strict disagrees with the strict grammar');
  }
}

const samples: Record<string, number[]> = {};
for (let round = 0; round < 9; round++) {
  for (const [name, f] of Object.entries(cases)) {
    const t0 = performance.now();
    f();
    const us = ((performance.now() - t0) * 1000) / recs.length;
    if (round >= 2) {
      const list = samples[name] ?? [];
      list.push(us);
      samples[name] = list;
    }
  }
}
for (const [name, list] of Object.entries(samples))
  console.log(`${median(list).toFixed(2).padStart(8)} µs/record  ${name}`);
