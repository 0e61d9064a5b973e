/**
 * Object keys of the S3 archive (DESIGN §4):
 * `<prefix>/topic=<t>/dt=<yyyy-mm-dd>/partition=<p>/<t>+<p>+<startOffset, 20 digits>.jsonl.gz`
 *
 * `dt` is the UTC date of the object's first record, `startOffset` that record's offset.
 * The record at a given offset never changes, so the key of "the object that starts at
 * offset N" is a function of N alone: two writers starting at the same offset collide on
 * the same key, and `If-None-Match: *` lets exactly one of them create it.
 * Zero-padding to 20 digits (the width of a signed 64-bit offset) makes the keys of one
 * partition folder sort in offset order.
 */

export const OFFSET_DIGITS = 20;
export const ARCHIVE_SUFFIX = '.jsonl.gz';

/** Latest instant whose UTC date still has a four-digit year (9999-12-31T23:59:59.999Z). */
const MAX_DATED_TIMESTAMP = 253_402_300_799_999;

/** `ARCHIVE_PREFIX` without leading/trailing slashes (`''` for the bucket root). */
export const normalizePrefix = (prefix: string): string => prefix.replace(/^\/+|\/+$/g, '');

export const padOffset = (offset: number): string => {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`archive key: offset must be a non-negative safe integer, got ${offset}`);
  }
  return String(offset).padStart(OFFSET_DIGITS, '0');
};

/**
 * UTC `yyyy-mm-dd` of a record timestamp (epoch ms). Timestamps outside year 0..9999
 * (Kafka's `-1` for "no timestamp" is inside: 1969-12-31) fall back to 1970-01-01 so
 * every record still gets a deterministic folder.
 */
export function utcDate(timestamp: number): string {
  const t =
    Number.isFinite(timestamp) && Math.abs(timestamp) <= MAX_DATED_TIMESTAMP ? timestamp : 0;
  const iso = new Date(t).toISOString();
  // years before 0 print as "-000001-..."; keep them deterministic too
  return iso.startsWith('-') || iso.startsWith('+') ? '1970-01-01' : iso.slice(0, 10);
}

/** Adds `days` to a `yyyy-mm-dd` date. */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00.000Z`) + days * 86_400_000;
  return utcDate(t);
}

const join = (prefix: string, rest: string): string => {
  const p = normalizePrefix(prefix);
  return p === '' ? rest : `${p}/${rest}`;
};

/** `<prefix>/topic=<t>/` — every object of a topic. */
export const topicPrefix = (prefix: string, topic: string): string =>
  join(prefix, `topic=${topic}/`);

/** `<prefix>/topic=<t>/dt=<d>/` */
export const datePrefix = (prefix: string, topic: string, date: string): string =>
  `${topicPrefix(prefix, topic)}dt=${date}/`;

/** `<prefix>/topic=<t>/dt=<d>/partition=<p>/` — one partition's objects of one day. */
export const partitionDatePrefix = (
  prefix: string,
  topic: string,
  date: string,
  partition: number,
): string => `${datePrefix(prefix, topic, date)}partition=${partition}/`;

/** File name without suffix: `<t>+<p>+<offset 20 digits>`; sorts like the offset. */
export const objectStem = (topic: string, partition: number, startOffset: number): string =>
  `${topic}+${partition}+${padOffset(startOffset)}`;

export interface ArchiveObjectId {
  readonly topic: string;
  readonly partition: number;
  /** UTC date of the first record */
  readonly date: string;
  /** offset of the first record */
  readonly startOffset: number;
}

export const archiveObjectKey = (prefix: string, id: ArchiveObjectId): string =>
  `${partitionDatePrefix(prefix, id.topic, id.date, id.partition)}${objectStem(id.topic, id.partition, id.startOffset)}${ARCHIVE_SUFFIX}`;

const KEY_PATTERN =
  /(?:^|\/)topic=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/partition=(\d+)\/([^/]+)\+(\d+)\+(\d{20})\.jsonl\.gz$/;

/**
 * Parses an archive key (any prefix). Returns null for keys that are not archive objects
 * or whose parts disagree (topic/partition in the folder vs the file name).
 */
export function parseArchiveKey(key: string): ArchiveObjectId | null {
  const m = KEY_PATTERN.exec(key);
  if (m === null) return null;
  const [, topic, date, partition, fileTopic, filePartition, offset] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (topic !== fileTopic || partition !== filePartition) return null;
  const startOffset = Number(offset);
  if (!Number.isSafeInteger(startOffset)) return null;
  return { topic, partition: Number(partition), date, startOffset };
}

/** Parses the `dt=` folder name out of a common prefix such as `.../topic=t/dt=2026-11-26/`. */
export function parseDateFolder(commonPrefix: string): string | null {
  const m = /dt=(\d{4}-\d{2}-\d{2})\/$/.exec(commonPrefix);
  return m === null ? null : (m[1] as string);
}

/** Parses the `partition=` folder name out of a common prefix `.../partition=3/`. */
export function parsePartitionFolder(commonPrefix: string): number | null {
  const m = /partition=(\d+)\/$/.exec(commonPrefix);
  return m === null ? null : Number(m[1]);
}
