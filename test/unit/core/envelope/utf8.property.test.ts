import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8 } from '../../../../functions/core/envelope/fields.js';
import { PoisonError } from '../../../../functions/core/errors.js';

const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.info(`utf-8 properties: FC_SEED=${SEED}`);

const coords = { topic: 't', partition: 0, offset: 7 };

/** The oracle: WHATWG's fatal UTF-8 decoder (a leading BOM is dropped, never U+FFFD). */
const fatal = new TextDecoder('utf-8', { fatal: true });
const reference = (bytes: Uint8Array): string | null => {
  try {
    return fatal.decode(bytes);
  } catch {
    return null;
  }
};

const attempt = (bytes: Buffer): string | PoisonError => {
  try {
    return decodeUtf8(bytes, coords, 'value');
  } catch (err) {
    if (err instanceof PoisonError) return err;
    throw err;
  }
};

/** Fragments that exercise every branch of a UTF-8 validator: BOM, 2/3/4-byte forms,
 *  overlongs, surrogates, code points above U+10FFFF, stray continuation and truncation. */
const FRAGMENTS = [
  [0xef, 0xbb, 0xbf],
  [0xc3, 0xab],
  [0xe2, 0x82, 0xac],
  [0xf0, 0x9f, 0x98, 0x80],
  [0xf4, 0x8f, 0xbf, 0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0x80],
  [0xbf],
  [0xc3],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xff],
  [0x00],
].map((b) => Uint8Array.from(b));

const ascii = fc.uint8Array({ min: 0x20, max: 0x7e, minLength: 1, maxLength: 40 });
/** Byte strings of any length (short keys to values past any size threshold). */
const nearUtf8 = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: ascii },
      { weight: 2, arbitrary: fc.constantFrom(...FRAGMENTS) },
    ),
    { maxLength: 40 },
  )
  .chain((parts) =>
    fc.nat({ max: 600 }).map((padding) => {
      const out = Buffer.concat(parts);
      // pad on either side so long inputs hit the defects at the start, middle and end
      return padding % 2 === 0
        ? Buffer.concat([out, Buffer.alloc(padding, 0x61)])
        : Buffer.concat([Buffer.alloc(padding, 0x61), out]);
    }),
  );

describe('decodeUtf8 properties', () => {
  it('decodes exactly what a fatal UTF-8 decoder decodes, and makes the rest invalid-utf8 poison', () => {
    fc.assert(
      fc.property(
        fc.oneof(nearUtf8, fc.uint8Array({ maxLength: 600 }).map(Buffer.from)),
        (bytes) => {
          const expected = reference(bytes);
          const actual = attempt(bytes);
          if (expected === null) {
            expect(actual).toBeInstanceOf(PoisonError);
            expect((actual as PoisonError).reason).toBe('invalid-utf8');
            expect((actual as PoisonError).message).toBe('value: is not valid UTF-8');
            expect((actual as PoisonError).context).toEqual({ ...coords, field: 'value' });
          } else {
            expect(actual).toBe(expected);
          }
        },
      ),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('drops one leading byte order mark, short or long input alike', () => {
    for (const length of [0, 10, 1000]) {
      const body = 'a'.repeat(length);
      const bom = Buffer.from([0xef, 0xbb, 0xbf]);
      expect(decodeUtf8(Buffer.concat([bom, Buffer.from(body)]), coords, 'value')).toBe(body);
      expect(decodeUtf8(Buffer.concat([bom, bom, Buffer.from(body)]), coords, 'value')).toBe(
        `\ufeff${body}`,
      );
    }
  });
});
