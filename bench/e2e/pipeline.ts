/**
 * The pipeline under test, kept up across the runs of part 3: real Kafka → one
 * event-source-mapping emulator per sink (`local/esm`) → the real sink handler in its own
 * worker thread (a separate "function" with only its own environment, as `npm start` runs
 * them). A record is visible in a sink when the invocation that carried it returned it
 * applied (not in `batchItemFailures`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvVar } from '../../functions/contract/env.js';
import type { MskBatchResponse, MskEvent } from '../../functions/core/index.js';
import { type RunNames, type SinkName, SinkNames, sinkEnv } from '../../local/demo/resources.js';
import { EventSourceMapping, type Invoker } from '../../local/esm/event-source-mapping.js';
import { type InvokeResult, SinkHost } from '../../local/esm/sink-host.js';
import { createPublisher, type Publisher } from '../../local/publisher/publisher.js';
import type { Envelope } from '../lib/workload.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const HANDLERS: Readonly<Record<SinkName, string>> = {
  dynamodb: 'sink-dynamodb',
  opensearch: 'sink-opensearch',
  's3-archive': 'sink-s3-archive',
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface PipelineOptions {
  readonly names: RunNames;
  readonly topic: string;
  readonly vars: Readonly<Record<string, string>>;
  readonly brokers: readonly string[];
  readonly batchSize: number;
  readonly batchingWindowMs: number;
}

/** One measured run: every record's produce and visible time, and what the sinks did. */
export interface PipelineRun {
  /** per record (`partition@offset`): when its chunk was sent, and when it was visible in
   *  all three sinks */
  readonly sentAt: ReadonlyMap<string, number>;
  readonly visibleAt: ReadonlyMap<string, number>;
  readonly began: number;
  /** last record visible, per sink (epoch ms) */
  readonly lastBySink: Readonly<Record<SinkName, number>>;
  /** handler time of each invocation started during the run, per sink (ms) */
  readonly handlerMs: Readonly<Record<SinkName, readonly number[]>>;
  readonly failedInvocations: Readonly<Record<SinkName, number>>;
  readonly publishSeconds: number;
}

const perSink = <T>(f: () => T) =>
  Object.fromEntries(SinkNames.map((s) => [s, f()])) as Record<SinkName, T>;

export class BenchPipeline {
  readonly #hosts: SinkHost[] = [];
  readonly #mappings: EventSourceMapping[] = [];
  readonly #visible = perSink(() => new Map<string, number>());
  #handlerMs = perSink((): number[] => []);
  #failed = perSink(() => 0);
  #publisher: Publisher | undefined;

  constructor(private readonly options: PipelineOptions) {}

  async start(pipelineJson: string): Promise<void> {
    const o = this.options;
    for (const sink of SinkNames) {
      const host = new SinkHost({
        name: sink,
        handlerModule: path.join(repoRoot, 'functions', HANDLERS[sink], 'handler.ts'),
        env: {
          ...sinkEnv(sink, o.names, o.vars, pipelineJson),
          POWERTOOLS_LOG_LEVEL: 'ERROR',
          // the view sink's writes in flight per partition (its default: 16), to try others
          ...passThrough(EnvVar.viewWriteConcurrency),
        },
        timeoutMs: 120_000,
      });
      this.#hosts.push(host);
      const seen = this.#visible[sink];
      const invoker: Invoker = {
        invoke: async (event: MskEvent): Promise<InvokeResult> => {
          const startedAt = Date.now();
          const result = await host.invoke(event);
          const at = Date.now();
          this.#handlerMs[sink].push(at - startedAt);
          const failures = result.ok
            ? ((result.response as MskBatchResponse | null)?.batchItemFailures ?? [])
            : undefined;
          if (failures === undefined || failures.length > 0) this.#failed[sink]++;
          if (failures === undefined) return result;
          for (const [id, records] of Object.entries(event.records)) {
            const stop = failures.find((f) => f.itemIdentifier.partition === id)?.itemIdentifier
              .offset;
            for (const r of records) {
              if (stop !== undefined && r.offset >= stop) continue;
              const k = `${r.partition}@${r.offset}`;
              if (!seen.has(k)) seen.set(k, at);
            }
          }
          return result;
        },
      };
      this.#mappings.push(
        new EventSourceMapping({
          functionName: sink,
          groupId: o.names.groupOf(sink),
          topics: [o.topic],
          brokers: [...o.brokers],
          invoker,
          settings: {
            batchSize: o.batchSize,
            batchingWindowMs: o.batchingWindowMs,
            startingPosition: 'TRIM_HORIZON',
          },
        }),
      );
    }
    await Promise.all(this.#mappings.map((m) => m.start()));
    this.#publisher = await createPublisher({
      brokers: [...o.brokers],
      clientId: 'staysync-bench',
    });
  }

  /**
   * Publishes `docs` in chunks of `chunk` (as fast as the producer goes, or paced at
   * `eventsPerSecond`), waits until every record is visible in all three sinks, and
   * returns the run. Each record's produce time is when its chunk was sent.
   */
  async run(
    docs: readonly Envelope[],
    opts: { chunk: number; eventsPerSecond?: number; timeoutMs: number },
  ): Promise<PipelineRun> {
    const publisher = this.#publisher;
    if (publisher === undefined) throw new Error('BenchPipeline: start() first');
    const o = this.options;
    this.#handlerMs = perSink((): number[] => []);
    this.#failed = perSink(() => 0);
    const sentAt = new Map<string, number>();
    const began = Date.now();
    for (let i = 0; i < docs.length; i += opts.chunk) {
      if (opts.eventsPerSecond !== undefined) {
        const due = began + (i / opts.eventsPerSecond) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      const chunk = docs.slice(i, i + opts.chunk);
      const at = Date.now();
      const published = await publisher.publish(
        o.topic,
        chunk.map((d) => ({
          entity: d.entity,
          key: d.key,
          op: 'upsert' as const,
          data: d.data,
          version: d.version,
          id: d.id,
          ts: d.ts,
        })),
      );
      for (const p of published) sentAt.set(`${p.partition}@${p.offset}`, at);
    }
    const publishSeconds = (Date.now() - began) / 1000;
    const deadline = Date.now() + opts.timeoutMs;
    const missing = () => [...sentAt.keys()].filter((k) => !this.#allSaw(k));
    let left = missing();
    while (left.length > 0) {
      if (Date.now() > deadline) {
        throw new Error(
          `e2e: ${left.length} of ${sentAt.size} events not visible in all sinks within ${opts.timeoutMs} ms`,
        );
      }
      await sleep(50);
      left = left.filter((k) => !this.#allSaw(k));
    }
    const visibleAt = new Map<string, number>();
    const lastBySink = perSink(() => 0);
    for (const k of sentAt.keys()) {
      let all = 0;
      for (const s of SinkNames) {
        const at = this.#visible[s].get(k) as number;
        all = Math.max(all, at);
        lastBySink[s] = Math.max(lastBySink[s], at);
      }
      visibleAt.set(k, all);
    }
    return {
      sentAt,
      visibleAt,
      began,
      lastBySink,
      handlerMs: this.#handlerMs,
      failedInvocations: this.#failed,
      publishSeconds,
    };
  }

  #allSaw(k: string): boolean {
    return SinkNames.every((s) => this.#visible[s].has(k));
  }

  async stop(): Promise<void> {
    await this.#publisher?.close().catch(() => undefined);
    await Promise.all(this.#mappings.map((m) => m.stop().catch(() => undefined)));
    await Promise.all(this.#hosts.map((h) => h.close().catch(() => undefined)));
  }
}

/** A variable passed through from the bench's own environment, when set. */
function passThrough(name: string): Record<string, string> {
  const value = process.env[name];
  return value === undefined ? {} : { [name]: value };
}
