/**
 * Runs one sink's handler module in a worker thread with the function's own environment
 * (a stand-in for Lambda execution environments), and invokes it with MSK events.
 *
 * - The worker starts on the first invocation: a cold start reading the environment.
 * - An invocation that outlives the function timeout kills the worker, as Lambda does
 *   with the execution environment; so does `crash()` (fault injection). Invocations in
 *   flight on a killed worker fail; the next invocation cold-starts a new worker.
 * - Whatever the handler writes to stdout/stderr is handed to `onOutput` line by line
 *   (structured logs, EMF metrics).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MskEvent } from '../../functions/core/msk-event.js';
import type { FromWorker, SerializedError, ToWorker, WorkerInit } from './worker-protocol.js';

export interface SinkHostOptions {
  /** for messages */
  readonly name: string;
  /** path or file URL of the handler module (functions/<sink>/handler.ts) */
  readonly handlerModule: string;
  /** the function's environment variables (DESIGN §3.2), and nothing else */
  readonly env: Readonly<Record<string, string>>;
  /** function timeout */
  readonly timeoutMs: number;
  readonly onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export type FailureKind = 'function-error' | 'init-error' | 'timeout' | 'crash';

export type InvokeResult =
  | { readonly ok: true; readonly response: unknown; readonly coldStart: boolean }
  | {
      readonly ok: false;
      readonly kind: FailureKind;
      readonly error: SerializedError;
      readonly coldStart: boolean;
    };

interface Pending {
  readonly resolve: (result: InvokeResult) => void;
  readonly timer: NodeJS.Timeout;
  readonly coldStart: boolean;
}

interface Live {
  readonly worker: Worker;
  readonly ready: Promise<SerializedError | null>;
  readonly pending: Map<number, Pending>;
  exited: boolean;
}

const require = createRequire(import.meta.url);
// The worker is plain JavaScript that registers tsx's loader before importing the
// TypeScript entry: a worker does not inherit the parent's loader hooks on Node 20.
const tsxApi = pathToFileURL(
  path.join(path.dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
).href;
const workerEntry = new URL('./sink-worker.ts', import.meta.url).href;
const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(workerEntry)}); });`;

export class SinkHost {
  private live: Live | undefined;
  private nextId = 1;
  coldStarts = 0;
  crashes = 0;
  timeouts = 0;

  constructor(private readonly options: SinkHostOptions) {}

  async invoke(event: MskEvent): Promise<InvokeResult> {
    const coldStart = this.live === undefined;
    const live = this.live ?? this.start();
    const initError = await live.ready;
    if (initError !== null) {
      // killed while starting (a crash), or the module failed to load (an init error)
      const kind = live.exited ? 'crash' : 'init-error';
      await this.kill(live);
      return { ok: false, kind, error: initError, coldStart };
    }
    if (live.exited) {
      return {
        ok: false,
        kind: 'crash',
        error: { name: 'Runtime.ExitError', message: 'worker exited' },
        coldStart,
      };
    }
    const id = this.nextId++;
    const deadline = Date.now() + this.options.timeoutMs;
    return new Promise<InvokeResult>((resolve) => {
      const timer = setTimeout(() => {
        this.timeouts++;
        const pending = live.pending.get(id);
        live.pending.delete(id);
        pending?.resolve({
          ok: false,
          kind: 'timeout',
          error: {
            name: 'Sandbox.Timedout',
            message: `Task timed out after ${this.options.timeoutMs} ms`,
          },
          coldStart,
        });
        void this.kill(live);
      }, this.options.timeoutMs);
      live.pending.set(id, { resolve, timer, coldStart });
      const message: ToWorker = { type: 'invoke', id, event, deadline };
      live.worker.postMessage(message);
    });
  }

  /** Kills the execution environment now (fault injection). */
  async crash(): Promise<void> {
    if (this.live === undefined) return;
    this.crashes++;
    await this.kill(this.live);
  }

  async close(): Promise<void> {
    if (this.live !== undefined) await this.kill(this.live);
  }

  private start(): Live {
    this.coldStarts++;
    const init: WorkerInit = {
      handlerModule: this.options.handlerModule.startsWith('file:')
        ? this.options.handlerModule
        : pathToFileURL(this.options.handlerModule).href,
    };
    const worker = new Worker(bootstrap, {
      eval: true,
      workerData: init,
      env: { ...this.options.env },
      stdout: true,
      stderr: true,
    });
    const pending = new Map<number, Pending>();
    let settleReady: (error: SerializedError | null) => void = () => undefined;
    const ready = new Promise<SerializedError | null>((resolve) => {
      settleReady = resolve;
    });
    const live: Live = { worker, ready, pending, exited: false };
    this.live = live;

    const onOutput = this.options.onOutput;
    for (const [stream, readable] of [
      ['stdout', worker.stdout],
      ['stderr', worker.stderr],
    ] as const) {
      const lines = createInterface({ input: readable, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on('line', (line) => onOutput?.(line, stream));
    }
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'ready':
          settleReady(null);
          return;
        case 'init-error':
          settleReady(message.error);
          return;
        case 'result':
        case 'error': {
          const p = pending.get(message.id);
          if (p === undefined) return; // timed out already
          pending.delete(message.id);
          clearTimeout(p.timer);
          p.resolve(
            message.type === 'result'
              ? { ok: true, response: message.response, coldStart: p.coldStart }
              : { ok: false, kind: 'function-error', error: message.error, coldStart: p.coldStart },
          );
        }
      }
    });
    const onGone = (error: SerializedError) => {
      live.exited = true;
      if (this.live === live) this.live = undefined;
      settleReady(error);
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        pending.delete(id);
        p.resolve({ ok: false, kind: 'crash', error, coldStart: p.coldStart });
      }
    };
    worker.on('error', (err) =>
      onGone({ name: 'Runtime.UnhandledError', message: `${this.options.name}: ${err.message}` }),
    );
    worker.on('exit', (code) =>
      onGone({
        name: 'Runtime.ExitError',
        message: `${this.options.name}: worker exited with code ${code}`,
      }),
    );
    return live;
  }

  private async kill(live: Live): Promise<void> {
    if (this.live === live) this.live = undefined;
    if (!live.exited) await live.worker.terminate();
  }
}
