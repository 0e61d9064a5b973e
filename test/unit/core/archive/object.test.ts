import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeArchiveObject,
  encodeArchiveObject,
  META,
  rangeFromMetadata,
} from '../../../../functions/core/archive/object.js';
import type { KafkaRecord } from '../../../../functions/core/record.js';

const rec = (offset: number, value: string | null = `{"n":${offset}}`): KafkaRecord => ({
  topic: 't',
  partition: 0,
  offset,
  timestamp: 1_700_000_000_000 + offset,
  timestampType: 'LOG_APPEND_TIME',
  key: Buffer.from(`k${offset}`),
  value: value === null ? null : Buffer.from(value),
  headers: [],
  raw: { topic: 't', partition: 0, offset, timestamp: 0, timestampType: 'LOG_APPEND_TIME' },
});

describe('archive objects', () => {
  it('are gzip JSON Lines, one newline-terminated line per record', async () => {
    const encoded = await encodeArchiveObject([rec(5), rec(7, null)]);
    const text = gunzipSync(encoded.body).toString('utf8');
    expect(text.split('\n')).toHaveLength(3);
    expect(text.endsWith('\n')).toBe(true);
    expect(JSON.parse(text.split('\n')[1] as string)).toMatchObject({ offset: 7, value: null });
    expect(encoded.rawBytes).toBe(Buffer.byteLength(text));
  });

  it('carry their start offset, end offset and record count in metadata', async () => {
    const encoded = await encodeArchiveObject([rec(5), rec(6), rec(9)]);
    expect(encoded.range).toEqual({ startOffset: 5, endOffset: 9, recordCount: 3 });
    expect(encoded.metadata).toMatchObject({
      [META.startOffset]: '5',
      [META.endOffset]: '9',
      [META.recordCount]: '3',
      [META.schema]: 'staysync-archive-jsonl/1',
    });
    expect(rangeFromMetadata(encoded.metadata)).toEqual(encoded.range);
  });

  it('decode back to the records, compressed or already decompressed by an HTTP client', async () => {
    const encoded = await encodeArchiveObject([rec(1), rec(2)]);
    const records = await decodeArchiveObject(encoded.body);
    expect(records.map((r) => [r.offset, r.value?.toString()])).toEqual([
      [1, '{"n":1}'],
      [2, '{"n":2}'],
    ]);
    expect((await decodeArchiveObject(gunzipSync(encoded.body))).map((r) => r.offset)).toEqual([
      1, 2,
    ]);
  });

  it('refuse records out of offset order or from two partitions', async () => {
    await expect(encodeArchiveObject([rec(2), rec(1)])).rejects.toThrow(RangeError);
    await expect(encodeArchiveObject([rec(1), { ...rec(2), partition: 1 }])).rejects.toThrow(
      RangeError,
    );
    await expect(encodeArchiveObject([])).rejects.toThrow(RangeError);
  });

  it('treat missing or inconsistent metadata as unknown', () => {
    expect(rangeFromMetadata(undefined)).toBeNull();
    expect(rangeFromMetadata({ 'start-offset': '5' })).toBeNull();
    expect(
      rangeFromMetadata({ 'start-offset': '5', 'end-offset': '4', 'record-count': '1' }),
    ).toBeNull();
    expect(
      rangeFromMetadata({ 'start-offset': '5', 'end-offset': '6', 'record-count': '3' }),
    ).toBeNull();
    expect(
      rangeFromMetadata({ 'Start-Offset': '5', 'End-Offset': '6', 'Record-Count': '2' }),
    ).toEqual({
      startOffset: 5,
      endOffset: 6,
      recordCount: 2,
    });
  });
});
