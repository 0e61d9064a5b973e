import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Kafka } from 'kafkajs';
import { scanItems } from '../../aws/resources.js';
import type { Random } from '../random.js';
import { type ReadRecord, readAll } from './read-topic.js';
import type { DemoResources } from './resources.js';

export interface TransferResult {
  readonly deposited: number;
  readonly total: number;
  readonly accepted: number;
  readonly refused: number;
  readonly problems: string[];
}

/** Publishes a deposit per account, then `count` random transfers between them. */
export async function publishTransfers(
  kafka: Kafka,
  topic: string,
  opts: { accounts: number; count: number; random: Random; runId: string },
): Promise<void> {
  const accounts = Array.from({ length: opts.accounts }, (_, i) => `acct${i}`);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const message = (account: string, body: object) => ({
    key: `account:${account}`,
    value: JSON.stringify(body),
  });
  await producer.send({
    topic,
    messages: accounts.map((account, i) =>
      message(account, { type: 'deposit', requestId: `${opts.runId}-d${i}`, account, amount: 100 }),
    ),
  });
  const transfers = Array.from({ length: opts.count }, (_, i) => {
    const from = opts.random.pick(accounts);
    const to = opts.random.pick(accounts.filter((a) => a !== from));
    const amount = 1 + opts.random.int(40);
    return message(from, { type: 'transfer', requestId: `${opts.runId}-t${i}`, from, to, amount });
  });
  for (let i = 0; i < transfers.length; i += 20) {
    await producer.send({ topic, messages: transfers.slice(i, i + 20) });
  }
  await producer.disconnect();
}

/**
 * Checks the transfers against the log once it is quiet: the balances table equals a fold
 * of the log (each step once, per account in offset order: deposits and credits add, a
 * transfer debits if the balance covers it); every accepted transfer has exactly one
 * credit step in the log and no refused one has any; the balances sum to the deposits.
 */
export async function verifyTransfers(
  kafka: Kafka,
  ddb: DynamoDBClient,
  res: DemoResources,
): Promise<TransferResult> {
  const log = await readAll(kafka, res.transfersTopic);
  const fold = foldLog(log);
  const stored = new Map(
    (await scanItems(ddb, res.balancesTable)).map((i) => [
      String(i.pk).slice('bal#'.length),
      Number(i.balance),
    ]),
  );
  const problems: string[] = [];
  for (const account of new Set([...stored.keys(), ...fold.balances.keys()])) {
    const want = fold.balances.get(account) ?? 0;
    if ((stored.get(account) ?? 0) !== want)
      problems.push(`${account}: table ${stored.get(account)}, log fold ${want}`);
  }
  const creditCopies = new Map<string, number>();
  for (const r of log) {
    const v = JSON.parse(r.value ?? '{}') as { type?: string; requestId?: string };
    if (v.type === 'credit')
      creditCopies.set(v.requestId ?? '', (creditCopies.get(v.requestId ?? '') ?? 0) + 1);
  }
  for (const id of fold.accepted)
    if (!fold.credited.has(id)) problems.push(`${id}: debited, never credited`);
  for (const id of fold.refused)
    if (creditCopies.has(id)) problems.push(`${id}: refused, yet a credit was emitted`);
  const total = [...stored.values()].reduce((a, b) => a + b, 0);
  if (total !== fold.deposited)
    problems.push(`the balances sum to ${total}, the deposits to ${fold.deposited}`);
  return {
    deposited: fold.deposited,
    total,
    accepted: fold.accepted.size,
    refused: fold.refused.size,
    problems,
  };
}

function foldLog(log: readonly ReadRecord[]) {
  const balances = new Map<string, number>();
  const accepted = new Set<string>();
  const refused = new Set<string>();
  const credited = new Set<string>();
  const seen = new Set<string>();
  let deposited = 0;
  const add = (a: string, n: number) => balances.set(a, (balances.get(a) ?? 0) + n);
  for (const r of log) {
    const v = JSON.parse(r.value ?? '{}') as Record<string, string | number>;
    const id = `${v.type}:${v.requestId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const amount = Number(v.amount);
    if (v.type === 'deposit') {
      add(String(v.account), amount);
      deposited += amount;
    } else if (v.type === 'transfer') {
      if ((balances.get(String(v.from)) ?? 0) >= amount) {
        add(String(v.from), -amount);
        accepted.add(String(v.requestId));
      } else refused.add(String(v.requestId));
    } else if (v.type === 'credit') {
      add(String(v.to), amount);
      credited.add(String(v.requestId));
    }
  }
  return { balances, accepted, refused, credited, deposited };
}
