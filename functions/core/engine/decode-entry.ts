import type { PipelineConfig } from '../../contract/pipeline.js';
import { topicSettings } from '../../contract/pipeline.js';
import { decodeChange } from '../envelope/decode-change.js';
import { PoisonError } from '../errors.js';
import type { DecodeLimits } from '../limits.js';
import type { DecodedRecord } from '../msk-decode.js';
import type { BatchEntry } from '../sink.js';

/**
 * Turns a decoded record into what the sink receives: poison from MSK decoding as is;
 * for decoding sinks the change (or why it is poison); raw records otherwise.
 */
export function toBatchEntry(
  decoded: DecodedRecord,
  decodes: boolean,
  pipeline: PipelineConfig,
  limits: DecodeLimits,
): BatchEntry {
  const { record } = decoded;
  if (decoded.poison !== undefined) return { record, poison: decoded.poison };
  if (!decodes) return { record };
  try {
    return { record, change: decodeChange(record, topicSettings(pipeline, record.topic), limits) };
  } catch (err) {
    if (err instanceof PoisonError) return { record, poison: err };
    throw err;
  }
}
