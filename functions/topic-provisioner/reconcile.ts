import type { Admin } from 'kafkajs';

// kafkajs is CommonJS and Node's ESM loader cannot see its ConfigResourceTypes export; the
// value is the Kafka protocol's resource type for a topic.
const TOPIC_RESOURCE = 2;

import { type DesiredTopic, TopicRequestError } from './desired-topic.js';

export interface ReconcileResult {
  readonly action: 'created' | 'updated' | 'unchanged';
  /** Partition count after reconciliation. */
  readonly partitions: number;
  /** Human-readable list of what changed, for the log and the resource's Data. */
  readonly changes: readonly string[];
}

interface ExistingTopic {
  readonly partitions: number;
  readonly replicationFactor: number;
}

async function describe(admin: Admin, name: string): Promise<ExistingTopic | undefined> {
  const names = await admin.listTopics();
  if (!names.includes(name)) return undefined;
  const meta = await admin.fetchTopicMetadata({ topics: [name] });
  const partitions = meta.topics[0]?.partitions ?? [];
  return { partitions: partitions.length, replicationFactor: partitions[0]?.replicas.length ?? 0 };
}

async function currentConfigs(
  admin: Admin,
  name: string,
  keys: readonly string[],
): Promise<Record<string, string>> {
  if (keys.length === 0) return {};
  const res = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: TOPIC_RESOURCE, name, configNames: [...keys] }],
  });
  const out: Record<string, string> = {};
  for (const entry of res.resources[0]?.configEntries ?? [])
    out[entry.configName] = entry.configValue;
  return out;
}

/**
 * Makes the topic on the cluster match `desired`, creating it when absent (also on an
 * Update, e.g. after someone deleted it by hand). Partitions can only grow; a decrease, a
 * replication change, or growth of a log-versioned topic is refused with the reason.
 */
export async function ensureTopic(admin: Admin, desired: DesiredTopic): Promise<ReconcileResult> {
  const existing = await describe(admin, desired.name);
  const configEntries = Object.entries(desired.configs).map(([name, value]) => ({ name, value }));
  if (existing === undefined) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: desired.name,
          numPartitions: desired.partitions,
          replicationFactor: desired.replicationFactor ?? -1,
          configEntries,
        },
      ],
    });
    return {
      action: 'created',
      partitions: desired.partitions,
      changes: [`created with ${desired.partitions} partitions`],
    };
  }

  if (desired.partitions < existing.partitions) {
    throw new TopicRequestError(
      `cannot decrease the partitions of topic ${desired.name} from ${existing.partitions} to ${desired.partitions}: ` +
        'Kafka cannot remove partitions. Keep the current count, or create a new topic and move consumers to it',
    );
  }
  if (
    desired.replicationFactor !== undefined &&
    desired.replicationFactor !== existing.replicationFactor
  ) {
    throw new TopicRequestError(
      `cannot change the replication factor of topic ${desired.name} from ${existing.replicationFactor} to ${desired.replicationFactor}: ` +
        'that needs a partition reassignment, which this resource does not perform',
    );
  }
  if (desired.partitions > existing.partitions && desired.versioning === 'log') {
    throw new TopicRequestError(
      `cannot add partitions to topic ${desired.name}: it is log-versioned (the offset is the version), and more partitions move ` +
        'keys to partitions with lower offsets, so newer changes would look stale. Create a new topic instead',
    );
  }

  const changes: string[] = [];
  if (desired.partitions > existing.partitions) {
    await admin.createPartitions({
      topicPartitions: [{ topic: desired.name, count: desired.partitions }],
    });
    changes.push(`partitions ${existing.partitions} -> ${desired.partitions}`);
  }
  const before = await currentConfigs(admin, desired.name, Object.keys(desired.configs));
  const differing = configEntries.filter((c) => before[c.name] !== c.value);
  if (differing.length > 0) {
    // AlterConfigs (the API kafkajs speaks) replaces the topic's whole dynamic config, so
    // send every config this resource owns, not only the differing ones.
    const altered = await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: TOPIC_RESOURCE, name: desired.name, configEntries }],
    });
    // kafkajs reports per-resource errors in the result instead of throwing.
    const failed = (altered.resources as { errorCode: number; errorMessage: string | null }[]).find(
      (r) => r.errorCode !== 0,
    );
    if (failed !== undefined) {
      throw new TopicRequestError(
        `Kafka refused the configs of topic ${desired.name}: ${failed.errorMessage ?? `error code ${failed.errorCode}`}`,
      );
    }
    for (const c of differing)
      changes.push(`${c.name} ${before[c.name] ?? '(default)'} -> ${c.value}`);
  }
  return {
    action: changes.length > 0 ? 'updated' : 'unchanged',
    partitions: desired.partitions,
    changes,
  };
}

/** Applies the removal policy: `retain` leaves the topic (and its data) alone. */
export async function removeTopic(
  admin: Admin,
  desired: DesiredTopic,
): Promise<'retained' | 'deleted' | 'absent'> {
  if (desired.removalPolicy === 'retain') return 'retained';
  const names = await admin.listTopics();
  if (!names.includes(desired.name)) return 'absent';
  await admin.deleteTopics({ topics: [desired.name] });
  return 'deleted';
}
