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
  const bytes = Buffer.from(text, 'base64');
  // Fast path: Node's encoder only writes canonical strict base64, so a string equal to
  // the re-encoding of its bytes is strict (a native encode + compare, ~4× cheaper than
  // any per-character check in JavaScript).
  if (bytes.toString('base64') === text) return bytes;
  // Anything else (non-zero trailing bits, or a defect) is checked character by character.
  return isStrictBase64(text) ? bytes : null;
}

/** 1 for the 64 characters of the standard alphabet (Latin-1 range), 0 otherwise. */
const ALPHABET = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') {
  ALPHABET[c.charCodeAt(0)] = 1;
}
const PAD = 0x3d; // '='

/** Whether `text` (length a multiple of 4) is alphabet characters then at most two `=`. */
function isStrictBase64(text: string): boolean {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === PAD) {
    end -= 1;
    if (text.charCodeAt(end - 1) === PAD) end -= 1;
  }
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff || ALPHABET[c] === 0) return false;
  }
  return true;
}
