import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requireTimestamp } from '../../../../functions/core/envelope/fields.js';
import { PoisonError } from '../../../../functions/core/errors.js';

const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.info(`timestamp properties: FC_SEED=${SEED}`);

const coords = { topic: 't', partition: 0, offset: 3 };

/** The oracle: the check as first written (the ISO-8601 shape, then Date.parse). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const reference = (v: string): boolean => ISO_8601.test(v) && Number.isFinite(Date.parse(v));

const accepts = (v: string): boolean => {
  try {
    return requireTimestamp({ ts: v }, 'ts', coords) === v;
  } catch (err) {
    if (err instanceof PoisonError && err.reason === 'invalid-field') return false;
    throw err;
  }
};

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
/** Date-times near the accepted shape: out-of-range fields, calendar edges (Feb 29/30,
 *  the 31st of short months, year 0000), every zone form, fractions of 0 to 10 digits. */
const nearInstant = fc
  .tuple(
    fc.oneof(
      fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, '0')),
      fc.constantFrom('0000', '1900', '2000', '2024', '2100', '275760', '999'),
    ),
    two(13),
    fc.oneof(two(32), fc.constantFrom('28', '29', '30', '31')),
    two(25),
    two(60),
    fc.option(two(61)),
    fc.option(fc.string({ unit: fc.constantFrom('0', '1', '9'), minLength: 0, maxLength: 10 })),
    fc.oneof(
      fc.constantFrom('Z', 'z', '', '+00:00', '-00:00', '+0530', '+05:3', 'UTC', ' Z'),
      fc
        .tuple(fc.constantFrom('+', '-'), two(25), fc.constantFrom(':', ''), two(60))
        .map((p) => p.join('')),
    ),
    fc.constantFrom('T', 't', ' '),
  )
  .map(
    ([y, mo, d, h, mi, s, frac, zone, sep]) =>
      `${y}-${mo}-${d}${sep}${h}:${mi}${s === null ? '' : `:${s}${frac === null ? '' : `.${frac}`}`}${zone}`,
  );

/** A near instant with one character replaced, inserted or removed. */
const mutated = fc
  .tuple(
    nearInstant,
    fc.nat(),
    fc.constantFrom('replace', 'insert', 'delete'),
    fc.string({ minLength: 1, maxLength: 1 }),
  )
  .map(([text, at, how, c]) => {
    const i = at % (text.length + 1);
    if (how === 'insert') return text.slice(0, i) + c + text.slice(i);
    if (how === 'delete') return text.slice(0, i) + text.slice(i + 1);
    return text.slice(0, i) + c + text.slice(i + 1);
  });

describe('requireTimestamp properties', () => {
  it('accepts exactly what the ISO-8601 shape and Date.parse accept, for near-ISO date-times', () => {
    fc.assert(
      fc.property(fc.oneof(nearInstant, mutated), (v) => {
        expect(accepts(v)).toBe(reference(v));
      }),
      { seed: SEED, numRuns: 20_000 },
    );
  });

  it('accepts every instant toISOString writes in years 0000 to 9999', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (d) => {
          expect(accepts(d.toISOString())).toBe(true);
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it.each([
    '2026-02-29T10:00:00Z',
    '2026-04-31T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T24:00:01Z',
    '2026-01-01T10:00:00+24:00',
    '2026-01-01T10:00:00+0530',
    '2026-01-01T10:00:00.1234567Z',
    '2024-02-29T10:00:00Z',
    '2026-11-26T10:00Z',
  ])('decides %j as the ISO-8601 shape and Date.parse do', (v) => {
    expect(accepts(v)).toBe(reference(v));
  });
});
