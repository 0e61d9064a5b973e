import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Kafka } from 'kafkajs';
import { ClaimsClient } from '../../../functions/claims/client.js';
import type { Decision } from '../../../functions/core/claims/decide.js';
import { scanItems } from '../../aws/resources.js';
import { readAll } from './read-topic.js';
import type { DemoResources } from './resources.js';

export interface RaceResult {
  readonly names: number;
  readonly requests: number;
  /** problems found; empty when every name has exactly one winner and every loser knew */
  readonly problems: string[];
}

/**
 * `clients` applications race for `names` usernames at once: each claims every name, in
 * its own shuffled order. Then, from the decisions log and the claims table: every name
 * has exactly one granted claim, its holder in the table is that winner, and every other
 * client received a refusal naming that winner.
 */
export async function raceForNames(
  kafka: Kafka,
  ddb: DynamoDBClient,
  res: DemoResources,
  opts: { clients: number; names: number; random: () => number; runId: string },
): Promise<RaceResult> {
  const names = Array.from({ length: opts.names }, (_, i) => `user${i}`);
  const clients = Array.from(
    { length: opts.clients },
    () =>
      new ClaimsClient({
        kafka,
        claimsTopic: res.claimsTopic,
        decisionsTopic: res.decisionsTopic,
        timeoutMs: 10_000,
        groupId: `${opts.runId}-client-${Math.floor(opts.random() * 1e9)}`,
      }),
  );
  await Promise.all(clients.map((c) => c.start()));
  const told = new Map<string, Decision>(); // `${owner}/${name}` → decision received
  try {
    await Promise.all(
      clients.map(async (client, i) => {
        const owner = `owner${i}`;
        const order = [...names].sort(() => opts.random() - 0.5);
        await Promise.all(
          order.map(async (name) => {
            told.set(`${owner}/${name}`, await client.claim('username', name, owner));
          }),
        );
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
  }

  const problems: string[] = [];
  const requests = opts.clients * opts.names;
  const logged = (await readAll(kafka, res.decisionsTopic, requests)).map(
    (r) => JSON.parse(r.value ?? 'null') as Decision,
  );
  const holders = new Map(
    (await scanItems(ddb, res.claimsTable))
      .filter((item) => String(item.pk).startsWith('value#'))
      .map((item) => [String(item.pk).slice('value#username:'.length), item.owner as string]),
  );
  for (const name of names) {
    const winners = new Set(
      logged.filter((d) => d.value === name && d.granted).map((d) => d.owner),
    );
    if (winners.size !== 1) {
      problems.push(`${name}: ${winners.size} winners in the log (${[...winners].join(', ')})`);
      continue;
    }
    const winner = [...winners][0] as string;
    if (holders.get(name) !== winner)
      problems.push(`${name}: the table says ${holders.get(name)}, the log ${winner}`);
    for (let i = 0; i < opts.clients; i++) {
      const owner = `owner${i}`;
      const d = told.get(`${owner}/${name}`);
      if (d === undefined) problems.push(`${owner} was never told about ${name}`);
      else if (d.granted !== (owner === winner) || d.holder !== winner)
        problems.push(
          `${owner} was told ${d.reason} (holder ${d.holder}) for ${name}, won by ${winner}`,
        );
    }
  }
  return { names: names.length, requests, problems };
}
