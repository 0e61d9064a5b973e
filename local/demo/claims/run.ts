import { Kafka, logLevel } from 'kafkajs';
import { createClaimsHandler } from '../../../functions/claims/create-handler.js';
import { dynamoDbClient, s3Client } from '../../../functions/runtime/aws-clients.js';
import { createTransfersHandler } from '../../../functions/transfers/create-handler.js';
import { EventSourceMapping } from '../../esm/event-source-mapping.js';
import { inProcessInvoker } from '../../esm/in-process-invoker.js';
import { seeded } from '../random.js';
import { injectTransferCrashes } from './crashes.js';
import { raceForNames } from './race.js';
import { createDemoResources } from './resources.js';
import { publishTransfers, verifyTransfers } from './transfers.js';

export interface ClaimsDemoOptions {
  readonly seed: number;
  readonly clients: number;
  readonly names: number;
  readonly accounts: number;
  readonly transfers: number;
  readonly crashRate: number;
  readonly maxCrashes: number;
  readonly partitions: number;
  /** prefixes every topic, table and bucket of the run (the stack may be shared) */
  readonly runId: string;
  /** the local stack's stack.env */
  readonly stack: Readonly<Record<string, string>>;
  readonly cleanup: boolean;
  readonly log: (line: string) => void;
}

/**
 * `npm run demo:claims`: N clients race for M names through the claims function, and
 * random transfers run through the transfers function with crashes injected between
 * steps; both run in this process behind the Kafka event-source-mapping emulator, on
 * resources of their own. Returns the problems found (none expected).
 */
export async function runClaimsDemo(opts: ClaimsDemoOptions) {
  const { stack, log } = opts;
  const random = seeded(opts.seed);
  const brokers = (stack.KAFKA_BROKERS ?? '').split(',');
  const kafka = new Kafka({ clientId: opts.runId, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ddb = dynamoDbClient(stack);
  const s3 = s3Client(stack);
  const res = await createDemoResources(stack, { ddb, s3, admin }, opts.runId, opts.partitions);
  log(`resources: ${res.claimsTopic}, ${res.transfersTopic}, tables ${res.claimsTable}, …`);
  // the functions' own DynamoDB client (cached per endpoint) is the one crashes hook into
  const crashes = injectTransferCrashes(dynamoDbClient(res.transfersEnv), {
    balancesTable: res.balancesTable,
    ledgerTable: res.ledgerTable,
    rate: opts.crashRate,
    max: opts.maxCrashes,
    random,
  });
  const settings = {
    batchingWindowMs: 50,
    retryDelayMs: 20,
    maxRetryDelayMs: 200,
    maxRetryAttempts: 1_000,
  };
  const mappings = [
    new EventSourceMapping({
      functionName: `${opts.runId}-claims`,
      topics: [res.claimsTopic],
      brokers,
      settings,
      invoker: inProcessInvoker(createClaimsHandler(res.claimsEnv)),
    }),
    new EventSourceMapping({
      functionName: `${opts.runId}-transfers`,
      topics: [res.transfersTopic],
      brokers,
      settings,
      invoker: inProcessInvoker(createTransfersHandler(res.transfersEnv)),
    }),
  ];
  const transfersMapping = mappings[1] as EventSourceMapping;
  try {
    for (const m of mappings) await m.start();
    log(`race: ${opts.clients} clients claim each of ${opts.names} names at once`);
    const race = await raceForNames(kafka, ddb, res, {
      clients: opts.clients,
      names: opts.names,
      random: random.next,
      runId: opts.runId,
    });
    log(`  ${race.requests} requests, ${race.names} names decided`);
    log(`transfers: ${opts.accounts} accounts of 100, ${opts.transfers} random transfers`);
    await publishTransfers(kafka, res.transfersTopic, { ...opts, count: opts.transfers, random });
    await quiet(admin, transfersMapping, res.transfersTopic);
    const transfers = await verifyTransfers(kafka, ddb, res);
    return { race, transfers, crashes: crashes.byPoint, resources: res };
  } finally {
    for (const m of mappings) await m.stop();
    if (opts.cleanup) await res.drop();
    await admin.disconnect();
  }
}

/** Waits until the mapping has committed the end of every partition of `topic`, and the
 *  end stopped moving (credits are appended while debits are applied). */
async function quiet(
  admin: ReturnType<Kafka['admin']>,
  mapping: EventSourceMapping,
  topic: string,
) {
  const deadline = Date.now() + 120_000;
  let stable = 0;
  while (Date.now() < deadline) {
    const ends = await admin.fetchTopicOffsets(topic);
    const done = ends.every(
      (p) => (mapping.stats.committed.get(`${topic}-${p.partition}`) ?? 0) >= Number(p.high),
    );
    stable = done ? stable + 1 : 0;
    if (stable >= 3) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${topic} was not fully applied within 120 s`);
}
