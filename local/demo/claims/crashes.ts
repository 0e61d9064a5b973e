import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Random } from '../random.js';

/** A process dying mid-step: not a StaysyncError the engine could retry, so the invocation
 *  fails and the event source mapping delivers the batch again. */
export class DemoCrash extends Error {
  override readonly name = 'DemoCrash';
}

export interface CrashStats {
  /** by point: before the step's transaction, after it (before its credit is published),
   *  after publishing (before the checkpoint) */
  readonly byPoint: Map<string, number>;
}

/**
 * Crashes the transfers function between its steps, through the DynamoDB client it uses:
 * before or after a step's `TransactWriteItems` on the balances table, or before the
 * ledger checkpoint advance (after the credits were published). At most `max` crashes.
 */
export function injectTransferCrashes(
  client: DynamoDBClient,
  opts: { balancesTable: string; ledgerTable: string; rate: number; max: number; random: Random },
): CrashStats {
  const stats: CrashStats = { byPoint: new Map() };
  let left = opts.max;
  const crash = (point: string): boolean => {
    if (left <= 0 || !opts.random.chance(opts.rate)) return false;
    left--;
    stats.byPoint.set(point, (stats.byPoint.get(point) ?? 0) + 1);
    return true;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        TransactItems?: Array<{ Update?: { TableName?: string } }>;
        TableName?: string;
        Key?: { pk?: { S?: string } };
      };
      const isStep = input.TransactItems?.[1]?.Update?.TableName === opts.balancesTable;
      const isCheckpoint =
        context.commandName === 'UpdateItemCommand' &&
        input.TableName === opts.ledgerTable &&
        input.Key?.pk?.S?.startsWith('ckpt#') === true;
      if (isStep && crash('before the step commits')) throw new DemoCrash('before commit');
      if (isCheckpoint && crash('after publishing, before the checkpoint'))
        throw new DemoCrash('before checkpoint');
      const result = await next(args);
      if (isStep && crash('after the step commits, before publishing'))
        throw new DemoCrash('after commit');
      return result;
    },
    { step: 'initialize', name: 'staysyncDemoCrashes' },
  );
  return stats;
}
