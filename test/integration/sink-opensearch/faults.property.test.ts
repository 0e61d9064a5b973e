import { afterAll, beforeAll, expect } from 'vitest';
import { openSearchClient } from '../../../functions/adapters/opensearch-client.js';
import type { MskEventRecord } from '../../../functions/core/msk-event.js';
import { fromDocument } from '../../../functions/core/opensearch/document.js';
import type { ViewState } from '../../../functions/core/view-state.js';
import { readOpenSearchSinkConfig } from '../../../functions/sink-opensearch/config.js';
import { createHandler } from '../../../functions/sink-opensearch/create-handler.js';
import { toMskRecord } from '../../../local/esm/event-builder.js';
import { buildLog, describeUnderFaults } from '../../support/adapter-faults.js';
import { modelRun } from '../../support/reference-model.js';
import { deliver, SimulatedCrash } from '../sink-dynamodb/msk-log.js';
import { FAULT_HEADER, type HttpFault, startFaultProxy } from './fault-proxy.js';
import { createFixture, getDoc } from './support.js';

/**
 * The real OpenSearch sink handler on the real OpenSearch node, under faults at the HTTP
 * layer of its client: 429 and 503 answered by a proxy in front of the node, a timeout and
 * a dropped connection after the node applied the request, and crashes between any two
 * requests (before or after one). Random histories (fast-check, seeded: FC_SEED replays);
 * every document must equal the reference model's state for its key.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const FAULTS = [
  '429',
  '503',
  'timeout-after-applied',
  'reset-after-applied',
  'crash-before',
  'crash-after',
] as const;
type Fault = (typeof FAULTS)[number];

type Request = (params: { method: string; path: string }, options?: object) => Promise<unknown>;

let fx: Awaited<ReturnType<typeof createFixture>>;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  fx = await createFixture();
  proxy = await startFaultProxy(fx.env().OPENSEARCH_ENDPOINT as string);
  // A short request timeout keeps the withheld answers cheap; indices are created up front.
  env = fx.env({ OPENSEARCH_ENDPOINT: proxy.url, OPENSEARCH_REQUEST_TIMEOUT_MS: '300' });
  const warm = buildLog(
    [
      { kind: 'order', customer: 0, amount: 1 },
      { kind: 'upsert', key: 0, bump: 1, n: 1 },
    ],
    'warm',
  );
  await deliver(createHandler(env), warm.records, () => 5);
});
afterAll(async () => {
  await proxy?.close();
  await fx?.drop();
});

/**
 * Wraps the transport of the handler's own client until the returned function is called:
 * crashes happen here, HTTP faults are handed to the proxy in {@link FAULT_HEADER}.
 */
function injectFaults(pick: () => Fault | undefined, fired: string[]): () => void {
  const transport = openSearchClient(readOpenSearchSinkConfig(env).client).transport as unknown as {
    request: Request;
  };
  const original = transport.request;
  transport.request = async (params, options = {}) => {
    const fault = pick();
    if (fault === undefined) return original.call(transport, params, options);
    fired.push(`${params.method} ${params.path.replace(fx.prefix, '').split('?')[0]}:${fault}`);
    if (fault === 'crash-before') throw new SimulatedCrash('crash before the request');
    if (fault === 'crash-after') {
      await original.call(transport, params, options);
      throw new SimulatedCrash('crash after the request');
    }
    const headers = {
      ...(options as { headers?: object }).headers,
      [FAULT_HEADER]: fault satisfies HttpFault,
    };
    return original.call(transport, params, { ...options, headers });
  };
  return () => {
    transport.request = original;
  };
}

describeUnderFaults(
  'the OpenSearch sink handler under injected HTTP faults',
  'ends with every document equal to the reference model, whatever faults strike',
  {
    label: 'OpenSearch sink',
    runs: { env: 'FC_OPENSEARCH_ADAPTER_RUNS', default: 100 },
    faults: { kinds: FAULTS, percent: [50, 65] },
    handler: (retry) => createHandler(env, { retry }),
    inject: (pick, fired) => [injectFaults(pick, fired)],
    check: async (log, run) => {
      const model = modelRun(
        log.records.map((r) => toMskRecord(r) as MskEventRecord),
        'source',
      );
      const keys = new Set([0, 1, 2].map((k) => `customer#k${k}-${run}`));
      for (const c of model.changes) keys.add(`${c.entity}#${c.key}`);
      const stored = new Map<string, ViewState>();
      for (const k of keys) {
        const [entity, id] = k.split('#') as [string, string];
        const doc = await getDoc(`${fx.prefix}-${entity}-write`, id);
        if (doc !== undefined) stored.set(k, fromDocument(doc.source, doc.version));
      }
      expect(stored).toEqual(model.view);
    },
  },
);
