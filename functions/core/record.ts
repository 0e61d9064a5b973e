import type { MskEventRecord } from './msk-event.js';

export interface KafkaHeader {
  readonly key: string;
  readonly value: Buffer;
}

/** One Kafka record after MSK decoding (base64 and signed header bytes undone). */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  /** null when the record had no key */
  readonly key: Buffer | null;
  /** null for a tombstone */
  readonly value: Buffer | null;
  readonly headers: readonly KafkaHeader[];
  /** the record exactly as Lambda delivered it (kept for quarantine) */
  readonly raw: MskEventRecord;
}

export interface RecordCoordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}
