import { EnvVar, requireEnv } from '../contract/env.js';
import { type KafkaTarget, readKafkaTarget } from '../runtime/kafka-target.js';
import { readSinkCommonConfig, type SinkCommonConfig } from '../runtime/sink-config.js';

export const DEFAULT_CLAIMS_NAME = 'claims';

export interface ClaimsConfig extends SinkCommonConfig {
  readonly claimsTable: string;
  readonly decisionsTopic: string;
  readonly kafka: KafkaTarget;
}

/**
 * The claims function's variables (docs/claims.md): the common ones (`SINK_NAME`, default
 * `claims`; `LEDGER_TABLE`, `QUARANTINE_BUCKET`, ...), `CLAIMS_TABLE`,
 * `CLAIM_DECISIONS_TOPIC`, and `MSK_CLUSTER_ARN` or `KAFKA_BROKERS`. Read once.
 */
export function readClaimsConfig(env: NodeJS.ProcessEnv): ClaimsConfig {
  return Object.freeze({
    ...readSinkCommonConfig(env, DEFAULT_CLAIMS_NAME),
    claimsTable: requireEnv(EnvVar.claimsTable, env),
    decisionsTopic: requireEnv(EnvVar.claimDecisionsTopic, env),
    kafka: readKafkaTarget(env),
  });
}
