import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Decision } from '../core/claims/decide.js';
import { type ClaimType, claimKey } from '../core/claims/request.js';
import { RetriableError } from '../core/errors.js';

export interface ClaimsClientOptions {
  readonly kafka: Kafka;
  readonly claimsTopic: string;
  readonly decisionsTopic: string;
  /** how long one attempt waits for its decision. @default 5000 */
  readonly timeoutMs?: number;
  /** attempts (the request republished with the same requestId). @default 3 */
  readonly attempts?: number;
  /** @default crypto.randomUUID */
  readonly newRequestId?: () => string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default a group of its own: every client sees every decision */
  readonly groupId?: string;
}

/** No decision arrived within the attempts: the outcome is unknown (retry the same id). */
export class ClaimTimeoutError extends RetriableError {}

/**
 * What an application uses to claim a unique value (docs/claims.md): `claim` publishes the
 * request to the claims topic and waits for its decision on the decisions topic. When an
 * attempt times out it republishes the very same request (same `requestId`): the claims
 * processor answers a decided id with the stored decision, so a retry can never win or
 * lose twice. A decision seen twice (a redelivery) resolves the waiter once.
 *
 * @example
 * const claims = new ClaimsClient({ kafka, claimsTopic: 'claims', decisionsTopic: 'claim-decisions' });
 * await claims.start();
 * const d = await claims.claim('username', 'alice', 'user-42');
 * if (!d.granted) console.log(`taken (${d.reason})`);
 */
export class ClaimsClient {
  readonly #o: Required<ClaimsClientOptions>;
  readonly #waiters = new Map<string, (d: Decision) => void>();
  #producer: Producer | undefined;
  #consumer: Consumer | undefined;

  constructor(opts: ClaimsClientOptions) {
    this.#o = {
      timeoutMs: 5_000,
      attempts: 3,
      newRequestId: randomUUID,
      now: () => new Date(),
      groupId: `staysync-claims-client-${randomUUID()}`,
      ...opts,
    };
  }

  /** Connects, and listens to the decisions topic from its end (the group has joined). */
  async start(): Promise<void> {
    const producer = this.#o.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    this.#producer = producer;
    const consumer = this.#o.kafka.consumer({ groupId: this.#o.groupId });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.#o.decisionsTopic, fromBeginning: false });
    const joined = new Promise<void>((resolve) =>
      consumer.on(consumer.events.GROUP_JOIN, () => resolve()),
    );
    await consumer.run({
      eachMessage: async ({ message }) => {
        const decision = JSON.parse(message.value?.toString('utf8') ?? 'null') as Decision | null;
        if (decision === null) return;
        const waiter = this.#waiters.get(decision.requestId);
        this.#waiters.delete(decision.requestId);
        waiter?.(decision);
      },
    });
    await joined;
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect();
    await this.#producer?.disconnect();
  }

  claim(namespace: string, value: string, owner: string, requestId?: string): Promise<Decision> {
    return this.request('claim', namespace, value, owner, requestId);
  }

  release(namespace: string, value: string, owner: string, requestId?: string): Promise<Decision> {
    return this.request('release', namespace, value, owner, requestId);
  }

  /** Publishes one request and waits for its decision (see the class comment). */
  async request(
    type: ClaimType,
    namespace: string,
    value: string,
    owner: string,
    requestId: string = this.#o.newRequestId(),
  ): Promise<Decision> {
    const producer = this.#producer;
    if (producer === undefined) throw new Error('ClaimsClient: call start() first');
    const body = JSON.stringify({
      type,
      requestId,
      namespace,
      value,
      owner,
      requestedAt: this.#o.now().toISOString(),
    });
    const decided = new Promise<Decision>((resolve) => this.#waiters.set(requestId, resolve));
    for (let attempt = 1; attempt <= this.#o.attempts; attempt++) {
      await producer.send({
        topic: this.#o.claimsTopic,
        acks: -1,
        messages: [{ key: claimKey(namespace, value), value: body }],
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), this.#o.timeoutMs);
      });
      const decision = await Promise.race([decided, timeout]);
      clearTimeout(timer);
      if (decision !== null) return decision;
    }
    this.#waiters.delete(requestId);
    throw new ClaimTimeoutError(
      `claims: no decision for ${requestId} (${claimKey(namespace, value)}) after ${this.#o.attempts} attempts`,
    );
  }
}
