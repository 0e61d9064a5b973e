/**
 * `npm run archive:verify -- --topic orders [options]`: checks an S3 archive written by
 * sink-s3-archive — no duplicate offsets, no gaps (except those a compacted topic or the
 * offsets Kafka holds explain), every object consistent with its key and metadata — and
 * prints the offset ranges per partition. Exit code 0 when clean, 1 on problems, 2 on
 * usage errors.
 *
 * Options:
 *   --topic <name>          topic to verify (required)
 *   --bucket <name>         archive bucket (default: $ARCHIVE_BUCKET)
 *   --prefix <prefix>       archive prefix (default: $ARCHIVE_PREFIX, else "archive")
 *   --partitions 0,1,2      only these partitions
 *   --from / --to <date>    only objects of these dt= days (yyyy-mm-dd, inclusive)
 *   --compacted             holes between archived offsets are expected (compacted topic)
 *   --expected <file.json>  offsets Kafka holds: {"<partition>": [offset | [first, last], ...]}
 *   --json                  print the report as JSON
 *   --local                 use the local stack's endpoints (.local/stack.env)
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ArchiveReader } from '../../functions/adapters/archive-reader.js';
import { EnvVar } from '../../functions/contract/index.js';
import { parseExpectedOffsets } from '../../functions/core/archive/expected-offsets.js';
import {
  type ArchiveReport,
  ArchiveVerifier,
  type VerifyOptions,
} from '../../functions/core/archive/verify.js';
import { formatArchiveReport } from '../../functions/core/archive/verify-report.js';
import { s3Client } from '../../functions/runtime/aws-clients.js';
import { readEnvFile } from '../stack/env-file.js';
import { envFile, stackPaths } from '../stack/support/paths.js';

export interface VerifyRun {
  readonly exitCode: 0 | 1 | 2;
  readonly report?: ArchiveReport;
}

class UsageError extends Error {}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Runs the command; `out`/`err` receive lines. Exported for tests. */
export async function runArchiveVerify(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<VerifyRun> {
  let options: Parsed;
  try {
    options = parse(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`archive:verify: ${e.message}`);
    return { exitCode: 2 };
  }
  const reader = new ArchiveReader({
    client: s3Client(options.env),
    bucket: options.bucket,
    prefix: options.prefix,
    topic: options.topic,
    ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
    ...(options.from === undefined ? {} : { fromDate: options.from }),
    ...(options.to === undefined ? {} : { toDate: options.to }),
  });
  const verifier = new ArchiveVerifier(options.topic, options.verify);
  for (const partition of await reader.partitions()) {
    for (const ref of await reader.objects(partition)) {
      const opened = await reader.open(ref);
      verifier.beginObject({ key: ref.key, id: ref.id, declared: opened.declared });
      for await (const record of opened.records) verifier.record(record);
      verifier.endObject();
    }
  }
  const report = verifier.finish();
  out(options.json ? JSON.stringify(report, null, 2) : formatArchiveReport(options.topic, report));
  return { exitCode: report.ok ? 0 : 1, report };
}

interface Parsed {
  readonly env: NodeJS.ProcessEnv;
  readonly topic: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly partitions?: number[];
  readonly from?: string;
  readonly to?: string;
  readonly json: boolean;
  readonly verify: VerifyOptions;
}

function parse(argv: readonly string[], baseEnv: NodeJS.ProcessEnv): Parsed {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        topic: { type: 'string' },
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        partitions: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        compacted: { type: 'boolean', default: false },
        expected: { type: 'string' },
        json: { type: 'boolean', default: false },
        local: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const env =
    values.local === true ? { ...baseEnv, ...readEnvFile(envFile(stackPaths(baseEnv))) } : baseEnv;
  const str = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const topic = str('topic');
  if (topic === undefined) throw new UsageError('--topic is required');
  const bucket = str('bucket') ?? env[EnvVar.archiveBucket];
  if (bucket === undefined || bucket === '')
    throw new UsageError(`--bucket (or ${EnvVar.archiveBucket}) is required`);
  const prefix = str('prefix') ?? env[EnvVar.archivePrefix] ?? 'archive';
  const partitionsArg = str('partitions');
  let partitions: number[] | undefined;
  if (partitionsArg !== undefined) {
    partitions = partitionsArg.split(',').map((p) => {
      if (!/^\d+$/.test(p.trim()))
        throw new UsageError(`--partitions: "${p}" is not a partition number`);
      return Number(p.trim());
    });
  }
  for (const name of ['from', 'to']) {
    const d = str(name);
    if (d !== undefined && !DATE.test(d))
      throw new UsageError(`--${name} must be yyyy-mm-dd, got ${d}`);
  }
  if (values.compacted === true && str('expected') !== undefined) {
    throw new UsageError(
      '--compacted and --expected exclude each other (the offsets already explain the holes)',
    );
  }
  let expected: VerifyOptions['expected'];
  const expectedFile = str('expected');
  if (expectedFile !== undefined) {
    try {
      expected = parseExpectedOffsets(JSON.parse(readFileSync(expectedFile, 'utf8')));
    } catch (e) {
      throw new UsageError(`--expected ${expectedFile}: ${(e as Error).message}`);
    }
  }
  const from = str('from');
  const to = str('to');
  return {
    env,
    topic,
    bucket,
    prefix,
    ...(partitions === undefined ? {} : { partitions }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    json: values.json === true,
    verify: {
      compacted: values.compacted === true,
      ...(expected === undefined ? {} : { expected }),
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runArchiveVerify(process.argv.slice(2), process.env).then(
    ({ exitCode }) => {
      process.exitCode = exitCode;
    },
    (e: unknown) => {
      console.error(`archive:verify failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 2;
    },
  );
}
