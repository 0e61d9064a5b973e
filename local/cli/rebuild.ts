/**
 * `npm run rebuild`: builds a new version of a store from the log (or the archive),
 * verifies it and swaps it in (docs/rebuild-redrive.md). Exit 0 swapped (or built and
 * verified, waiting for the deploy; or dry run, or dropped), 1 the new version diverged
 * (not swapped), 2 bad input or error.
 *
 *   npm run rebuild -- --sink opensearch --from kafka --env-file .local/runs/<run>.env
 *   npm run rebuild -- --sink opensearch --from archive --env-file … [--dry-run]
 *   npm run rebuild -- --sink opensearch --drop-old --env-file …
 *   npm run rebuild -- --sink dynamodb --from kafka|archive --env-file …  # new table; again after the deploy
 *   npm run rebuild -- --sink dynamodb --in-place --from kafka --env-file …
 *   npm run rebuild -- --sink s3-archive --from kafka --env-file …        # new prefix; again after the deploy
 *   # a deployed stage: the function's variables, MSK with IAM auth
 *   npm run rebuild -- --sink opensearch --from kafka --function-name <fn> \
 *       --topics customers --kafka-auth msk-iam --cluster-arn arn:aws:kafka:…
 */
import { parseArgs } from 'node:util';
import { EnvVar } from '../../functions/contract/index.js';
import { type RebuildSource, RebuildSources, rebuild } from '../rebuild/rebuild.js';
import { kafkaAccess, optional } from '../reconcile/kafka-access.js';
import { UsageError } from '../sinks/errors.js';
import { parseSinkKind } from '../sinks/handlers.js';
import { runTool } from '../sinks/run-tool.js';
import { toolEnv } from '../sinks/tool-env.js';

const list = (raw: string | undefined) => (raw ?? '').split(',').filter((s) => s !== '');

runTool('rebuild', async () => {
  const { values } = parseArgs({
    options: {
      sink: { type: 'string' },
      from: { type: 'string' },
      'env-file': { type: 'string' },
      'function-name': { type: 'string' },
      topics: { type: 'string' },
      brokers: { type: 'string' },
      'kafka-auth': { type: 'string' },
      'cluster-arn': { type: 'string' },
      'batch-size': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'drop-old': { type: 'boolean', default: false },
      'in-place': { type: 'boolean', default: false },
    },
  });
  const kind = parseSinkKind(values.sink);
  const from = values.from ?? (values['drop-old'] ? 'kafka' : undefined);
  if (from === undefined || !(RebuildSources as readonly string[]).includes(from)) {
    throw new UsageError(`--from must be one of ${RebuildSources.join(', ')}`);
  }
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isSafeInteger(batchSize) && batchSize > 0)) {
    throw new UsageError(`--batch-size must be a positive integer, got ${values['batch-size']}`);
  }
  const env = await toolEnv({
    base: process.env,
    ...optional('envFile', values['env-file']),
    ...optional('functionName', values['function-name']),
  });
  const access = values['drop-old']
    ? { brokers: [] }
    : await kafkaAccess({
        ...optional('auth', values['kafka-auth'] ?? env.KAFKA_AUTH),
        brokers: list(values.brokers ?? env[EnvVar.kafkaBrokers]),
        ...optional('clusterArn', values['cluster-arn'] ?? env[EnvVar.mskClusterArn]),
        ...optional('region', env.AWS_REGION ?? env.AWS_DEFAULT_REGION),
      });
  const result = await rebuild({
    kind,
    env,
    from: from as RebuildSource,
    topics: list(values.topics ?? env[EnvVar.topics]),
    ...access,
    dryRun: values['dry-run'],
    dropOld: values['drop-old'],
    inPlace: values['in-place'],
    ...(batchSize === undefined ? {} : { batchSize }),
    log: (line) => console.log(line),
  });
  return result === 'diverged' ? 1 : 0;
});
