/**
 * Exact decimal arithmetic for aggregate measures. DynamoDB numbers are decimals (up to 38
 * significant digits) and `ADD` adds them exactly; summing several events' amounts in JS
 * floats first (0.1 + 0.2 = 0.30000000000000004) would make totals drift from the oracle.
 * So deltas travel as decimal strings, added with bigint arithmetic.
 */
interface Decimal {
  readonly units: bigint;
  /** number of fractional digits: value = units / 10^scale */
  readonly scale: number;
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Parses a finite number or a decimal string; null when it is not one. */
export function toDecimalString(value: unknown): string | null {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : null) : value;
  if (typeof text !== 'string') return null;
  const parsed = parse(text.trim());
  return parsed === null ? null : format(parsed);
}

/** Adds two decimal strings (as returned by {@link toDecimalString}) exactly. */
export function addDecimals(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  if (x === null || y === null) throw new Error(`addDecimals: not decimals: ${a}, ${b}`);
  const scale = Math.max(x.scale, y.scale);
  const units = x.units * 10n ** BigInt(scale - x.scale) + y.units * 10n ** BigInt(scale - y.scale);
  return format({ units, scale });
}

function parse(text: string): Decimal | null {
  const m = DECIMAL.exec(text);
  if (m === null) return null;
  const [, sign = '', int = '0', frac = '', exp = '0'] = m;
  let units = BigInt(`${int}${frac}`);
  let scale = frac.length - Number(exp);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: sign === '-' ? -units : units, scale };
}

function format({ units, scale }: Decimal): string {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    const int = digits.slice(0, digits.length - scale);
    const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
    digits = frac === '' ? int : `${int}.${frac}`;
  }
  return negative && digits !== '0' ? `-${digits}` : digits;
}
