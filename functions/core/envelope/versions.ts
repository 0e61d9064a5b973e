import { MAX_SOURCE_VERSION } from '../change.js';
import type { RecordCoordinates } from '../record.js';
import { poison, typeName } from './fields.js';

/** A source version: a safe integer in `0..MAX_SOURCE_VERSION`, so `2v + 1` stays safe. */
export function requireSourceVersion(v: unknown, field: string, coords: RecordCoordinates): number {
  if (v === undefined || v === null) {
    return poison(coords, 'missing-version', field, 'is required on a source-versioned topic');
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    return poison(
      coords,
      'invalid-version',
      field,
      `must be an integer, got ${typeName(v) === 'number' ? v : typeName(v)}`,
    );
  }
  if (v < 0 || v > MAX_SOURCE_VERSION) {
    return poison(coords, 'invalid-version', field, `${v} is outside 0..${MAX_SOURCE_VERSION}`);
  }
  return v;
}

/** Bits kept for a MySQL binlog position within one file (positions are 32-bit). */
export const BINLOG_POSITION_BITS = 32;

/**
 * The version of a Debezium change, from its source position:
 * - Postgres: `source.lsn` (the WAL position, bytes; a number, or a decimal string);
 * - MySQL/MariaDB: `source.file` (`mysql-bin.000042` → 42) and `source.pos`, combined as
 *   `fileIndex × 2³² + pos`, which orders changes across binlog rotations.
 * Both must fit `MAX_SOURCE_VERSION` (2⁵²−1: 4 PiB of WAL, or 2²⁰ binlog files).
 */
export function debeziumVersion(
  source: Record<string, unknown>,
  coords: RecordCoordinates,
): number {
  const { lsn, file, pos } = source;
  if (lsn !== undefined && lsn !== null) {
    const n = typeof lsn === 'string' && /^\d+$/.test(lsn) ? Number(lsn) : lsn;
    return requireSourceVersion(n, 'source.lsn', coords);
  }
  if (file !== undefined && file !== null) {
    if (typeof file !== 'string') {
      return poison(
        coords,
        'invalid-version',
        'source.file',
        `must be a string, got ${typeName(file)}`,
      );
    }
    const index = /(\d+)$/.exec(file);
    if (index === null) {
      return poison(
        coords,
        'invalid-version',
        'source.file',
        `${JSON.stringify(file)} does not end in a binlog index`,
      );
    }
    if (
      typeof pos !== 'number' ||
      !Number.isSafeInteger(pos) ||
      pos < 0 ||
      pos >= 2 ** BINLOG_POSITION_BITS
    ) {
      return poison(
        coords,
        'invalid-version',
        'source.pos',
        `must be an integer in 0..2^32-1, got ${JSON.stringify(pos)}`,
      );
    }
    const version = Number(index[1]) * 2 ** BINLOG_POSITION_BITS + pos;
    return requireSourceVersion(version, 'source.file+pos', coords);
  }
  return poison(
    coords,
    'missing-version',
    'source',
    'has no position: expected lsn (Postgres) or file+pos (MySQL); use a log-ordered topic for other connectors',
  );
}
