/**
 * The contract between infra and the functions (DESIGN §2): every environment variable's
 * name (./env.ts) and the `STAYSYNC_PIPELINE` schema with its parser (./pipeline.ts).
 * Imported by `infra/`, `functions/`, `local/` and `bench/`; it imports nothing but
 * `core/errors.ts`, so infra can import it without pulling in SDK code.
 */
export * from './env.js';
export * from './opensearch-index.js';
export * from './pipeline.js';
