import type { KafkaClient } from '@aws-sdk/client-kafka';
import type { Admin } from 'kafkajs';
import { iamBootstrapBrokers, mskApiClient, mskIamKafka } from '../adapters/kafka-admin-msk.js';
import type { LambdaContextLike } from '../runtime/lambda-context.js';
import {
  type CfnRequest,
  type CfnResponse,
  failureResponse,
  sendResponse,
  successResponse,
} from './cfn-response.js';
import { type DesiredTopic, parseTopicProperties } from './desired-topic.js';
import { ensureTopic, removeTopic } from './reconcile.js';

/**
 * The provisioner runs in a VPC without NAT and reaches the MSK API only through the
 * `aws.api.<region>.kafka-api` interface endpoint (infra/constructs/network.ts), whose
 * name resolves for the SDK's dual-stack endpoint `kafka-api.<region>.api.aws`; the
 * default `kafka.<region>.amazonaws.com` has no route. (Re-exported for the test that
 * pins the endpoint.)
 */
export { MSK_API_CLIENT_CONFIG } from '../adapters/kafka-admin-msk.js';

export interface ProvisionerDeps {
  /** Control-plane client for GetBootstrapBrokers. @default new KafkaClient({ region, ...MSK_API_CLIENT_CONFIG }) */
  readonly kafkaClient?: KafkaClient;
  /** Builds a (not yet connected) admin for the brokers. @default kafkajs over MSK IAM */
  readonly adminFor?: (brokers: readonly string[]) => Admin;
  /** @default sendResponse (HTTPS PUT to the pre-signed ResponseURL) */
  readonly send?: (url: string, body: CfnResponse) => Promise<void>;
  /** Where the one JSON log line per request goes. @default console.log (CloudWatch Logs) */
  readonly log?: (line: string) => void;
}

const PHYSICAL_PREFIX = 'kafka-topic:';
/** Physical id of a Create that failed: its later Delete must be a no-op. */
const FAILED_PREFIX = 'kafka-topic-not-created:';
// Answer before Lambda kills us: a missing response leaves the stack hanging for an hour.
const SAFETY_MS = 15_000;

const physicalIdOf = (topic: string): string => `${PHYSICAL_PREFIX}${topic}`;

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `gave up after ${Math.round(ms / 1000)} s before the Lambda timeout (brokers unreachable?)`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Removes or reconciles the topic on the cluster; the custom resource's `Data`. */
async function provision(
  admin: Admin,
  remove: boolean,
  desired: DesiredTopic,
): Promise<Record<string, string>> {
  if (remove) {
    const outcome = await removeTopic(admin, desired);
    return { TopicName: desired.name, Outcome: outcome };
  }
  const result = await ensureTopic(admin, desired);
  return {
    TopicName: desired.name,
    Partitions: String(result.partitions),
    Outcome: result.action,
    Changes: result.changes.join('; '),
  };
}

/**
 * Custom resource handler for `Custom::StaysyncKafkaTopic`: answers CloudFormation itself
 * (SUCCESS with Data, or FAILED with the reason) and returns the response it sent.
 */
export function createHandler(env: NodeJS.ProcessEnv, deps: ProvisionerDeps = {}) {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const kafkaClient = deps.kafkaClient ?? mskApiClient(region);
  const adminFor =
    deps.adminFor ??
    ((brokers: readonly string[]) => {
      if (region === undefined)
        throw new Error('AWS_REGION is not set: the MSK IAM signer needs it');
      return mskIamKafka(brokers, region, 'staysync-topic-provisioner').admin();
    });
  const send = deps.send ?? sendResponse;
  const log = deps.log ?? ((line: string) => console.log(line));

  async function apply(
    req: CfnRequest,
  ): Promise<{ physicalId: string; data: Record<string, string> }> {
    if (req.RequestType === 'Delete') {
      const id = req.PhysicalResourceId ?? '';
      if (!id.startsWith(PHYSICAL_PREFIX)) return { physicalId: id, data: {} };
    }
    const desired = parseTopicProperties(req.ResourceProperties);
    const physicalId =
      req.RequestType === 'Delete'
        ? (req.PhysicalResourceId ?? physicalIdOf(desired.name))
        : physicalIdOf(desired.name);
    if (req.RequestType === 'Delete' && desired.removalPolicy === 'retain') {
      return { physicalId, data: { TopicName: desired.name, Outcome: 'retained' } };
    }
    const brokers = await iamBootstrapBrokers(
      kafkaClient,
      String(req.ResourceProperties.ClusterArn),
    );
    const admin = adminFor(brokers);
    await admin.connect();
    try {
      return { physicalId, data: await provision(admin, req.RequestType === 'Delete', desired) };
    } finally {
      await admin.disconnect();
    }
  }

  return async (req: CfnRequest, context?: LambdaContextLike): Promise<CfnResponse> => {
    const remaining = context?.getRemainingTimeInMillis?.() ?? 300_000;
    let response: CfnResponse;
    try {
      const { physicalId, data } = await withDeadline(
        apply(req),
        Math.max(1_000, remaining - SAFETY_MS),
      );
      response = successResponse(req, physicalId, data);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const where =
        context?.logStreamName === undefined ? '' : ` (log stream ${context.logStreamName})`;
      const physicalId = req.PhysicalResourceId ?? `${FAILED_PREFIX}${req.RequestId}`;
      response = failureResponse(req, physicalId, `${req.RequestType} failed: ${message}${where}`);
    }
    log(
      JSON.stringify({
        level: response.Status === 'SUCCESS' ? 'INFO' : 'ERROR',
        message: 'custom resource response',
        requestType: req.RequestType,
        response,
      }),
    );
    await send(req.ResponseURL, response);
    return response;
  };
}
