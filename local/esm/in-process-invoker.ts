/**
 * Invokes a handler function in this process (tests, demos): what it returns is the
 * function's answer, what it throws a function error. No environment isolation, no timeout:
 * use {@link SinkHost} for those.
 */
import type { Invoker } from './event-source-mapping.js';
import type { InvokeResult } from './sink-host.js';

export function inProcessInvoker<E>(handler: (event: E) => Promise<unknown>): Invoker<E> {
  let invoked = false;
  return {
    async invoke(event: E): Promise<InvokeResult> {
      const coldStart = !invoked;
      invoked = true;
      try {
        return { ok: true, response: await handler(event), coldStart };
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        return {
          ok: false,
          kind: 'function-error',
          error: {
            name: error.name,
            message: error.message,
            ...(error.stack === undefined ? {} : { stack: error.stack }),
          },
          coldStart,
        };
      }
    },
  };
}
