import type { TopicSettings } from '../../contract/pipeline.js';
import type { DecodeLimits } from '../limits.js';
import type { KafkaRecord, RecordCoordinates } from '../record.js';
import { decodeUtf8 } from './fields.js';

/** What every envelope parser needs about the record it parses. */
export interface ParseContext {
  readonly record: KafkaRecord;
  readonly coords: RecordCoordinates;
  readonly settings: TopicSettings;
  readonly limits: DecodeLimits;
  /** the Kafka key as UTF-8 text; null when the record has no key */
  readonly kafkaKey: string | null;
  /** whether the Kafka key is `<entity>:<key>` or the bare `<key>` (false without a key) */
  kafkaKeyNames(entity: string, key: string): boolean;
}

/**
 * The context of one record. Its Kafka key is checked as UTF-8 at once (an invalid key is
 * poison before anything else is looked at), but an ASCII key (the usual `customer:42`)
 * is only turned into a string when asked: the native envelope compares it byte by byte.
 */
export class RecordContext implements ParseContext {
  readonly #ascii: boolean;
  #text: string | null;

  constructor(
    readonly record: KafkaRecord,
    readonly coords: RecordCoordinates,
    readonly settings: TopicSettings,
    readonly limits: DecodeLimits,
  ) {
    const bytes = record.key;
    this.#ascii = bytes !== null && isAscii(bytes);
    this.#text = bytes === null || this.#ascii ? null : decodeUtf8(bytes, coords, 'kafkaKey');
  }

  get kafkaKey(): string | null {
    // ASCII is valid UTF-8 without a byte order mark: latin1 gives the very same text
    if (this.#ascii && this.#text === null)
      this.#text = (this.record.key as Buffer).toString('latin1');
    return this.#text;
  }

  kafkaKeyNames(entity: string, key: string): boolean {
    if (!this.#ascii) {
      const text = this.#text;
      return text !== null && isEntityKey(text, entity, key);
    }
    const bytes = this.record.key as Buffer;
    if (bytes.length === key.length && equalsAt(bytes, 0, key)) return true;
    const colon = entity.length;
    return (
      bytes.length === colon + 1 + key.length &&
      bytes[colon] === 0x3a &&
      equalsAt(bytes, 0, entity) &&
      equalsAt(bytes, colon + 1, key)
    );
  }
}

function isAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) > 0x7f) return false;
  return true;
}

/** Whether `bytes` (ASCII) from `at` hold the UTF-16 code units of `text`. */
function equalsAt(bytes: Buffer, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** `kafkaKey === \`${entity}:${key}\` || kafkaKey === key`, without building the string. */
function isEntityKey(kafkaKey: string, entity: string, key: string): boolean {
  if (kafkaKey === key) return true;
  const colon = entity.length;
  return (
    kafkaKey.length === colon + 1 + key.length &&
    kafkaKey.charCodeAt(colon) === 0x3a &&
    kafkaKey.startsWith(entity) &&
    kafkaKey.endsWith(key)
  );
}

/** `<topic>-<partition>@<offset>`: the event id of records whose source gives none. */
export const offsetEventId = (c: RecordCoordinates): string =>
  `${c.topic}-${c.partition}@${c.offset}`;
