import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Metric,
  type MetricName,
  silentLogger,
} from '../../../functions/core/engine/observability.js';
import { DEFAULT_DECODE_LIMITS } from '../../../functions/core/limits.js';
import { decodeMskEvent } from '../../../functions/core/msk-decode.js';
import type { MskEvent } from '../../../functions/core/msk-event.js';
import { createSinkHandler } from '../../../functions/runtime/sink-handler.js';
import { FakeClock, InMemoryLedger, InMemoryQuarantine } from './support/in-memory.js';
import { mskEvent, mskRecord } from './support/msk.js';
import { InMemoryStateSink } from './support/sinks.js';

const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.info(`decoding properties: FC_SEED=${SEED}`);

describe('MSK decoding properties', () => {
  it('gives back exactly the bytes of any key, value and signed-byte header', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.option(fc.uint8Array({ maxLength: 256 })),
        fc.array(fc.integer({ min: -128, max: 127 }), { maxLength: 16 }),
        (key, value, header) => {
          const record = mskRecord({
            offset: 1,
            key: Buffer.from(key),
            value: value === null ? null : Buffer.from(value),
            headers: [{ h: header }],
          });
          const [part] = decodeMskEvent(mskEvent([record]), DEFAULT_DECODE_LIMITS);
          const decoded = part?.records[0];
          expect(decoded?.poison).toBeUndefined();
          expect(decoded?.record.key).toEqual(Buffer.from(key));
          expect(decoded?.record.value).toEqual(value === null ? null : Buffer.from(value));
          expect([...(decoded?.record.headers[0]?.value ?? [])]).toEqual(
            header.map((b) => (b + 256) % 256),
          );
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('never lets a bad record escape the handler: each one is applied or quarantined', async () => {
    const anyBase64ish = fc.oneof(
      fc.string({ maxLength: 40 }).map((s) => Buffer.from(s).toString('base64')),
      fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v)).toString('base64')),
      fc.string({ maxLength: 12 }),
      fc.constantFrom(null, undefined),
    );
    const anyHeaders = fc.oneof(
      fc.constant([]),
      fc.array(
        fc.dictionary(
          fc.string({ maxLength: 5 }),
          fc.array(fc.integer({ min: -300, max: 300 }), { maxLength: 4 }),
        ),
        { maxLength: 2 },
      ),
      fc.anything({ maxDepth: 1 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: anyBase64ish,
            value: anyBase64ish,
            headers: anyHeaders,
            timestamp: fc.oneof(fc.nat(), fc.anything({ maxDepth: 0 })),
          }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        async (fields) => {
          const quarantine = new InMemoryQuarantine();
          const sink = new InMemoryStateSink();
          const counts: Map<MetricName, number>[] = [];
          const handler = createSinkHandler({
            sink,
            ledger: new InMemoryLedger(),
            quarantine,
            pipeline: { topics: {} },
            logger: silentLogger,
            metrics: { publish: (c) => counts.push(new Map(c)) },
            clock: new FakeClock(),
          });
          const records = fields.map((f, offset) => ({ ...mskRecord({ offset }), ...f }));
          const event = {
            eventSource: 'aws:kafka',
            records: { 'customers-0': records },
          } as unknown as MskEvent;
          const response = await handler(event);
          expect(response.batchItemFailures).toEqual([]);
          // Every record has an outcome; the poison ones are in quarantine.
          const n = (m: MetricName) => counts[0]?.get(m) ?? 0;
          expect(n(Metric.applied) + n(Metric.stale) + n(Metric.duplicate) + n(Metric.poison)).toBe(
            records.length,
          );
          expect(quarantine.entries.size).toBe(n(Metric.poison));
          // Every reason names its field first.
          for (const entry of quarantine.entries.values()) {
            expect(entry.error.field).toBeDefined();
            expect(entry.error.message.startsWith(`${entry.error.field}: `)).toBe(true);
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
