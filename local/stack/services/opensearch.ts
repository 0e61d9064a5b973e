import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import path from 'node:path';
import type { ServiceDef, StackPaths, StartedProcess } from '../service.js';
import { StackError } from '../support/errors.js';
import { mavenRepo } from '../support/maven.js';
import { repoRoot } from '../support/paths.js';
import { portFromEnv } from '../support/ports.js';
import { requireJava, requireTool } from '../support/prerequisites.js';
import { run, spawnDetached } from '../support/processes.js';

/**
 * OpenSearch 2.19 as an embedded node: local/opensearch-node is a small Java main
 * subclassing `org.opensearch.node.Node` with the distribution's module plugins (netty4,
 * painless, analysis-common, reindex, mapper-extras) on the classpath, built with Maven
 * from Maven Central jars. The stock `bin/opensearch` refuses to run as root; this does not.
 *
 * Ports: STAYSYNC_OPENSEARCH_PORT (HTTP, default 19200) and
 * STAYSYNC_OPENSEARCH_TRANSPORT_PORT (node-to-node, default 19300), both on 127.0.0.1.
 * Heap: STAYSYNC_OPENSEARCH_HEAP (default 512m); more JVM options:
 * STAYSYNC_OPENSEARCH_JAVA_OPTS (space-separated, applied last). See docs/opensearch-node.md.
 */
const projectDir = path.join(repoRoot, 'local/opensearch-node');
const pom = path.join(projectDir, 'pom.xml');
const port = portFromEnv('STAYSYNC_OPENSEARCH_PORT', 19200);
const transportPort = portFromEnv('STAYSYNC_OPENSEARCH_TRANSPORT_PORT', 19300);
const heap = process.env.STAYSYNC_OPENSEARCH_HEAP ?? '512m';
const extraJavaOpts = (process.env.STAYSYNC_OPENSEARCH_JAVA_OPTS ?? '')
  .split(/\s+/)
  .filter((opt) => opt !== '');
const mainClass = 'dev.staysync.opensearch.EmbeddedOpenSearch';
const clusterName = 'staysync-local';
const neededFor = 'the local OpenSearch node';
/** OpenSearch 2.19 runs on Java 11+; the pom compiles for 17 (3.x would need 21). */
const minJava = 17;

const pomText = readFileSync(pom, 'utf8');
export const opensearchVersion: string =
  /<opensearch\.version>([^<]+)<\/opensearch\.version>/.exec(pomText)?.[1] ?? 'unknown';

/** Every file that goes into the build, so editing the pom or the main rebuilds. */
function buildInputs(): string[] {
  const sources = readdirSync(path.join(projectDir, 'src'), {
    withFileTypes: true,
    recursive: true,
  })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
  return [pom, ...sources.sort()];
}

/** The classpath folder is keyed by the build inputs: a stale build is never reused. */
function libDirName(): string {
  const hash = createHash('sha256');
  for (const file of buildInputs()) {
    hash
      .update(path.relative(projectDir, file))
      .update('\0')
      .update(readFileSync(file))
      .update('\0');
  }
  return `lib-${hash.digest('hex').slice(0, 10)}`;
}

const cacheDir = (paths: StackPaths): string =>
  path.join(paths.cache, `opensearch-${opensearchVersion}`);
const libDir = (paths: StackPaths): string => path.join(cacheDir(paths), libDirName());
/** The node's path.home; data/, logs/ and config/ live under it. */
const homeDir = (paths: StackPaths): string => path.join(paths.data, 'opensearch');

/**
 * Compiles the main and collects the runtime classpath (the jar plus every dependency)
 * into one folder. Built in a temporary folder and renamed into place, so an interrupted
 * build is never mistaken for a complete one.
 */
async function build(paths: StackPaths, outputDir: string): Promise<void> {
  requireTool('mvn', ['-v'], neededFor);
  const partial = `${outputDir}.partial-${process.pid}`;
  const buildDir = `${partial}-build`;
  rmSync(partial, { recursive: true, force: true });
  rmSync(buildDir, { recursive: true, force: true });
  const output = await run('mvn', [
    '-B',
    '-q',
    `-Dmaven.repo.local=${mavenRepo(paths)}`,
    // Keep target/ out of the work tree (and out of a concurrent build's way).
    `-Dstaysync.build.dir=${buildDir}`,
    '-f',
    pom,
    'package',
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${partial}`,
  ]);
  if (output.code !== 0) {
    rmSync(partial, { recursive: true, force: true });
    rmSync(buildDir, { recursive: true, force: true });
    throw new StackError(
      `mvn could not build ${neededFor} (exit code ${output.code}):\n${output.text.slice(-4000)}`,
      { service: 'opensearch' },
    );
  }
  const jar = `opensearch-node-${opensearchVersion}.jar`;
  copyFileSync(path.join(buildDir, jar), path.join(partial, jar));
  rmSync(buildDir, { recursive: true, force: true });
  rmSync(outputDir, { recursive: true, force: true });
  renameSync(partial, outputDir);
}

function jvmArgs(paths: StackPaths): string[] {
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    // Two cores shared by three servers: one GC thread, no concurrent marking threads.
    '-XX:+UseSerialGC',
    // C1 only: node start costs about half the CPU (measured 9-10 s instead of 17-18 s;
    // docs/opensearch-node.md); peak throughput matters little for test-sized indices.
    // STAYSYNC_OPENSEARCH_JAVA_OPTS='-XX:TieredStopAtLevel=4' restores the full JIT.
    '-XX:TieredStopAtLevel=1',
    // A node out of heap is broken for good: exit, so `stack:up` sees it down and restarts it.
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    '-Dfile.encoding=UTF-8',
    // From the distribution's jvm.options: no JNA lookup of system libraries, Netty
    // without Unsafe tricks or recycler caches, no log4j JMX.
    '-Djna.nosys=true',
    '-Dio.netty.noUnsafe=true',
    '-Dio.netty.noKeySetOptimization=true',
    '-Dio.netty.recycler.maxCapacityPerThread=0',
    '-Dlog4j2.disable.jmx=true',
    // Last, so they override the defaults above.
    ...extraJavaOpts,
    '-cp',
    path.join(libDir(paths), '*'),
    mainClass,
    homeDir(paths),
    String(port),
    String(transportPort),
  ];
}

interface ClusterHealth {
  readonly cluster_name?: string;
  readonly status?: string;
}

async function getJson(pathAndQuery: string): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}${pathAndQuery}`, {
    signal: AbortSignal.timeout(2_000),
  });
  if (!response.ok) throw new Error(`${pathAndQuery}: HTTP ${response.status}`);
  return response.json();
}

export const opensearchService: ServiceDef = {
  name: 'opensearch',
  port,

  async prepare(paths: StackPaths): Promise<void> {
    requireJava(minJava, neededFor);
    const lib = libDir(paths);
    if (!existsSync(lib)) await build(paths, lib);
  },

  async start(paths: StackPaths, logFile: string): Promise<StartedProcess> {
    const java = requireJava(minJava, neededFor);
    mkdirSync(homeDir(paths), { recursive: true });
    return spawnDetached(java, jvmArgs(paths), { logFile, cwd: homeDir(paths) });
  },

  /**
   * Our cluster answers, every primary shard is assigned (green, or yellow when some
   * index asked for replicas a single node cannot host) and the replica default that
   * keeps new indices green is in place. Red means a primary is still recovering after a
   * restart: not ready. Yellow does not count as "down", so one test index created with
   * replicas cannot make `stack:up` restart the shared node.
   */
  async ready(): Promise<boolean> {
    try {
      const health = (await getJson('/_cluster/health')) as ClusterHealth;
      if (health.cluster_name !== clusterName) return false;
      if (health.status !== 'green' && health.status !== 'yellow') return false;
      const settings = (await getJson('/_cluster/settings?flat_settings=true')) as {
        persistent?: Record<string, unknown>;
      };
      return settings.persistent?.['cluster.default_number_of_replicas'] === '0';
    } catch {
      return false;
    }
  },

  env(): Record<string, string> {
    return { OPENSEARCH_ENDPOINT: `http://127.0.0.1:${port}` };
  },
};
