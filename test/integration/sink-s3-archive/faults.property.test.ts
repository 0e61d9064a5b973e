import { afterAll, beforeAll } from 'vitest';
import { dynamoDbClient, s3Client } from '../../../functions/runtime/aws-clients.js';
import { createHandler } from '../../../functions/sink-s3-archive/create-handler.js';
import { describeUnderFaults, SDK_FAULTS, sdkFaultsIn } from '../../support/adapter-faults.js';
import { uniqueName } from '../../support/aws.js';
import { loadStackEnv } from '../../support/stack-env.js';
import { archiveSinkEnv, createResources, expectExactlyOnce, readArchive } from './support.js';

/**
 * The real S3 archive sink handler (archive objects, ledger, checkpoint past the batch)
 * on moto S3 and Dynoxide, under faults injected in the SDK middleware of its own clients:
 * throttling and 5xx before a request, a timeout after it committed, crashes before or
 * after any request. Random histories (fast-check, seeded: FC_SEED replays); the archive
 * must hold every record of the log exactly once, byte for byte (poison included: the
 * archive keeps what the log holds).
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const stack = loadStackEnv();
const s3 = s3Client(stack.vars);
const prefix = uniqueName('archive-faults');
let resources: Awaited<ReturnType<typeof createResources>>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  resources = await createResources(dynamoDbClient(stack.vars), s3);
  env = archiveSinkEnv(stack.vars, resources, prefix);
});
afterAll(async () => {
  await resources?.drop();
});

describeUnderFaults(
  'the S3 archive sink handler under injected SDK faults',
  'ends with every record of the log archived exactly once, whatever faults strike',
  {
    label: 'S3 archive sink',
    runs: { env: 'FC_ARCHIVE_ADAPTER_RUNS', default: 120 },
    faults: { kinds: SDK_FAULTS, percent: [20, 35] },
    handler: (retry) => createHandler(env, { retry }),
    inject: sdkFaultsIn(dynamoDbClient(stack.vars), s3Client(stack.vars)),
    check: async (log) =>
      expectExactlyOnce(await readArchive(s3, resources.archive, prefix, log.topic), log.records),
  },
);
