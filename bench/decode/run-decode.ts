/**
 * Part 2: decode + validate + plan throughput, records per second on one core, in a fresh
 * Node process (bench/decode/decode-child.ts). When a target is missed, the staysync path
 * is profiled (node --cpu-prof) and its hottest functions are reported.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { optionalPeersStub } from '../bundle/run-bundle.js';
import { median, round } from '../lib/stats.js';
import { type HotSpot, summarize } from './profile-summary.js';

const run = promisify(execFile);
const childSource = fileURLToPath(new URL('./decode-child.ts', import.meta.url));

/**
 * The child runs as an esbuild bundle (ESM, node24 target, minified syntax and whitespace;
 * identifiers kept so profiles stay readable), as the Lambda runs its code: not through
 * tsx, whose keep-names helper wraps every function, closures created per record included.
 */
async function bundleChild(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = path.join(dir, 'decode-child.mjs');
  await build({
    entryPoints: [childSource],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minifySyntax: true,
    minifyWhitespace: true,
    mainFields: ['module', 'main'],
    logLevel: 'error',
    plugins: [optionalPeersStub],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  return outfile;
}

export const DECODE_TARGETS = { ofRaw: 0.85, overPowertools: 4 } as const;

export interface DecodeResult {
  readonly records: number;
  readonly valueBytes: number;
  readonly rounds: number;
  /** median records/s per path */
  readonly recordsPerSecond: Readonly<Record<'raw' | 'staysync' | 'powertools', number>>;
  /** staysync / raw and staysync / powertools: ratio of medians, and median of the ratios
   *  of each round (the three paths run back to back in every round) */
  readonly ratios: {
    readonly ofRaw: number;
    readonly overPowertools: number;
    readonly ofRawPaired: number;
    readonly overPowertoolsPaired: number;
  };
  readonly targetsMet: { readonly ofRaw: boolean; readonly overPowertools: boolean };
  /** one entry per child process (a "run"), each the medians of its rounds; the headline
   *  figures above are the medians over the runs */
  readonly runs: ReadonlyArray<{
    readonly recordsPerSecond: Readonly<Record<'raw' | 'staysync' | 'powertools', number>>;
    readonly ofRawPaired: number;
    readonly overPowertoolsPaired: number;
  }>;
  /** spread over the runs of the paired ratios */
  readonly spread: {
    readonly ofRaw: { readonly min: number; readonly median: number; readonly max: number };
    readonly overPowertools: {
      readonly min: number;
      readonly median: number;
      readonly max: number;
    };
  };
  readonly profile?: readonly HotSpot[];
}

async function decodeChild(
  child: string,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
) {
  const { stdout } = await run(process.execPath, [...nodeFlags, child, ...args], {
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as {
    records: number;
    valueBytes: number;
    samples: Record<string, number[]>;
  };
}

export async function runDecode(options: {
  records: number;
  /** fresh child processes, one after the other */
  runs: number;
  rounds: number;
  valueBytes: number;
  profile: 'auto' | 'always' | 'never';
  log: (line: string) => void;
}): Promise<DecodeResult> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'staysync-decode-'));
  const child = await bundleChild(work);
  type Path = 'raw' | 'staysync' | 'powertools';
  const paired = (a: number[], b: number[]) => median(a.map((v, i) => v / (b[i] as number)));
  const runs: DecodeResult['runs'][number][] = [];
  let records = options.records;
  let valueBytes = options.valueBytes;
  for (let r = 0; r < options.runs; r++) {
    const out = await decodeChild(child, [
      String(options.records),
      String(options.rounds),
      String(options.valueBytes),
    ]);
    records = out.records;
    valueBytes = out.valueBytes;
    const s = out.samples as Record<Path, number[]>;
    const run = {
      recordsPerSecond: {
        raw: round(median(s.raw), 0),
        staysync: round(median(s.staysync), 0),
        powertools: round(median(s.powertools), 0),
      },
      ofRawPaired: round(paired(s.staysync, s.raw), 3),
      overPowertoolsPaired: round(paired(s.staysync, s.powertools), 2),
    };
    runs.push(run);
    options.log(
      `  run ${r + 1}: records/s (median of ${options.rounds} rounds) raw ${run.recordsPerSecond.raw}, staysync ${run.recordsPerSecond.staysync}, powertools ${run.recordsPerSecond.powertools}; paired staysync = ${run.ofRawPaired} × raw, ${run.overPowertoolsPaired} × powertools`,
    );
  }
  const over = (f: (r: (typeof runs)[number]) => number, digits: number) => {
    const xs = runs.map(f);
    return {
      min: round(Math.min(...xs), digits),
      median: round(median(xs), digits),
      max: round(Math.max(...xs), digits),
    };
  };
  const med = {
    raw: over((r) => r.recordsPerSecond.raw, 0).median,
    staysync: over((r) => r.recordsPerSecond.staysync, 0).median,
    powertools: over((r) => r.recordsPerSecond.powertools, 0).median,
  };
  const spread = {
    ofRaw: over((r) => r.ofRawPaired, 3),
    overPowertools: over((r) => r.overPowertoolsPaired, 2),
  };
  const ratios = {
    ofRaw: round(med.staysync / med.raw, 3),
    overPowertools: round(med.staysync / med.powertools, 2),
    ofRawPaired: spread.ofRaw.median,
    overPowertoolsPaired: spread.overPowertools.median,
  };
  const targetsMet = {
    ofRaw: ratios.ofRawPaired >= DECODE_TARGETS.ofRaw,
    overPowertools: ratios.overPowertoolsPaired >= DECODE_TARGETS.overPowertools,
  };
  options.log(
    `  over ${options.runs} runs (min / median / max): staysync ÷ raw ${spread.ofRaw.min} / ${spread.ofRaw.median} / ${spread.ofRaw.max}; ÷ powertools ${spread.overPowertools.min} / ${spread.overPowertools.median} / ${spread.overPowertools.max}`,
  );
  let profile: HotSpot[] | undefined;
  if (
    options.profile === 'always' ||
    (options.profile === 'auto' && !(targetsMet.ofRaw && targetsMet.overPowertools))
  ) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'staysync-decode-prof-'));
    try {
      await decodeChild(
        child,
        [
          String(options.records),
          String(Math.max(5, options.rounds)),
          String(options.valueBytes),
          'staysync',
        ],
        ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      );
      const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
      // the main thread's profile is the largest (the loader thread's is tiny)
      const main = files
        .map((f) => path.join(dir, f))
        .sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0];
      if (main !== undefined) {
        profile = summarize(JSON.parse(readFileSync(main, 'utf8')), 15);
        options.log('  staysync path profile (self time):');
        for (const h of profile) options.log(`    ${h.share}%  ${h.fn}  ${h.where}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  rmSync(work, { recursive: true, force: true });
  return {
    records,
    valueBytes,
    rounds: options.rounds,
    recordsPerSecond: med,
    ratios,
    targetsMet,
    runs,
    spread,
    ...(profile === undefined ? {} : { profile }),
  };
}
