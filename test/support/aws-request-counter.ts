/**
 * Counts the requests an AWS SDK v3 client sends, by command name, with a middleware at
 * the `finalizeRequest` step: every attempt (retries included) that reaches the wire is
 * counted once. Attach it to the very client instance the code under test uses (the
 * runtime keeps one client per service and endpoint).
 */
import type { FinalizeRequestMiddleware, MetadataBearer, MiddlewareStack } from '@smithy/types';

export interface RequestCounter {
  /** requests per command name, e.g. `{ PutItemCommand: 100, UpdateItemCommand: 1 }` */
  readonly counts: Readonly<Record<string, number>>;
  total(filter?: (command: string) => boolean): number;
  reset(): void;
  detach(): void;
}

let seq = 0;

export function countRequests<I extends object, O extends MetadataBearer>(client: {
  middlewareStack: MiddlewareStack<I, O>;
}): RequestCounter {
  const counts: Record<string, number> = {};
  const name = `staysyncRequestCounter${++seq}`;
  const middleware: FinalizeRequestMiddleware<I, O> = (next, context) => async (args) => {
    const command = context.commandName ?? 'unknown';
    counts[command] = (counts[command] ?? 0) + 1;
    return next(args);
  };
  client.middlewareStack.add(middleware, { step: 'finalizeRequest', name, override: true });
  return {
    counts,
    total: (filter = () => true) =>
      Object.entries(counts).reduce((sum, [command, n]) => (filter(command) ? sum + n : sum), 0),
    reset: () => {
      for (const key of Object.keys(counts)) delete counts[key];
    },
    detach: () => {
      client.middlewareStack.remove(name);
    },
  };
}

/** DynamoDB commands that consume write capacity. */
export const isDynamoWrite = (command: string): boolean =>
  // BatchExecuteStatement: the view sink sends it with INSERT statements only
  /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems|BatchExecuteStatement)Command$/.test(
    command,
  );
