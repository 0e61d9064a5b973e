/** The offsets Kafka actually holds, as `archive:verify --expected` reads them. */
import { OffsetSet } from './offset-set.js';

/**
 * Parses expected offsets: `{ "<partition>": [offset | [first, last], ...] }` (what
 * `archive:verify --expected` reads).
 */
export function parseExpectedOffsets(json: unknown): Map<number, OffsetSet> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError('expected offsets: a JSON object keyed by partition');
  }
  const out = new Map<number, OffsetSet>();
  for (const [p, list] of Object.entries(json)) {
    const partition = Number(p);
    if (!/^\d+$/.test(p) || !Array.isArray(list)) {
      throw new TypeError(`expected offsets: "${p}" must be a partition number with an array`);
    }
    const set = new OffsetSet();
    for (const item of list as unknown[]) {
      if (typeof item === 'number' && Number.isSafeInteger(item) && item >= 0) set.add(item);
      else if (
        Array.isArray(item) &&
        item.length === 2 &&
        item.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) &&
        (item[0] as number) <= (item[1] as number)
      ) {
        set.addRange(item[0] as number, item[1] as number);
      } else
        throw new TypeError(
          `expected offsets: bad entry ${JSON.stringify(item)} for partition ${p}`,
        );
    }
    out.set(partition, set);
  }
  return out;
}
