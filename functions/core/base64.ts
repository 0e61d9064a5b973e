/**
 * Strict base64 (RFC 4648 §4, standard alphabet, padded). `Buffer.from(s, 'base64')` is
 * lenient: it skips characters outside the alphabet and stops at the first `=`, so a
 * corrupted value would decode to *different bytes* instead of failing. Lambda always
 * sends padded standard base64, so anything else is corruption.
 *
 * Non-zero trailing bits in the last group are accepted (RFC 4648 §3.5 lets decoders
 * choose): AWS's own documented example event carries such a key.
 */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict base64; returns null when `text` is not valid base64. */
export function decodeBase64Strict(text: string): Buffer | null {
  if (!STRICT_BASE64.test(text)) return null;
  return Buffer.from(text, 'base64');
}
