/**
 * The topic a `Custom::StaysyncKafkaTopic` resource asks for. CloudFormation hands every
 * property value to the function as a string, so numbers are parsed back here.
 */
export interface DesiredTopic {
  readonly name: string;
  readonly partitions: number;
  /** undefined = the cluster default (MSK Serverless only accepts its default) */
  readonly replicationFactor: number | undefined;
  /** Topic configs the resource owns (`retention.ms`, `cleanup.policy`, ...). */
  readonly configs: Readonly<Record<string, string>>;
  readonly versioning: 'source' | 'log';
  readonly removalPolicy: 'retain' | 'delete';
}

/** Resource properties as the construct writes them (before CloudFormation stringifies them). */
export interface TopicResourceProperties {
  readonly ClusterArn: string;
  readonly TopicName: string;
  readonly Partitions: number | string;
  readonly ReplicationFactor?: number | string;
  readonly Configs?: Readonly<Record<string, string | number>>;
  readonly Versioning?: string;
  readonly RemovalPolicy?: string;
}

/** A request the provisioner refuses; its message becomes the CloudFormation failure reason. */
export class TopicRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicRequestError';
  }
}

const int = (value: unknown, what: string, min: number): number => {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d+$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new TopicRequestError(
      `${what} must be an integer >= ${min}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
};

export function parseTopicProperties(
  props: Readonly<Record<string, unknown>> | undefined,
): DesiredTopic {
  if (props === undefined) throw new TopicRequestError('ResourceProperties are missing');
  const name = props.TopicName;
  if (typeof name !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(name)) {
    throw new TopicRequestError(
      `TopicName must be 1-249 characters of [a-zA-Z0-9._-], got ${JSON.stringify(name)}`,
    );
  }
  if (typeof props.ClusterArn !== 'string' || !props.ClusterArn.startsWith('arn:')) {
    throw new TopicRequestError(
      `ClusterArn must be an MSK cluster ARN, got ${JSON.stringify(props.ClusterArn)}`,
    );
  }
  const rf = props.ReplicationFactor;
  const configsIn = props.Configs ?? {};
  if (typeof configsIn !== 'object' || configsIn === null || Array.isArray(configsIn)) {
    throw new TopicRequestError('Configs must be an object of topic config names to values');
  }
  const configs: Record<string, string> = {};
  for (const [k, v] of Object.entries(configsIn)) configs[k] = String(v);
  const versioning = props.Versioning ?? 'source';
  if (versioning !== 'source' && versioning !== 'log') {
    throw new TopicRequestError(
      `Versioning must be 'source' or 'log', got ${JSON.stringify(versioning)}`,
    );
  }
  const removalPolicy = props.RemovalPolicy ?? 'retain';
  if (removalPolicy !== 'retain' && removalPolicy !== 'delete') {
    throw new TopicRequestError(
      `RemovalPolicy must be 'retain' or 'delete', got ${JSON.stringify(removalPolicy)}`,
    );
  }
  return Object.freeze({
    name,
    partitions: int(props.Partitions, 'Partitions', 1),
    replicationFactor:
      rf === undefined || rf === '' || rf === '-1' || rf === -1
        ? undefined
        : int(rf, 'ReplicationFactor', 1),
    configs: Object.freeze(configs),
    versioning,
    removalPolicy,
  });
}
