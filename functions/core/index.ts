/**
 * The core's surface for code outside `functions/` that runs its pieces on their own
 * (`bench/` measures decoding stage by stage): one entry point instead of paths into the
 * core's folders. Functions import the modules themselves.
 */
export { decodeBase64Strict } from './base64.js';
export type { Change } from './change.js';
export { toBatchEntry } from './engine/decode-entry.js';
export { mapBounded } from './engine/pool.js';
export { decodeChange } from './envelope/decode-change.js';
export { decodeUtf8 } from './envelope/fields.js';
export { DEFAULT_DECODE_LIMITS } from './limits.js';
export { decodeMskEvent, decodeRecord } from './msk-decode.js';
export type { MskBatchResponse, MskEvent, MskEventRecord } from './msk-event.js';
export { planKeys } from './view-state.js';
