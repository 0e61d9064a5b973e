/**
 * DynamoDB JSON (a stream record's `NewImage`/`OldImage`, attribute values as
 * `{ S: "…" }`, `{ N: "…" }`, …) to the plain JSON an envelope's `data` carries.
 *
 * The mapping (docs/relay-dynamodb-streams.md), chosen so nothing is silently changed:
 * - `S` → string; `BOOL` → boolean; `NULL` → null; `M` → object; `L` → array;
 * - `N` → a JSON number when the number survives the trip exactly (an integer within
 *   ±(2^53 − 1), or a decimal whose shortest double text is the same decimal), otherwise
 *   the decimal text as a string (DynamoDB numbers have up to 38 significant digits);
 * - `B` → its base64 text, as the stream delivers it;
 * - `SS` → array of strings, `NS` → array of numbers mapped as `N`, `BS` → array of base64
 *   (DynamoDB sets are unordered: the stream's order is kept as delivered).
 *
 * An attribute value of any other shape is a defect of the record: {@link ImageError}.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** Converts a whole image (attribute name → attribute value). */
export function fromImage(image: unknown, path = 'image'): Record<string, Json> {
  if (!isObject(image))
    throw new ImageError(path, `must be a map of attributes, got ${kind(image)}`);
  const out: Record<string, Json> = {};
  for (const [name, value] of Object.entries(image))
    out[name] = fromAttribute(value, `${path}.${name}`);
  return out;
}

/** Converts one attribute value. */
export function fromAttribute(value: unknown, path: string): Json {
  if (!isObject(value))
    throw new ImageError(path, `must be an attribute value, got ${kind(value)}`);
  const tags = Object.keys(value);
  if (tags.length !== 1) {
    throw new ImageError(path, `must hold exactly one type tag, got ${JSON.stringify(tags)}`);
  }
  const tag = tags[0] as string;
  const inner = value[tag];
  switch (tag) {
    case 'S':
    case 'B':
      return text(inner, path);
    case 'N':
      return fromNumber(text(inner, path), path);
    case 'BOOL':
      if (typeof inner !== 'boolean') throw new ImageError(path, 'BOOL must be a boolean');
      return inner;
    case 'NULL':
      return null;
    case 'M':
      return fromImage(inner, path);
    case 'L':
      return list(inner, path).map((item, i) => fromAttribute(item, `${path}[${i}]`));
    case 'SS':
    case 'BS':
      return list(inner, path).map((item, i) => text(item, `${path}[${i}]`));
    case 'NS':
      return list(inner, path).map((item, i) => fromNumber(text(item, `${path}[${i}]`), path));
    default:
      throw new ImageError(path, `has an unknown type tag ${JSON.stringify(tag)}`);
  }
}

const DECIMAL = /^-?(\d+)(\.\d+)?([eE][-+]?\d+)?$/;

/** A DynamoDB number: a JSON number when that is exact, else its decimal text. */
export function fromNumber(raw: string, path: string): number | string {
  const trimmed = raw.trim();
  if (!DECIMAL.test(trimmed)) throw new ImageError(path, `is not a number: ${JSON.stringify(raw)}`);
  const n = Number(trimmed);
  if (!Number.isFinite(n)) return trimmed;
  if (Number.isInteger(n)) {
    // Exact only within the safe range, and only when the text was that very integer
    // ("1e3" and "1000.0" are; "9007199254740993" is not).
    return Number.isSafeInteger(n) && sameDecimal(trimmed, String(n)) ? n : trimmed;
  }
  return sameDecimal(trimmed, String(n)) ? n : trimmed;
}

/** Whether two decimal texts denote the same number (compared as normalised digits). */
function sameDecimal(a: string, b: string): boolean {
  return normalise(a) === normalise(b);
}

/** `-0012.3400e1` → `-123.4`: sign, digits without leading/trailing zeros, exponent folded in. */
function normalise(decimal: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(decimal);
  if (match === null) return decimal;
  const [, sign = '', whole = '', fraction = '', exp = '0'] = match;
  let digits = `${whole}${fraction}`;
  let point = whole.length + Number(exp);
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  point -= lead;
  digits = digits.replace(/0+$/, '');
  if (digits === '') return '0';
  return `${sign}${digits}e${point}`;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ImageError(path, `must be a string, got ${kind(value)}`);
  return value;
}

function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ImageError(path, `must be a list, got ${kind(value)}`);
  return value;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const kind = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
