import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Strict } from '../../../functions/core/base64.js';

const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.info(`base64 properties: FC_SEED=${SEED}`);

/**
 * The oracle: the strict decoder as first written (RFC 4648 §4 grammar as a regex, then
 * Node's decoder). Any faster implementation must accept and reject exactly the same
 * strings and give the same bytes, non-zero trailing bits included.
 */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const reference = (text: string): Buffer | null =>
  STRICT_BASE64.test(text) ? Buffer.from(text, 'base64') : null;

const expectSameAsReference = (text: string) => {
  const expected = reference(text);
  const actual = decodeBase64Strict(text);
  if (expected === null) expect(actual).toBeNull();
  else expect(actual?.equals(expected)).toBe(true);
};

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Characters Node's lenient decoder treats specially: padding, base64url, whitespace,
 *  NUL, and non-Latin-1 code units whose low byte is an alphabet letter (`Ł` is 0x141). */
const TRICKY = ['=', '-', '_', ' ', '\n', '\r', '\t', '\0', '.', 'é', 'Ł', 'ŁQ', '\u{1F600}'];
const nearBase64Char = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...ALPHABET) },
  { weight: 2, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

const validEncoding = fc
  .uint8Array({ maxLength: 64 })
  .map((b) => Buffer.from(b).toString('base64'));

/** A valid encoding whose last data character carries non-zero trailing bits. */
const nonCanonicalEncoding = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 15 }))
  .filter(([b]) => b.length % 3 !== 0)
  .map(([b, bits]) => {
    const text = Buffer.from(b).toString('base64');
    const pad = b.length % 3 === 1 ? 2 : 1;
    const last = text.length - pad - 1;
    const index = ALPHABET.indexOf(text[last] as string);
    const mask = pad === 2 ? 0b1111 : 0b11;
    const changed = ALPHABET[(index & ~mask) | (bits & mask)] as string;
    return text.slice(0, last) + changed + text.slice(last + 1);
  });

/** A valid encoding with one character replaced, inserted or deleted. */
const mutatedEncoding = fc
  .tuple(
    validEncoding,
    fc.nat(),
    fc.constantFrom('replace', 'insert', 'delete'),
    fc.oneof(fc.constantFrom(...TRICKY), fc.constantFrom(...ALPHABET)),
  )
  .map(([text, at, how, c]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    if (how === 'insert') return text.slice(0, i) + c + text.slice(i);
    if (how === 'delete') return text.slice(0, i) + text.slice(i + 1);
    return text.slice(0, i) + c + text.slice(i + 1);
  });

describe('decodeBase64Strict properties', () => {
  it('accepts every padded standard encoding and gives back its bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const decoded = decodeBase64Strict(Buffer.from(bytes).toString('base64'));
        expect(decoded?.equals(Buffer.from(bytes))).toBe(true);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('accepts non-zero trailing bits and decodes them as Node does', () => {
    fc.assert(
      fc.property(nonCanonicalEncoding, (text) => {
        expect(STRICT_BASE64.test(text)).toBe(true);
        expectSameAsReference(text);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('accepts and rejects exactly what the strict grammar does, for strings made of near-base64 characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: nearBase64Char, maxLength: 40 }), expectSameAsReference),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('accepts and rejects exactly what the strict grammar does, for encodings with one character changed', () => {
    fc.assert(fc.property(mutatedEncoding, expectSameAsReference), {
      seed: SEED,
      numRuns: 3000,
    });
  });

  it('accepts and rejects exactly what the strict grammar does, for arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.string({ unit: 'grapheme', maxLength: 20 }),
        ),
        expectSameAsReference,
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  // Strings past the short-key threshold (64 characters) take the native-checks path.
  it('accepts and rejects exactly what the strict grammar does, for long strings of near-base64 characters', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: nearBase64Char, minLength: 60, maxLength: 400 }),
        expectSameAsReference,
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('accepts and rejects exactly what the strict grammar does, for long encodings with one character changed', () => {
    const longMutated = fc
      .tuple(
        fc.uint8Array({ minLength: 45, maxLength: 1500 }),
        fc.nat(),
        fc.constantFrom('replace', 'insert', 'delete', 'replace-end'),
        fc.constantFrom(...TRICKY, ...ALPHABET),
      )
      .map(([bytes, at, how, c]) => {
        const text = Buffer.from(bytes).toString('base64');
        // 'replace-end' hits the last group and the padding, where defects hide best
        const i = how === 'replace-end' ? text.length - 1 - (at % 4) : at % text.length;
        if (how === 'insert') return text.slice(0, i) + c + text.slice(i);
        if (how === 'delete') return text.slice(0, i) + text.slice(i + 1);
        return text.slice(0, i) + c + text.slice(i + 1);
      });
    fc.assert(fc.property(longMutated, expectSameAsReference), { seed: SEED, numRuns: 3000 });
  });

  it('accepts long encodings with non-zero trailing bits', () => {
    const long = fc
      .tuple(fc.uint8Array({ minLength: 50, maxLength: 300 }), fc.integer({ min: 1, max: 3 }))
      .filter(([b]) => b.length % 3 !== 0)
      .map(([b, bits]) => {
        const text = Buffer.from(b).toString('base64');
        const last = text.length - (b.length % 3 === 1 ? 2 : 1) - 1;
        const changed = ALPHABET[ALPHABET.indexOf(text[last] as string) ^ bits] as string;
        return text.slice(0, last) + changed + text.slice(last + 1);
      });
    fc.assert(
      fc.property(long, (text) => {
        expect(STRICT_BASE64.test(text)).toBe(true);
        expectSameAsReference(text);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it.each([
    `${'QUJD'.repeat(20)}ŁQAA`,
    `ŁQAA${'QUJD'.repeat(20)}`,
    `${'QUJD'.repeat(20)}QU-_`,
    `${'QUJD'.repeat(20)}QUJ\u00e9`,
    `${'QUJD'.repeat(20)}QUJ\ud800`,
    `${'QUJD'.repeat(10)}QQ==${'QUJD'.repeat(10)}`,
    `${'QUJD'.repeat(20)}Q===`,
    `${'QUJD'.repeat(20)}====`,
    `${'QUJD'.repeat(20)}Q=Q=`,
    `${'QUJD'.repeat(20)}QU\nD`,
    ` ${'QUJD'.repeat(20)}QUJ`,
    `${'QUJD'.repeat(20)}QU.=`,
  ])('rejects the long string %j like the strict grammar', (text) => {
    expect(text.length).toBeGreaterThan(64);
    expect(reference(text)).toBeNull();
    expect(decodeBase64Strict(text)).toBeNull();
  });

  it.each([
    'QQ==QQ==',
    'QUJD=',
    'QUJD====',
    '====',
    'QQ=A',
    'Q=Q=',
    'QUJDŁUJD',
    'QUJD\u0141',
    'QUJ\u0141',
    'QU-_',
    'QUJD ',
    ' QUJD',
  ])('rejects %j like the strict grammar', (text) => {
    expect(reference(text)).toBeNull();
    expect(decodeBase64Strict(text)).toBeNull();
  });
});
