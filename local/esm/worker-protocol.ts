import type { MskEvent } from '../../functions/core/msk-event.js';

/** What a sink worker is started with (`workerData`). */
export interface WorkerInit {
  /** file URL of the handler module (functions/<sink>/handler.ts) */
  readonly handlerModule: string;
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

export type ToWorker = {
  readonly type: 'invoke';
  readonly id: number;
  readonly event: MskEvent;
  /** epoch ms at which the invocation times out */
  readonly deadline: number;
};

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: SerializedError }
  | { readonly type: 'result'; readonly id: number; readonly response: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError };
