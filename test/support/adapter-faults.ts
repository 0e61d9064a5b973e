import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deliver,
  type Handler,
  KafkaLog,
  prng,
  SimulatedCrash,
} from '../integration/sink-dynamodb/msk-log.js';
import { uniqueName } from './aws.js';

/**
 * What the real-adapter fault properties (test/integration/sink-*) share: the seeded
 * history generator, fault injection in an AWS SDK client's middleware, and the tally
 * that asserts faults fired and prints `adapter fault schedules: …`.
 */

/** A short history: customers (upsert, patch, delete, tombstone), orders, duplicates, poison. */
export const stepArb = fc.oneof(
  fc.record({
    kind: fc.constantFrom('upsert', 'patch', 'delete', 'tombstone'),
    key: fc.nat({ max: 2 }),
    bump: fc.nat({ max: 2 }),
    n: fc.nat({ max: 99 }),
  }),
  fc.record({
    kind: fc.constant('order'),
    customer: fc.nat({ max: 1 }),
    amount: fc.nat({ max: 500 }),
  }),
  fc.record({ kind: fc.constant('dup'), of: fc.nat({ max: 20 }) }),
  fc.record({ kind: fc.constant('poison') }),
);
export type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

/** Customers on partition 0, orders and poison on partition 1; keys unique to `run`. */
export function buildLog(steps: readonly Step[], run: string): KafkaLog {
  const log = new KafkaLog(uniqueName('faults'));
  const versions = new Map<number, number>();
  const sent: { partition: number; spec: Parameters<KafkaLog['append']>[1] }[] = [];
  for (const step of steps) {
    if (step.kind === 'dup') {
      const original = sent[step.of % Math.max(1, sent.length)];
      if (original !== undefined) log.append(original.partition, original.spec);
    } else if (step.kind === 'poison') {
      log.appendRaw(1, 'order:x', Buffer.from('{"id":'));
    } else if (step.kind === 'order') {
      const spec = {
        entity: 'order',
        key: `o${sent.length}-${run}`,
        version: 1,
        id: uniqueName('o'),
        data: { customerId: `c${step.customer}-${run}`, amount: step.amount },
      };
      log.append(1, spec);
      sent.push({ partition: 1, spec });
    } else if (step.kind === 'tombstone') {
      log.tombstone(0, 'customer', `k${step.key}-${run}`);
    } else {
      const version = (versions.get(step.key) ?? 0) + step.bump;
      versions.set(step.key, version);
      const spec = {
        entity: 'customer',
        key: `k${step.key}-${run}`,
        version,
        op: step.kind,
        id: uniqueName('c'),
        ...(step.kind === 'delete' ? {} : { data: { n: step.n, [`f${step.n % 3}`]: true } }),
      };
      log.append(0, spec);
      sent.push({ partition: 0, spec });
    }
  }
  return log;
}

export const SDK_FAULTS = [
  'throttled',
  '5xx',
  'timeout-after-commit',
  'crash-before',
  'crash-after',
] as const;
export type SdkFault = (typeof SDK_FAULTS)[number];

const awsError = (name: string, status: number) =>
  Object.assign(new Error(`${name} (injected)`), { name, $metadata: { httpStatusCode: status } });

interface SdkClient {
  middlewareStack: {
    add(mw: unknown, opts: { step: 'initialize'; name: string }): void;
    remove(name: string): boolean;
  };
}

/**
 * Injects faults into every request of an AWS SDK v3 `client` (its middleware stack)
 * until the returned function is called: throttling and 5xx before the request, a timeout
 * after it committed, crashes before or after it. Each fault fired is pushed to `fired`
 * as `<Command>:<fault>`.
 */
export function injectSdkFaults(
  client: unknown,
  pick: () => SdkFault | undefined,
  fired: string[],
): () => void {
  const name = uniqueName('faults');
  const stack = (client as SdkClient).middlewareStack;
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const fault = pick();
        if (fault === undefined) return next(args);
        fired.push(`${context.commandName ?? '?'}:${fault}`);
        if (fault === 'throttled') throw awsError('ThrottlingException', 400);
        if (fault === '5xx') throw awsError('InternalServerError', 500);
        if (fault === 'crash-before') throw new SimulatedCrash('crash before the request');
        await next(args);
        if (fault === 'crash-after') throw new SimulatedCrash('crash after the request');
        throw awsError('TimeoutError', 0); // the write committed, the answer was lost
      },
    { step: 'initialize', name },
  );
  return () => stack.remove(name);
}

/** {@link injectSdkFaults} into each of `clients`, for {@link FaultPropertyOptions.inject}. */
export const sdkFaultsIn =
  (...clients: unknown[]) =>
  (pick: () => SdkFault | undefined, fired: string[]): Array<() => void> =>
    clients.map((client) => injectSdkFaults(client, pick, fired));

/** Faults fired per history and per request; `done` asserts ≥ 90 % fired and prints the line. */
export class FaultTally {
  runs = 0;
  fired = 0;
  readonly byRequest = new Map<string, number>();

  constructor(readonly label: string) {}

  /** One history ran; `points` are its faults as `<request>:<fault>`. */
  record(points: readonly string[]): void {
    this.runs++;
    if (points.length > 0) this.fired++;
    for (const p of points) {
      const request = p.split(':')[0] as string;
      this.byRequest.set(request, (this.byRequest.get(request) ?? 0) + 1);
    }
  }

  done(): void {
    const points = [...this.byRequest].sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${n}`);
    console.info(
      `${this.label}: adapter fault schedules: ${this.runs} run, ${this.fired} fired, by request: ${points.join(', ')}`,
    );
    expect(this.runs).toBeGreaterThan(0);
    expect(this.fired / this.runs).toBeGreaterThanOrEqual(0.9);
  }
}

/** Engine retries without real waiting: the faults, not the backoff, are under test. */
const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 4, maxAttempts: 3 };

export interface FaultPropertyOptions<F extends string> {
  /** printed with the tally, e.g. `DynamoDB sink` */
  readonly label: string;
  /** histories: `default`, or the value of the environment variable `env` */
  readonly runs: { readonly env: string; readonly default: number };
  /** the faults, and the share of requests that fault (drawn per history in `percent`) */
  readonly faults: { readonly kinds: readonly F[]; readonly percent: readonly [number, number] };
  /** a fresh handler (a cold start) per history, with the engine's `retry` settings */
  readonly handler: (retry: typeof FAST_RETRY) => Handler;
  /** attaches `pick` to the handler's clients; returns the detach functions */
  readonly inject: (pick: () => F | undefined, fired: string[]) => Array<() => void>;
  /** asserts the stores after `log` was delivered; `run` is the history's key suffix */
  readonly check: (log: KafkaLog, run: string) => Promise<void>;
}

/**
 * The real-adapter fault property: random histories ({@link stepArb}), each delivered by
 * a small event source mapping with random batch sizes while `inject` strikes the
 * handler's requests with `faults` (seeded; FC_SEED replays), then `check`ed; at the end,
 * ≥ 90 % of histories must have fired a fault. Stops at the first failure (no shrinking:
 * each run costs real requests).
 */
export async function assertUnderFaults<F extends string>(o: FaultPropertyOptions<F>) {
  const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const runs = Number(process.env[o.runs.env] ?? o.runs.default);
  console.info(`${o.label} under faults: FC_SEED=${seed} ${o.runs.env}=${runs}`);
  const tally = new FaultTally(o.label);
  await fc.assert(
    fc.asyncProperty(
      fc.array(stepArb, { minLength: 5, maxLength: 14 }),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.integer({ min: o.faults.percent[0], max: o.faults.percent[1] }),
      async (steps, faultSeed, ratePercent) => {
        const run = uniqueName('r').slice(2);
        const log = buildLog(steps, run);
        const random = prng(faultSeed);
        const pick = (): F | undefined =>
          random() * 100 < ratePercent
            ? o.faults.kinds[Math.floor(random() * o.faults.kinds.length)]
            : undefined;
        const handler = o.handler(FAST_RETRY);
        const points: string[] = [];
        const stops = o.inject(pick, points);
        try {
          await deliver(handler, log.records, () => 1 + Math.floor(random() * 6), {
            maxInvocations: 2_000,
          });
        } finally {
          for (const stop of stops) stop();
        }
        tally.record(points);
        await o.check(log, run);
      },
    ),
    { seed, numRuns: runs, endOnFailure: true },
  );
  tally.done();
}

/** Declares `describe(subject) / it(behaviour)` running {@link assertUnderFaults}. */
export function describeUnderFaults<F extends string>(
  subject: string,
  behaviour: string,
  options: FaultPropertyOptions<F>,
  timeoutMs = 300_000,
): void {
  describe(subject, () => {
    it(behaviour, () => assertUnderFaults(options), timeoutMs);
  });
}
