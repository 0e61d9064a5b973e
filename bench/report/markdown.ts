/** bench/results/results.md from results.json. */
import { DECODE_TARGETS } from '../decode/run-decode.js';
import type { Spread } from '../e2e/run-e2e.js';
import { PRICES } from '../lib/prices.js';
import type { PartRun, Results } from './results.js';

const COST_TARGET = 2.5;
const E2E_TARGET = 0.7;
const E2E_BULK_TARGET = 0.5;

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
      `${d.records} records per MSK event, ~${d.valueBytes} B JSON values; ${d.runs?.length ?? 1} runs (fresh processes) of ${d.rounds} rounds each (paths interleaved each round); records/s are medians over the runs of each run's median.\n`,
      '| path | records/s |',
      '|---|---:|',
      `| raw: base64 decode + JSON.parse (the limit) | ${d.recordsPerSecond.raw} |`,
      `| staysync: msk-decode + envelope parse + planKeys | ${d.recordsPerSecond.staysync} |`,
      `| Powertools: kafka consumer + zod parser schema | ${d.recordsPerSecond.powertools} |`,
      '',
      `- staysync ÷ raw, paired per round, over the runs (min / **median** / max): ${d.spread?.ofRaw.min} / **${d.ratios.ofRawPaired}** / ${d.spread?.ofRaw.max} (ratio of medians ${d.ratios.ofRaw}); target ≥ ${DECODE_TARGETS.ofRaw}: ${yes(d.targetsMet.ofRaw)}`,
      `- staysync ÷ Powertools, same: ${d.spread?.overPowertools.min} / **${d.ratios.overPowertoolsPaired}** / ${d.spread?.overPowertools.max} (ratio of medians ${d.ratios.overPowertools}); target ≥ ${DECODE_TARGETS.overPowertools}: ${yes(d.targetsMet.overPowertools)}`,
      '',
      '| run | raw /s | staysync /s | Powertools /s | ÷ raw (paired) | ÷ Powertools (paired) |',
      '|---:|---:|---:|---:|---:|---:|',
      ...(d.runs ?? []).map(
        (r, i) =>
          `| ${i + 1} | ${r.recordsPerSecond.raw} | ${r.recordsPerSecond.staysync} | ${r.recordsPerSecond.powertools} | ${r.ofRawPaired} | ${r.overPowertoolsPaired} |`,
      ),
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
  // results.json written before the rounds existed: re-run `--only e2e`
  if (e2e !== undefined && e2e.result.rounds !== undefined) {
    const e = e2e.result;
    const sp = (x: Spread, unit = '') => `${x.min} / **${x.median}** / ${x.max}${unit}`;
    out.push(header('3. End to end: Kafka → emulator → three sinks', e2e));
    out.push(
      `${e.events} events a round (~1 KB, new keys), ${e.partitions} partitions, batch size ${e.batchSize}, emulator ${e.emulator}, DynamoDB on Dynoxide; ${e.rounds.length} rounds, each measuring raw bulk, raw guarded and the pipeline; ratios paired per round. Visible = the sink invocation carrying the record returned it applied. Figures: min / **median** / max over the rounds.\n`,
      '| measure | min / median / max |',
      '|---|---:|',
      `| pipeline, publish → visible in all three stores | ${sp(e.pipelineEventsPerSecond, ' events/s')} |`,
      `| raw guarded: the sinks' requests issued raw (INSERT ×25 guarded, _bulk and PutObject per ${e.batchSize}) | ${sp(e.guardedEventsPerSecond, ' events/s')} |`,
      `| raw bulk: BatchWriteItem 25, _bulk 500, PutObject per 500 | ${sp(e.bulkEventsPerSecond, ' events/s')} |`,
      `| raw DynamoDB, one conditional PutItem per item (a stored key's guarded put) | ${sp(e.putItemsPerSecond, ' items/s')} |`,
      `| **pipeline ÷ raw guarded** (target ≥ ${E2E_TARGET}) | ${sp(e.ratioToGuarded)} — ${yes(e.ratioToGuarded.median >= E2E_TARGET)} |`,
      `| **pipeline ÷ raw bulk** (target ≥ ${E2E_BULK_TARGET}) | ${sp(e.ratioToBulk)} — ${yes(e.ratioToBulk.median >= E2E_BULK_TARGET)} |`,
      `| latency at saturation p50 | ${sp(e.saturationLatencyMs.p50, ' ms')} |`,
      `| latency at saturation p95 | ${sp(e.saturationLatencyMs.p95, ' ms')} |`,
      `| latency at saturation p99 | ${sp(e.saturationLatencyMs.p99, ' ms')} |`,
      `| latency at ${e.fixedRate.offeredEventsPerSecond} events/s offered for ${e.fixedRate.seconds} s (${e.fixedRate.events} events, published at ${e.fixedRate.publishedEventsPerSecond}/s): p50 / p95 / p99 / max | ${e.fixedRate.latencyMs.p50} / ${e.fixedRate.latencyMs.p95} / ${e.fixedRate.latencyMs.p99} / ${e.fixedRate.latencyMs.max} ms |`,
      `| verified after the runs: view items / index docs | ${e.verified.viewItems} / ${e.verified.indexDocs} |`,
      '',
      '| round | raw bulk /s | raw guarded /s | pipeline /s | ÷ guarded | ÷ bulk | DynamoDB / OpenSearch / S3 done | p50 / p95 / p99 ms | CPU s (node, kafka, opensearch, dynoxide) |',
      '|---:|---:|---:|---:|---:|---:|---|---|---|',
      ...e.rounds.map((r, i) => {
        const p = r.pipeline;
        const c = p.cpuSeconds;
        return `| ${i + 1} | ${r.bulk.eventsPerSecond} | ${r.guarded.eventsPerSecond} | ${p.eventsPerSecond} | ${r.ratioToGuarded} | ${r.ratioToBulk} | ${p.perSinkSeconds.dynamodb} / ${p.perSinkSeconds.opensearch} / ${p.perSinkSeconds['s3-archive']} s | ${p.latencyMs.p50} / ${p.latencyMs.p95} / ${p.latencyMs.p99} | ${[c.node, c.kafka, c.opensearch, c.dynoxide].map((v) => (v === undefined ? '-' : v.toFixed(1))).join(', ')} |`;
      }),
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
  const resources = results.resources;
  if (resources !== undefined) {
    out.push(header('5. Per-event resources per sink (one invocation, fresh process)', resources));
    out.push(
      `Each sink's handler in a fresh process (one execution environment) on the local stack, warmed with 20 records, then one batch on new keys; median of the processes. CPU = user + system of the process during the invocation; RSS high-water = the process's peak (\`maxRSS\`, runtime and modules included); Lambda $ = ${resources.result.memoryMb} MB × measured wall time (arm64 $${PRICES.lambdaArmGbSecond}/GB-s, $${PRICES.lambdaRequestsPerMillion}/M requests: bench/README.md "Prices"), per million events at that batch; on this shared machine the wall time includes waiting on the local emulators.\n`,
      '| sink | batch | records | event | CPU ms / event | wall ms | RSS before | RSS high-water | Lambda $ / million events |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|',
      ...resources.result.rows.map(
        (r) =>
          `| ${r.sink} | ${r.batch} | ${r.records} | ${(r.eventBytes / 2 ** 20).toFixed(2)} MiB | ${r.cpuMsPerEvent} | ${r.wallMs} | ${r.rssBeforeMb} MB | ${r.maxRssMb} MB | ${r.lambdaUsdPerMillion} |`,
      ),
      '',
    );
  }
  const stage = results.stage;
  if (stage !== undefined) {
    const r = stage.result;
    out.push(header('6. Cost of a deployed stage (templates as synthesized today)', stage));
    out.push(
      `Read from the dev and prod templates (\`bench/stage/\`); US East on-demand list prices (bench/stage/stage-prices.ts, sources below), 730 h a month. Variable part: per million events through each sink mapping at its batch size, full batches; Lambda duration = measured CPU ms per event × batch + 3 sequential requests × ${r.requestLatencyMs} ms (assumed), per-event figures from ${r.perEventSource}: ${Object.entries(
        r.perEvent,
      )
        .map(([s, e]) => `${s} ${e.cpuMs} ms, ${e.wru} WRU`)
        .join('; ')}.\n`,
    );
    for (const [name, s] of Object.entries(r.stages)) {
      out.push(
        `**${name}**: fixed **$${s.fixedUsdPerMonth.toFixed(0)} per month**. Event pollers: ${s.pollers.mappings} provisioned mappings in ${s.pollers.groups.map((g) => `group \`${g.name}\` (${g.mappings} mappings, ${g.minimumPollers} minimum pollers → ${g.epus} EPU)`).join(', ') || 'no group'}${s.pollers.ungrouped > 0 ? `, ${s.pollers.ungrouped} ungrouped` : ''}: $${s.pollers.usdPerMonth.toFixed(0)}/month; without a poller group (the templates before issue 13) ${s.pollers.epusWithoutGroups} EPU = $${s.pollers.usdPerMonthWithoutGroups.toFixed(0)}/month.\n`,
        '| fixed item | quantity | $/month | price source |',
        '|---|---:|---:|---|',
        ...s.fixed.map(
          (l) =>
            `| ${l.item} | ${Math.round(l.quantity)} ${l.unit} | ${l.usdPerMonth.toFixed(2)} | ${l.source} |`,
        ),
        '',
        '| sink / topic | batch | memory | DynamoDB | S3 | Lambda requests | Lambda GB-s | **$ per million events** |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
        ...s.mappings.map(
          (m) =>
            `| ${m.sink} / ${m.topic} | ${m.batchSize} | ${m.memoryMb} MB | ${m.perMillion.dynamo.toFixed(3)} | ${m.perMillion.s3.toFixed(3)} | ${m.perMillion.lambdaRequests.toFixed(4)} | ${m.perMillion.lambdaDuration.toFixed(3)} | ${m.perMillion.total.toFixed(3)} |`,
        ),
        '',
      );
    }
  }
  out.push('![chart](chart.svg)', '');
  return out.join('\n');
}
