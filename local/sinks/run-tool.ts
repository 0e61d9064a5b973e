import { UsageError } from './errors.js';

/**
 * Runs a CLI's main and exits with its status: 2 and a one-line message for an error
 * (the message of a UsageError says which flag to fix).
 */
export function runTool(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      console.error(`${name}: ${err instanceof UsageError ? '' : 'error: '}${message}`);
      process.exit(2);
    },
  );
}
