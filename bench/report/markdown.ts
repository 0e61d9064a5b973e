/** bench/results/results.md from results.json. */
import { DECODE_TARGETS } from '../decode/run-decode.js';
import type { PartRun, Results } from './results.js';

const COST_TARGET = 2.5;
const E2E_TARGET = 0.7;

const yes = (ok: boolean) => (ok ? '**met**' : '**not met**');
const header = <T>(title: string, run: PartRun<T>) =>
  `## ${title}\n\nRun ${run.at} · ${run.machine.cores} cores (${run.machine.cpuModel}) · Node ${run.machine.node} · ${run.seconds} s · load average (1 min) during the part: mean ${run.load.mean}, min ${run.load.min}, max ${run.load.max}\n`;

export function renderMarkdown(results: Results): string {
  const out: string[] = [
    '# staysync benchmarks — results',
    '',
    'Written by `npm run bench` (see bench/README.md for what each part measures and how to rerun it). Each part records the machine, date and load it ran under; parts rerun alone (`--only`) replace only their own section.',
    '',
  ];
  const cost = results.cost;
  if (cost !== undefined) {
    const r = cost.result;
    out.push(header('1. Requests and cost per million events', cost));
    out.push(
      `Lambda: arm64, ${r.memoryMb} MB; billed duration = the handler's CPU time per invocation, rounded up to the ms (a lower bound: the wait on DynamoDB is left out because the wall time here is spent waiting on a local DynamoDB server shared with other test runs; summed wall time is in results.json). OpenSearch is billed per instance-hour, not per request: its requests are listed, not priced.\n`,
      '| system | batch | seen | value | DynamoDB writes/event | reads/event | other requests/event | WRU/event | RRU/event | DynamoDB $/1M | S3 $/1M | Lambda $/1M | total $/1M |',
      '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const row of r.rows) {
      const req = row.requestsPerEvent;
      const others = Object.entries(req)
        .filter(([k, v]) => !k.startsWith('ddb:') && v > 0)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const c = row.costPerMillion;
      out.push(
        `| ${row.system} | ${row.batchSize} | ${row.duplicateShare * 100}% | ${row.valueBytes} B | ${req['ddb:writes'] ?? 0} | ${req['ddb:reads'] ?? 0} | ${others || '–'} | ${row.wruPerEvent} | ${row.rruPerEvent} | ${c.dynamo} | ${c.s3} | ${(c.lambdaRequests + c.lambdaDuration).toFixed(4)} | ${c.total} |`,
      );
    }
    out.push(
      '',
      `Target: the DynamoDB view costs ≤ 1/${COST_TARGET} of the Powertools baseline (baseline ÷ staysync ≥ ${COST_TARGET}).`,
      '',
      '| batch | seen | value | baseline ÷ staysync, DynamoDB $ | target | baseline ÷ staysync, total $ (incl. Lambda) |',
      '|---:|---:|---:|---:|---|---:|',
    );
    for (const x of r.ratios) {
      out.push(
        `| ${x.batchSize} | ${x.duplicateShare * 100}% | ${x.valueBytes} B | ${x.dynamoOnly} | ${yes(x.dynamoOnly >= COST_TARGET)} | ${x.total} |`,
      );
    }
    out.push('');
  }
  const decode = results.decode;
  if (decode !== undefined) {
    const d = decode.result;
    out.push(header('2. Decode + validate + plan throughput (one core)', decode));
    out.push(
      `${d.records} records per MSK event, ~${d.valueBytes} B JSON values, median of ${d.rounds} rounds (paths interleaved each round).\n`,
      '| path | records/s |',
      '|---|---:|',
      `| raw: base64 decode + JSON.parse (the limit) | ${d.recordsPerSecond.raw} |`,
      `| staysync: msk-decode + envelope parse + planKeys | ${d.recordsPerSecond.staysync} |`,
      `| Powertools: kafka consumer + zod parser schema | ${d.recordsPerSecond.powertools} |`,
      '',
      `- staysync ÷ raw = ${d.ratios.ofRaw} (per-round paired median ${d.ratios.ofRawPaired}); target ≥ ${DECODE_TARGETS.ofRaw}: ${yes(d.targetsMet.ofRaw)}`,
      `- staysync ÷ Powertools = ${d.ratios.overPowertools} (paired ${d.ratios.overPowertoolsPaired}); target ≥ ${DECODE_TARGETS.overPowertools}: ${yes(d.targetsMet.overPowertools)}`,
      '',
    );
    if (d.profile !== undefined) {
      out.push(
        'Profile of the staysync path (node --cpu-prof, self time, top functions):',
        '',
        '| share | function | where |',
        '|---:|---|---|',
      );
      for (const h of d.profile) out.push(`| ${h.share}% | ${h.fn} | ${h.where} |`);
      out.push('');
    }
  }
  const e2e = results.e2e;
  if (e2e !== undefined) {
    const e = e2e.result;
    const p = e.pipeline;
    out.push(header('3. End to end: Kafka → emulator → three sinks', e2e));
    out.push(
      `${e.events} events (~1 KB, distinct keys), ${e.partitions} partitions, batch size ${e.batchSize}, emulator ${e.emulator}; visible = the sink invocation carrying the record returned it applied.\n`,
      '| measure | value |',
      '|---|---:|',
      `| pipeline, publish → visible in all three stores | ${p.eventsPerSecond} events/s (${p.seconds} s) |`,
      `| last record applied: DynamoDB / OpenSearch / S3 | ${p.perSinkSeconds.dynamodb} s / ${p.perSinkSeconds.opensearch} s / ${p.perSinkSeconds['s3-archive']} s |`,
      `| raw ingest, three stores at once (BatchWriteItem 25, _bulk 500, PutObject per 500), median of ${e.raw.runs.length} | ${e.raw.eventsPerSecond} events/s |`,
      `| raw DynamoDB, one PutItem per item | ${e.rawDynamoPutItemsPerSecond} items/s |`,
      `| ratio pipeline ÷ raw (target ≥ ${E2E_TARGET}) | ${e.ratio} — ${yes(e.ratio >= E2E_TARGET)} |`,
      `| ratio pipeline ÷ raw PutItem-per-item DynamoDB | ${e.ratioToPutItems} |`,
      `| produce → visible latency p50 / p95 / p99 / max | ${p.latencyMs.p50} / ${p.latencyMs.p95} / ${p.latencyMs.p99} / ${p.latencyMs.max} ms |`,
      `| invocations (failed) DynamoDB / OpenSearch / S3 | ${p.invocations.dynamodb} (${p.failedInvocations.dynamodb}) / ${p.invocations.opensearch} (${p.failedInvocations.opensearch}) / ${p.invocations['s3-archive']} (${p.failedInvocations['s3-archive']}) |`,
      `| verified after the run: view items / index docs | ${p.verified.viewItems} / ${p.verified.indexDocs} |`,
      '',
    );
  }
  const bundle = results.bundle;
  if (bundle !== undefined) {
    out.push(header('4. Bundles and cold init', bundle));
    out.push(
      'esbuild with the infra settings (ESM, minified, node24, AWS SDK bundled); init = `await import(bundle)` in a fresh `node` process (module init + config parse), median.\n',
      '| function | kind | size | gzip | init (median) | process start → ready |',
      '|---|---|---:|---:|---:|---:|',
    );
    for (const b of bundle.result) {
      out.push(
        `| ${b.name} | ${b.kind} | ${(b.bytes / 1024).toFixed(1)} KiB | ${(b.gzipBytes / 1024).toFixed(1)} KiB | ${b.initMs} ms | ${b.processReadyMs} ms |`,
      );
    }
    out.push('');
  }
  out.push('![chart](chart.svg)', '');
  return out.join('\n');
}
