/**
 * `npm run bench [-- --only cost,decode,e2e,bundle,resources,stage] [-- --quick]`
 *
 * Runs the selected parts one after the other (never in parallel: they would measure each
 * other), then rewrites bench/results/results.json (merging parts not rerun), results.md
 * and chart.svg. The local stack must be up for cost and e2e (`npm run stack:up`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBundle } from './bundle/run-bundle.js';
import { runCost } from './cost/run-cost.js';
import { runDecode } from './decode/run-decode.js';
import { runE2e } from './e2e/run-e2e.js';
import { LoadSampler, machineInfo } from './lib/machine.js';
import { renderMarkdown } from './report/markdown.js';
import { type Part, type PartRun, Parts, type Results } from './report/results.js';
import { renderSvg } from './report/svg.js';
import { runResources } from './resources/run-resources.js';
import { runStageCost } from './stage/run-stage-cost.js';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const jsonFile = `${resultsDir}results.json`;

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'string', default: 'auto' },
  },
});
const selected: Part[] =
  values.only === undefined ? [...Parts] : (values.only.split(',') as Part[]);
for (const p of selected) {
  if (!Parts.includes(p))
    throw new Error(`--only: unknown part ${JSON.stringify(p)} (${Parts.join(', ')})`);
}
const quick = values.quick === true;
const log = (line: string) => process.stdout.write(`${line}\n`);

async function timed<T>(part: Part, f: () => Promise<T>): Promise<PartRun<T>> {
  log(`bench: ${part}…`);
  const sampler = new LoadSampler().start();
  const began = performance.now();
  const result = await f();
  return {
    at: new Date().toISOString(),
    seconds: Math.round((performance.now() - began) / 100) / 10,
    load: sampler.stop(),
    machine: machineInfo(),
    result,
  };
}

const results: Results = existsSync(jsonFile)
  ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as Results)
  : {};

const save = () => {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${resultsDir}results.md`, renderMarkdown(results));
  const m = machineInfo();
  writeFileSync(
    `${resultsDir}chart.svg`,
    renderSvg(
      results,
      `staysync benchmarks · ${m.cores} cores · Node ${m.node} · ${new Date().toISOString().slice(0, 10)} · blue: staysync, grey: Powertools peer, green: raw limit`,
    ),
  );
};

for (const part of selected) {
  switch (part) {
    case 'cost':
      results.cost = await timed('cost', () =>
        runCost({
          events: quick ? 100 : 300,
          batchSizes: [10, 100, 1000],
          duplicateShares: [0.01, 0.5],
          valueBytes: 1000,
          smallValue: { bytes: 250, batchSize: 100 },
          log,
        }),
      );
      break;
    case 'decode':
      results.decode = await timed('decode', () =>
        runDecode({
          records: 10_000,
          runs: quick ? 3 : 5,
          rounds: quick ? 5 : 11,
          valueBytes: 1000,
          profile: values.profile as 'auto' | 'always' | 'never',
          log,
        }),
      );
      break;
    case 'e2e':
      results.e2e = await timed('e2e', () =>
        runE2e({
          events: quick ? 400 : 2000,
          partitions: 4,
          batchSize: 100,
          valueBytes: 1000,
          runs: quick ? 3 : 5,
          fixedRate: quick
            ? { eventsPerSecond: 200, seconds: 10 }
            : { eventsPerSecond: 500, seconds: 60 },
          timeoutMs: 300_000,
          log,
        }),
      );
      break;
    case 'bundle':
      results.bundle = await timed('bundle', () => runBundle({ runs: quick ? 3 : 7, log }));
      break;
    case 'resources':
      results.resources = await timed('resources', () =>
        runResources({ runs: quick ? 1 : 3, valueBytes: 1000, log }),
      );
      break;
    case 'stage':
      results.stage = await timed('stage', async () =>
        runStageCost({ cost: results.cost?.result, log }),
      );
      break;
  }
  save();
}
log(`bench: wrote ${resultsDir}results.{json,md} and chart.svg`);
// kafkajs and SDK sockets may keep the loop alive a little; the results are written.
process.exit(0);
