/**
 * Entry point of a sink's worker thread: a stand-in for one Lambda execution environment.
 * It imports the function's handler module exactly as Lambda does, so module-scope
 * configuration is read from this thread's `process.env` at "cold start"; terminating
 * the thread is a crash of the environment, and the next worker is a new cold start.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MskBatchResponse, MskEvent } from '../../functions/core/msk-event.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

type Handler = (
  event: MskEvent,
  context?: { getRemainingTimeInMillis?(): number },
) => Promise<MskBatchResponse | undefined>;

const port = parentPort;
if (port === null) throw new Error('sink-worker must run in a worker thread');
const post = (message: FromWorker): void => port.postMessage(message);
const init = workerData as WorkerInit;

const serialize = (err: unknown) =>
  err instanceof Error
    ? {
        name: err.name,
        message: err.message,
        ...(err.stack === undefined ? {} : { stack: err.stack }),
      }
    : { name: 'Error', message: String(err) };

let handler: Handler | undefined;
try {
  const mod = (await import(init.handlerModule)) as { handler?: unknown };
  if (typeof mod.handler !== 'function') {
    throw new TypeError(`${init.handlerModule} does not export a function named handler`);
  }
  handler = mod.handler as Handler;
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'init-error', error: serialize(err) });
}

port.on('message', (message: ToWorker) => {
  if (message.type !== 'invoke') return;
  const { id, event, deadline } = message;
  if (handler === undefined) {
    post({
      type: 'error',
      id,
      error: { name: 'Runtime.InitError', message: 'the handler failed to load' },
    });
    return;
  }
  handler(event, { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) }).then(
    (response) => post({ type: 'result', id, response: response ?? null }),
    (err: unknown) => post({ type: 'error', id, error: serialize(err) }),
  );
});
