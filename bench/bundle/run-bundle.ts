/**
 * Part 4: esbuild bundle size of each function with the infra's settings
 * (infra/constructs/house-function.ts: ESM, minified, node24 target, AWS SDK bundled,
 * the createRequire banner), and cold init time: a fresh `node` process importing the
 * bundle, which reads and validates its environment at module scope (the first config
 * parse). Median of `runs` processes, interleaved.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { EnvVar } from '../../functions/contract/env.js';
import { IDEMPOTENCY_TABLE_ENV } from '../baselines/powertools-idempotent-view.js';
import { median, round } from '../lib/stats.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const BundleTargets = [
  { name: 'sink-dynamodb', entry: 'functions/sink-dynamodb/handler.ts', kind: 'staysync' },
  { name: 'sink-opensearch', entry: 'functions/sink-opensearch/handler.ts', kind: 'staysync' },
  { name: 'sink-s3-archive', entry: 'functions/sink-s3-archive/handler.ts', kind: 'staysync' },
  {
    name: 'powertools-minimal',
    entry: 'bench/baselines/powertools-minimal-handler.ts',
    kind: 'baseline',
  },
  {
    name: 'powertools-idempotent',
    entry: 'bench/baselines/powertools-idempotent-handler.ts',
    kind: 'baseline',
  },
] as const;

export interface BundleRow {
  readonly name: string;
  readonly kind: 'staysync' | 'baseline';
  readonly bytes: number;
  readonly gzipBytes: number;
  /** median ms to import the bundle (module init + config parse), inside the process */
  readonly initMs: number;
  /** median ms from process start to the handler being ready (Node bootstrap included) */
  readonly processReadyMs: number;
  readonly samples: readonly number[];
}

/** Enough environment for every handler's cold start (no request is made at init). */
const INIT_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  [EnvVar.sinkName]: 'bench',
  [EnvVar.ledgerTable]: 'ledger',
  [EnvVar.viewTable]: 'view',
  [IDEMPOTENCY_TABLE_ENV]: 'idempotency',
  [EnvVar.openSearchEndpoint]: 'http://127.0.0.1:9',
  [EnvVar.indexPrefix]: 'bench',
  [EnvVar.archiveBucket]: 'archive',
  [EnvVar.archivePrefix]: 'archive',
  [EnvVar.quarantineBucket]: 'quarantine',
  [EnvVar.pipeline]: JSON.stringify({ topics: { changes: { versioning: 'source' } } }),
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

/**
 * `avro-js` and `protobufjs` are optional peers of @aws-lambda-powertools/kafka, imported
 * only for Avro/Protobuf schemas; a JSON-only handler bundles an empty stand-in for them
 * (esbuild inlines the dynamic import, so leaving them external would fail at load).
 */
export const optionalPeersStub = {
  name: 'optional-peers-stub',
  setup(b: import('esbuild').PluginBuild) {
    b.onResolve({ filter: /^(avro-js|protobufjs)$/ }, (args) => ({
      path: args.path,
      namespace: 'stub',
    }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export default {}; export class BufferReader {}',
      loader: 'js',
    }));
  },
};

const PROBE = `const t0 = performance.now();
await import(process.argv[2]);
const t1 = performance.now();
process.stdout.write(JSON.stringify({ initMs: t1 - t0, readyMs: t1 }));
`;

export async function runBundle(options: {
  runs: number;
  log: (line: string) => void;
}): Promise<BundleRow[]> {
  const dir = path.join(os.tmpdir(), `staysync-bench-bundles-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const probe = path.join(dir, 'probe.mjs');
  writeFileSync(probe, PROBE);
  const outputs = new Map<string, string>();
  for (const t of BundleTargets) {
    const outfile = path.join(dir, t.name, 'index.mjs');
    await build({
      entryPoints: [path.join(repoRoot, t.entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      minify: true,
      mainFields: ['module', 'main'],
      logLevel: 'error',
      plugins: [optionalPeersStub],
      banner: {
        js: "import { createRequire as __staysyncCreateRequire } from 'node:module'; const require = __staysyncCreateRequire(import.meta.url);",
      },
    });
    outputs.set(t.name, outfile);
  }
  const samples = new Map<string, Array<{ initMs: number; readyMs: number }>>();
  for (let i = 0; i < options.runs; i++) {
    for (const t of BundleTargets) {
      const { stdout } = await run(process.execPath, [probe, outputs.get(t.name) as string], {
        env: { PATH: process.env.PATH ?? '', ...INIT_ENV },
      });
      const list = samples.get(t.name) ?? [];
      list.push(JSON.parse(stdout) as { initMs: number; readyMs: number });
      samples.set(t.name, list);
    }
  }
  const rows: BundleRow[] = BundleTargets.map((t) => {
    const file = outputs.get(t.name) as string;
    const s = samples.get(t.name) ?? [];
    const row: BundleRow = {
      name: t.name,
      kind: t.kind,
      bytes: statSync(file).size,
      gzipBytes: gzipSync(readFileSync(file)).length,
      initMs: round(median(s.map((x) => x.initMs)), 1),
      processReadyMs: round(median(s.map((x) => x.readyMs)), 1),
      samples: s.map((x) => round(x.initMs, 1)),
    };
    options.log(
      `  ${t.name}: ${round(row.bytes / 1024, 1)} KiB (${round(row.gzipBytes / 1024, 1)} KiB gzip), init ${row.initMs} ms (process ready ${row.processReadyMs} ms)`,
    );
    return row;
  });
  return rows;
}
