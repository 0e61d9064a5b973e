/**
 * The three sinks as operator tools run them (local/rebuild, local/redrive): each sink's
 * own `createHandler`, hence its own configuration, write path, version guards, ledger
 * and quarantine, with the tool's overrides (quiet logs, counted metrics, a ledger view).
 */
import type { EngineLogger } from '../../functions/core/engine/observability.js';
import type { IndexStage } from '../../functions/core/opensearch/index-naming.js';
import type { SinkOverrides } from '../../functions/runtime/sink-config.js';
import type { SinkHandler } from '../../functions/runtime/sink-handler.js';
import { createHandler as createDynamoHandler } from '../../functions/sink-dynamodb/create-handler.js';
import { createHandler as createOpenSearchHandler } from '../../functions/sink-opensearch/create-handler.js';
import { createHandler as createArchiveHandler } from '../../functions/sink-s3-archive/create-handler.js';
import { UsageError } from './errors.js';

export const SinkKinds = ['opensearch', 'dynamodb', 's3-archive'] as const;
export type SinkKind = (typeof SinkKinds)[number];

/** `--sink` → a sink kind, or a UsageError listing the kinds. */
export function parseSinkKind(raw: string | undefined): SinkKind {
  if (raw === undefined || raw === '') {
    throw new UsageError(`--sink is required (${SinkKinds.join(', ')})`);
  }
  if (!(SinkKinds as readonly string[]).includes(raw)) {
    throw new UsageError(`--sink must be one of ${SinkKinds.join(', ')}, got ${raw}`);
  }
  return raw as SinkKind;
}

export interface ToolSinkOptions extends SinkOverrides {
  /** OpenSearch only: write through a rebuild's staging aliases */
  readonly stage?: IndexStage;
}

/** The sink's real handler for `env`, with the tool's overrides. */
export function createToolSinkHandler(
  kind: SinkKind,
  env: NodeJS.ProcessEnv,
  options: ToolSinkOptions = {},
): SinkHandler {
  const { stage, ...overrides } = options;
  switch (kind) {
    case 'opensearch':
      return createOpenSearchHandler(env, {
        ...overrides,
        ...(stage === undefined ? {} : { stage }),
      });
    case 'dynamodb':
      return createDynamoHandler(env, overrides);
    case 's3-archive':
      return createArchiveHandler(env, overrides);
  }
}

/** A logger that keeps only errors, through `write` (the tools print their own progress). */
export const errorOnlyLogger = (write: (line: string) => void): EngineLogger => ({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message, ...extra) => write(`${message} ${JSON.stringify(Object.assign({}, ...extra))}`),
});
