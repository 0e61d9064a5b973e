import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { ServiceDef, StackPaths, StartedProcess } from '../service.js';
import { StackError } from '../support/errors.js';
import { copyDependencies } from '../support/maven.js';
import { repoRoot } from '../support/paths.js';
import { portFromEnv } from '../support/ports.js';
import { requireJava } from '../support/prerequisites.js';
import { run, spawnDetached } from '../support/processes.js';

/**
 * Apache Kafka, one KRaft node acting as broker and controller, from the Maven Central
 * jars listed in local/kafka/pom.xml (the Kafka version is the pom's `kafka.version`).
 *
 * Ports: STAYSYNC_KAFKA_PORT (client listener, default 19092) and
 * STAYSYNC_KAFKA_CONTROLLER_PORT (KRaft controller listener, default 19093), both on
 * 127.0.0.1. Heap: STAYSYNC_KAFKA_HEAP (default 512m).
 */
const pom = path.join(repoRoot, 'local/kafka/pom.xml');
const log4jConfig = path.join(repoRoot, 'local/kafka/log4j2.properties');
const port = portFromEnv('STAYSYNC_KAFKA_PORT', 19092);
const controllerPort = portFromEnv('STAYSYNC_KAFKA_CONTROLLER_PORT', 19093);
const heap = process.env.STAYSYNC_KAFKA_HEAP ?? '512m';
/** Kafka 4.x brokers require Java 17. */
const minJava = 17;

const pomText = readFileSync(pom, 'utf8');
export const kafkaVersion: string =
  /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pomText)?.[1] ?? 'unknown';
/** The jar folder is keyed by the pom's content: editing the pom fetches a fresh set. */
const libDirName = `lib-${kafkaVersion}-${createHash('sha256').update(pomText).digest('hex').slice(0, 10)}`;

const libDir = (paths: StackPaths): string => path.join(paths.cache, 'kafka', libDirName);
const dataDir = (paths: StackPaths): string => path.join(paths.data, 'kafka');
const logDir = (paths: StackPaths): string => path.join(dataDir(paths), 'log');
const configFile = (paths: StackPaths): string => path.join(dataDir(paths), 'server.properties');

/**
 * Single-node settings. Internal topics get replication factor 1 (there is one broker);
 * groups rebalance at once instead of waiting 3 s for more members; automatic topic
 * creation is off, as on MSK by default, so a producer to a topic nobody created fails
 * loudly instead of silently creating a 1-partition topic.
 */
function serverProperties(paths: StackPaths): string {
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': logDir(paths),
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    // 50 by default; 10 is plenty for one node and makes the first group join quicker.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    // Tests create and delete many small topics: keep segments small on disk.
    'log.segment.bytes': 16 * 1024 * 1024,
    'log.retention.hours': 24,
  };
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

function javaArgs(
  paths: StackPaths,
  mainClass: string,
  args: readonly string[],
  heapMax: string,
): string[] {
  return [
    `-Xmx${heapMax}`,
    '-Xms64m',
    // Two cores shared with OpenSearch, Dynoxide, moto and the tests: a single-threaded collector and
    // the C1 compiler alone start the broker in a fraction of the CPU time, and a test
    // broker never runs long enough to profit from C2.
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jConfig}`,
    '-cp',
    path.join(libDir(paths), '*'),
    mainClass,
    ...args,
  ];
}

/** A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (22 chars). */
const newClusterId = (): string => randomBytes(16).toString('base64url');

let java = 'java';

export const kafkaService: ServiceDef = {
  name: 'kafka',
  port,

  async prepare(paths) {
    java = requireJava(minJava, `Kafka ${kafkaVersion}`);
    await copyDependencies(paths, pom, libDir(paths), `Kafka ${kafkaVersion}`);
  },

  async start(paths, logFile): Promise<StartedProcess> {
    mkdirSync(dataDir(paths), { recursive: true });
    writeFileSync(configFile(paths), serverProperties(paths));
    if (!existsSync(path.join(logDir(paths), 'meta.properties'))) {
      const format = await run(
        java,
        javaArgs(
          paths,
          'kafka.tools.StorageTool',
          ['format', '-t', newClusterId(), '-c', configFile(paths)],
          '256m',
        ),
      );
      writeFileSync(logFile, `${format.text}\n`, { flag: 'a' });
      if (format.code !== 0) {
        throw new StackError(
          `formatting the Kafka storage failed (exit code ${format.code}); see ${logFile}`,
          {
            service: 'kafka',
            logFile,
          },
        );
      }
    }
    return spawnDetached(java, javaArgs(paths, 'kafka.Kafka', [configFile(paths)], heap), {
      logFile,
      cwd: dataDir(paths),
    });
  },

  async ready() {
    const kafka = new Kafka({
      clientId: 'staysync-stack-probe',
      brokers: [`127.0.0.1:${port}`],
      // Patient: a broker busy with a test suite must not look dead to `status`/`up`.
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },

  env() {
    return { KAFKA_BROKERS: `127.0.0.1:${port}` };
  },
};
