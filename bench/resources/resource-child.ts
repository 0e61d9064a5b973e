/**
 * One fresh process = one Lambda execution environment: imports a sink's handler with its
 * environment (already set by the parent), warms it with a small event, then invokes it
 * once with the measured batch and prints what that invocation used: CPU ms (user + system
 * of the whole process during the call), wall ms, RSS before and the process's RSS
 * high-water mark after (`process.resourceUsage().maxRSS`: the peak, not a sample).
 *
 *   node --import tsx bench/resources/resource-child.ts <handler module> <records> <valueBytes> <topic> <keyPrefix> <maxEventBytes> <firstOffset>
 */
import { pathToFileURL } from 'node:url';
import type { MskEvent } from '../../functions/core/index.js';
import { envelope, type LogRecord, mskEvent, prng } from '../lib/workload.js';

const [moduleArg, recordsArg, bytesArg, topic, prefix, maxBytesArg, offsetArg] =
  process.argv.slice(2);
// every process gets offsets of its own: the ledger checkpoint of an earlier process on the
// same partition would otherwise make the sink skip these records as already applied
const base = Number(offsetArg);
const { handler } = (await import(pathToFileURL(moduleArg as string).href)) as {
  handler: (e: MskEvent) => Promise<unknown>;
};
const random = prng(5);
const records = (n: number, keyPrefix: string, first: number): LogRecord[] =>
  Array.from({ length: n }, (_, i) => {
    const e = envelope(`${keyPrefix}${i}`, 1, random, Number(bytesArg));
    return {
      partition: 0,
      offset: first + i,
      kafkaKey: `${e.entity}:${e.key}`,
      value: JSON.stringify(e),
      duplicate: false,
    };
  });

await handler(mskEvent(topic as string, records(20, `${prefix}warm`, base)));
// the measured batch: `records`, or as many as fit in `maxEventBytes` of event JSON
let batch = records(Number(recordsArg), prefix as string, base + 100);
const maxBytes = Number(maxBytesArg);
if (maxBytes > 0) {
  const perRecord = JSON.stringify(mskEvent(topic as string, batch.slice(0, 100))).length / 100;
  batch = records(Math.floor((maxBytes * 0.98) / perRecord), prefix as string, base + 100);
}
const event = mskEvent(topic as string, batch);
const eventBytes = JSON.stringify(event).length;
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const cpu = process.cpuUsage();
const began = performance.now();
const response = (await handler(event)) as { batchItemFailures?: unknown[] } | null;
const wallMs = performance.now() - began;
const used = process.cpuUsage(cpu);
const failures = response?.batchItemFailures?.length ?? 0;
process.stdout.write(
  `${JSON.stringify({
    records: batch.length,
    eventBytes,
    cpuMs: (used.user + used.system) / 1000,
    wallMs,
    rssBeforeMb: rssBefore / 2 ** 20,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    failures,
  })}\n`,
);
process.exit(0);
