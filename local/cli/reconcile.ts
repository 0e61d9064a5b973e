/**
 * `npm run reconcile`: compares the DynamoDB view, the OpenSearch index and the S3
 * archive against the log (Kafka from offset 0, or the archive) and lists every
 * divergence. Reads the sinks' own variables (DESIGN §3.2) from the environment, or from
 * an env file (each `npm start` run writes one under .local/runs/). Exit 0 when every
 * store equals the log, 1 when one diverges, 2 on error.
 *
 *   npm run reconcile -- --env-file .local/runs/<run>.env
 *   VIEW_TABLE=… OPENSEARCH_ENDPOINT=… INDEX_PREFIX=… ARCHIVE_BUCKET=… KAFKA_BROKERS=… \
 *     npm run reconcile -- --topics customers,orders [--stores dynamodb,opensearch] [--source archive]
 *   # a deployed pipeline on Amazon MSK with IAM auth (your AWS credentials, AWS_REGION):
 *   … npm run reconcile -- --topics customers --kafka-auth msk-iam --cluster-arn arn:aws:kafka:…
 */
import { parseArgs } from 'node:util';
import { EnvVar } from '../../functions/contract/index.js';
import { kafkaAccess, optional } from '../reconcile/kafka-access.js';
import { formatReport, reconcile, type StoreName, StoreNames } from '../reconcile/reconcile.js';
import { readEnvFile } from '../stack/env-file.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'env-file': { type: 'string' },
      topics: { type: 'string' },
      brokers: { type: 'string' },
      'kafka-auth': { type: 'string' },
      'cluster-arn': { type: 'string' },
      stores: { type: 'string' },
      source: { type: 'string' },
      'max-listed': { type: 'string' },
    },
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(values['env-file'] === undefined ? {} : readEnvFile(values['env-file'])),
  };
  const topics = (values.topics ?? env[EnvVar.topics] ?? '').split(',').filter((t) => t !== '');
  const brokers = (values.brokers ?? env[EnvVar.kafkaBrokers] ?? '')
    .split(',')
    .filter((b) => b !== '');
  if (topics.length === 0) throw new Error(`no topics: pass --topics a,b or set ${EnvVar.topics}`);
  const source = values.source ?? 'kafka';
  if (source !== 'kafka' && source !== 'archive')
    throw new Error('--source must be kafka or archive');
  const stores = values.stores?.split(',').map((s) => {
    if (!(StoreNames as readonly string[]).includes(s))
      throw new Error(`unknown store ${s} (${StoreNames.join(', ')})`);
    return s as StoreName;
  });
  const access =
    source === 'kafka'
      ? await kafkaAccess({
          ...optional('auth', values['kafka-auth'] ?? env.KAFKA_AUTH),
          brokers,
          ...optional('clusterArn', values['cluster-arn'] ?? env.MSK_CLUSTER_ARN),
          ...optional('region', env.AWS_REGION ?? env.AWS_DEFAULT_REGION),
        })
      : { brokers };
  const report = await reconcile({
    env,
    ...access,
    topics,
    source,
    ...(stores === undefined ? {} : { stores }),
  });
  console.log(formatReport(report, Number(values['max-listed'] ?? 50)));
  return report.converged ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`reconcile: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
