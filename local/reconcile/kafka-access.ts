/**
 * How `npm run reconcile` reaches the log: plain brokers (the local stack), or Amazon MSK
 * with IAM authentication (a deployed pipeline), with the brokers given or looked up from
 * the cluster ARN (GetBootstrapBrokers, the SASL/IAM listener).
 */
import { KafkaClient } from '@aws-sdk/client-kafka';
import type { KafkaConfig } from 'kafkajs';
import {
  iamBootstrapBrokers,
  mskIamKafkaConfig,
} from '../../functions/adapters/kafka-admin-msk.js';
import { EnvVar } from '../../functions/contract/index.js';

export const KafkaAuths = ['none', 'msk-iam'] as const;
export type KafkaAuth = (typeof KafkaAuths)[number];

export interface KafkaAccessInput {
  /** `none` (default) or `msk-iam` */
  readonly auth?: string;
  readonly brokers: readonly string[];
  /** with `msk-iam` and no brokers: the cluster whose IAM bootstrap brokers to use */
  readonly clusterArn?: string;
  /** region of the cluster (the IAM token is signed for it); the cluster ARN's wins */
  readonly region?: string;
  /** control-plane client for GetBootstrapBrokers. @default new KafkaClient({ region }) */
  readonly kafkaClient?: KafkaClient;
}

export interface KafkaAccess {
  readonly brokers: readonly string[];
  readonly kafka?: Omit<KafkaConfig, 'brokers'>;
}

export async function kafkaAccess(input: KafkaAccessInput): Promise<KafkaAccess> {
  const auth = input.auth ?? 'none';
  if (!(KafkaAuths as readonly string[]).includes(auth)) {
    throw new Error(`--kafka-auth must be one of ${KafkaAuths.join(', ')}, got ${auth}`);
  }
  if (auth === 'none') {
    if (input.brokers.length === 0) {
      throw new Error(`no brokers: pass --brokers or set ${EnvVar.kafkaBrokers}`);
    }
    return { brokers: input.brokers };
  }
  const region = regionOfArn(input.clusterArn) ?? input.region;
  if (region === undefined) {
    throw new Error('--kafka-auth msk-iam needs a region: set AWS_REGION or pass --cluster-arn');
  }
  let brokers = input.brokers;
  if (brokers.length === 0) {
    if (input.clusterArn === undefined) {
      throw new Error('no brokers: pass --brokers, or --cluster-arn to look them up');
    }
    const client = input.kafkaClient ?? new KafkaClient({ region });
    brokers = await iamBootstrapBrokers(client, input.clusterArn);
  }
  return { brokers, kafka: mskIamKafkaConfig(region) };
}

/** `arn:aws:kafka:<region>:<account>:cluster/...` → region */
function regionOfArn(arn: string | undefined): string | undefined {
  const region = arn?.split(':')[3];
  return region === undefined || region === '' ? undefined : region;
}

/** `{ [key]: value }` when a flag or variable is set and not empty, else `{}` (for
 *  `exactOptionalPropertyTypes` option objects). */
export const optional = <K extends string>(key: K, value: string | undefined) =>
  (value === undefined || value === '' ? {} : { [key]: value }) as Partial<Record<K, string>>;
