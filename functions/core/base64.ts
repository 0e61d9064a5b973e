/**
 * Strict base64 (RFC 4648 §4, standard alphabet, padded). `Buffer.from(s, 'base64')` is
 * lenient: it skips characters outside the alphabet, stops at the first `=`, accepts
 * base64url's `-`/`_`, and (Node 20) reads only the low byte of a non-Latin-1 character
 * (`Ł`, U+0141, decodes as `A`), so a corrupted value would decode to *different bytes*
 * instead of failing. Lambda always sends padded standard base64, so anything else is
 * corruption.
 *
 * Non-zero trailing bits in the last group are accepted (RFC 4648 §3.5 lets decoders
 * choose): AWS's own documented example event carries such a key.
 *
 * Accepts exactly the strings matching
 * `^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$` (pinned by
 * test/unit/core/base64.property.test.ts), without running that backtracking regex: it was
 * the single hottest function of the decode path.
 */
export function decodeBase64Strict(text: string): Buffer | null {
  const length = text.length;
  if (length % 4 !== 0) return null;
  // Kafka keys are short: there, Buffer.from's fixed cost dominates and a JavaScript loop
  // that checks and decodes in one pass is ~2.5× faster.
  if (length <= SHORT) return decodeShort(text);
  const bytes = Buffer.from(text, 'base64');
  // Fast path: Node's encoder only writes canonical strict base64, so a string equal to
  // the re-encoding of its bytes is strict (a native encode + compare, ~4× cheaper than
  // any per-character check in JavaScript).
  if (bytes.toString('base64') === text) return bytes;
  // Anything else (non-zero trailing bits, or a defect) is checked character by character.
  return isStrictBase64(text) ? bytes : null;
}

/** Strings up to this length are decoded by {@link decodeShort}. */
const SHORT = 64;

const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** 1 for the 64 characters of the standard alphabet (Latin-1 range), 0 otherwise. */
const ALPHABET = new Uint8Array(256);
/** The 6-bit value of each alphabet character. */
const SEXTET = new Uint8Array(256);
for (let i = 0; i < CHARS.length; i++) {
  ALPHABET[CHARS.charCodeAt(i)] = 1;
  SEXTET[CHARS.charCodeAt(i)] = i;
}
const PAD = 0x3d; // '='

/** Length of `text` without its padding (at most two trailing `=`). */
function unpaddedLength(text: string): number {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === PAD) {
    end -= 1;
    if (text.charCodeAt(end - 1) === PAD) end -= 1;
  }
  return end;
}

/** Whether `text` (length a multiple of 4) is alphabet characters then at most two `=`. */
function isStrictBase64(text: string): boolean {
  const end = unpaddedLength(text);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff || ALPHABET[c] === 0) return false;
  }
  return true;
}

/** Checks and decodes `text` (length a multiple of 4) like `isStrictBase64` then
 *  `Buffer.from`: trailing bits of the last group are dropped, as Node does. */
function decodeShort(text: string): Buffer | null {
  if (!isStrictBase64(text)) return null;
  const end = unpaddedLength(text);
  const out = Buffer.allocUnsafe((text.length / 4) * 3 - (text.length - end));
  let o = 0;
  let i = 0;
  for (; i + 4 <= end; i += 4) {
    const v =
      ((SEXTET[text.charCodeAt(i)] as number) << 18) |
      ((SEXTET[text.charCodeAt(i + 1)] as number) << 12) |
      ((SEXTET[text.charCodeAt(i + 2)] as number) << 6) |
      (SEXTET[text.charCodeAt(i + 3)] as number);
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  if (end - i >= 2) {
    const v =
      ((SEXTET[text.charCodeAt(i)] as number) << 18) |
      ((SEXTET[text.charCodeAt(i + 1)] as number) << 12) |
      ((SEXTET[text.charCodeAt(i + 2)] ?? 0) << 6);
    out[o++] = v >> 16;
    if (end - i === 3) out[o] = (v >> 8) & 0xff;
  }
  return out;
}
