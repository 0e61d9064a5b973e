/**
 * The claims and transfers processors of the parity stage (issue 20, docs/claims.md): their
 * stage settings, the MSK events their functions get, and what must follow on the local
 * stack. Used by deploy-parity.test.ts and bundles-as-shipped.test.ts through
 * deployed-stage.ts.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Kafka } from 'kafkajs';
import { expect } from 'vitest';
import type { MskBatchResponse, MskEvent } from '../../../functions/core/msk-event.js';
import type { StageConfig } from '../../../infra/config/types.js';
import { buildMskEvent, type FetchedRecord } from '../../../local/esm/event-builder.js';
import { readTopic } from '../../support/kafka-topic.js';
import { scanAll } from '../sink-dynamodb/support.js';

/** The processors' topics and tables of one run (unique names on the shared stack). */
export interface ProcessorStores {
  readonly claimsTopic: string;
  readonly decisionsTopic: string;
  readonly transfersTopic: string;
  readonly claimsTable: string;
  readonly balancesTable: string;
  readonly ledger: string;
}

/** The `claims` and `transfers` settings of the parity stage, with their topics. */
export function processorSettings(
  s: ProcessorStores,
): Required<Pick<StageConfig, 'claims' | 'transfers'>> & { topics: StageConfig['topics'] } {
  return {
    topics: [
      { name: s.claimsTopic, partitions: 1, versioning: 'log' },
      { name: s.decisionsTopic, partitions: 1, versioning: 'log' },
      { name: s.transfersTopic, partitions: 1, versioning: 'log' },
    ],
    claims: { requestsTopic: s.claimsTopic, decisionsTopic: s.decisionsTopic },
    transfers: { topic: s.transfersTopic },
  };
}

const claim = (s: ProcessorStores, offset: number, owner: string): FetchedRecord => ({
  topic: s.claimsTopic,
  partition: 0,
  offset,
  timestamp: Date.parse('2026-12-03T10:00:00Z') + offset,
  timestampType: 'CREATE_TIME',
  key: Buffer.from('username:alice'),
  value: Buffer.from(
    JSON.stringify({
      type: 'claim',
      requestId: `r-${owner}`,
      namespace: 'username',
      value: 'alice',
      owner,
      requestedAt: '2026-12-03T10:00:00Z',
    }),
  ),
  headers: [],
});

const step = (body: Record<string, unknown>, subject: string) => ({
  key: `account:${subject}`,
  value: JSON.stringify(body),
});

/** The events the processors' functions get, and what must follow on the local stack. */
export class ProcessorChecks {
  constructor(
    private readonly kafka: Kafka,
    private readonly dynamo: DynamoDBClient,
    private readonly brokers: readonly string[],
    private readonly s: ProcessorStores,
  ) {}

  #event(records: readonly FetchedRecord[]): MskEvent {
    return buildMskEvent(
      {
        eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/parity/uuid-1',
        bootstrapServers: this.brokers.join(','),
      },
      [...records],
    );
  }

  /** Two claims of `username:alice`, by `a` then by `b`, as MSK delivers them. */
  claimsEvent(): MskEvent {
    return this.#event([claim(this.s, 0, 'a'), claim(this.s, 1, 'b')]);
  }

  /** First come, first served: `a` holds alice, `b` is refused; both decisions published. */
  async expectClaimsDecided(response: MskBatchResponse): Promise<void> {
    const { s } = this;
    expect(response.batchItemFailures).toEqual([]);
    const decisions = await readTopic(this.kafka, s.decisionsTopic, 2);
    expect(decisions.map((d) => d.key?.toString())).toEqual(['username:alice', 'username:alice']);
    expect(decisions.map((d) => JSON.parse(String(d.value)))).toEqual([
      expect.objectContaining({ requestId: 'r-a', granted: true, reason: 'free', owner: 'a' }),
      expect.objectContaining({
        requestId: 'r-b',
        granted: false,
        reason: 'held-by-other',
        holder: 'a',
        decidedAt: { topic: s.claimsTopic, partition: 0, offset: 1 },
      }),
    ]);
    const items = await scanAll(this.dynamo, s.claimsTable);
    expect(items.find((i) => i.pk === 'value#username:alice')).toMatchObject({ owner: 'a' });
    expect(items.map((i) => i.pk)).toEqual(expect.arrayContaining(['req#r-a', 'req#r-b']));
  }

  /**
   * A deposit of 100 to `a`, a transfer of 30 from `a` to `b` and one of 500 (it would
   * overdraw), produced to the transfers topic and delivered as MSK would, so that the
   * credit step the function emits follows them in the same partition.
   */
  async transfersEvent(): Promise<MskEvent> {
    const producer = this.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: this.s.transfersTopic,
      messages: [
        step({ type: 'deposit', requestId: 'd-1', account: 'a', amount: 100 }, 'a'),
        step({ type: 'transfer', requestId: 't-1', from: 'a', to: 'b', amount: 30 }, 'a'),
        step({ type: 'transfer', requestId: 'x-1', from: 'a', to: 'b', amount: 500 }, 'a'),
      ],
    });
    await producer.disconnect();
    return this.#event(await readTopic(this.kafka, this.s.transfersTopic, 3));
  }

  /**
   * `a` was debited 30 (the 500 refused, its refusal stored on its marker) and the accepted
   * debit's credit step is on the topic. Returns that credit step as MSK delivers it.
   */
  async expectDebited(response: MskBatchResponse): Promise<MskEvent> {
    const { s } = this;
    expect(response.batchItemFailures).toEqual([]);
    expect(await this.#balances()).toEqual({ a: 70 });
    const credits = (await readTopic(this.kafka, s.transfersTopic, 4)).filter(
      (r) => (JSON.parse(String(r.value)) as { type: string }).type === 'credit',
    );
    expect(credits).toHaveLength(1);
    const [credit] = credits;
    expect(credit?.key?.toString()).toBe('account:b');
    expect(JSON.parse(String(credit?.value))).toEqual({
      type: 'credit',
      requestId: 't-1',
      from: 'a',
      to: 'b',
      amount: 30,
    });
    expect(credit?.headers.map(([k, v]) => [k, v.toString()])).toEqual([
      ['staysync-step-id', 'credit:t-1'],
    ]);
    const ledger = await scanAll(this.dynamo, s.ledger);
    expect(ledger.find((i) => i.pk === 'evt#transfers#transfer:x-1')).toMatchObject({
      outcome: 'refused',
    });
    return this.#event(credits);
  }

  /** The credit step landed: the balances sum to the deposit again. */
  async expectCredited(response: MskBatchResponse): Promise<void> {
    expect(response.batchItemFailures).toEqual([]);
    expect(await this.#balances()).toEqual({ a: 70, b: 30 });
  }

  async #balances(): Promise<Record<string, number>> {
    const items = await scanAll(this.dynamo, this.s.balancesTable);
    return Object.fromEntries(
      items
        .filter((i) => String(i.pk).startsWith('bal#'))
        .map((i) => [String(i.pk).slice('bal#'.length), Number(i.balance)]),
    );
  }
}
