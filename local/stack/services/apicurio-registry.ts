import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ServiceDef, StackPaths, StartedProcess } from '../service.js';
import { StackError } from '../support/errors.js';
import { mavenRepo } from '../support/maven.js';
import { repoRoot } from '../support/paths.js';
import { portFromEnv } from '../support/ports.js';
import { requireJava, requireTool } from '../support/prerequisites.js';
import { run, spawnDetached } from '../support/processes.js';

/**
 * Apicurio Registry, a real Confluent-compatible schema registry: Avro serializers and
 * Lambda's schema registry integration call its Confluent API ("ccompat") under
 * /apis/ccompat/v7. Built from Maven Central by local/schema-registry/apicurio/pom.xml
 * (a Quarkus build over io.apicurio:apicurio-registry-app; see that pom for the version
 * and why), run on the JVM with in-memory H2 storage and no authentication: a restart
 * starts empty.
 *
 * Port: STAYSYNC_SCHEMA_REGISTRY_PORT (default 18081, after Confluent's 8081) on
 * 127.0.0.1. Heap: STAYSYNC_SCHEMA_REGISTRY_HEAP (default 256m).
 */
const buildDir = path.join(repoRoot, 'local/schema-registry/apicurio');
const pom = path.join(buildDir, 'pom.xml');
const settings = path.join(buildDir, 'settings.xml');
const port = portFromEnv('STAYSYNC_SCHEMA_REGISTRY_PORT', 18081);
const heap = process.env.STAYSYNC_SCHEMA_REGISTRY_HEAP ?? '256m';
/** The Confluent Schema Registry API of Apicurio 2.x (v6 answers the same). */
const ccompatPath = '/apis/ccompat/v7';
const baseUrl = `http://127.0.0.1:${port}${ccompatPath}`;

const pomText = readFileSync(pom, 'utf8');
const apicurioVersion: string =
  /<apicurio\.version>([^<]+)<\/apicurio\.version>/.exec(pomText)?.[1] ?? 'unknown';
/** Keyed by the pom and the Maven settings: editing either builds afresh. */
const buildKey = createHash('sha256')
  .update(pomText)
  .update(readFileSync(settings))
  .digest('hex')
  .slice(0, 10);

/**
 * The build's target folder: the runner jar with its lib/ beside it (Quarkus legacy-jar,
 * the packaging Apicurio 2.x's own properties choose; its manifest names lib/ relatively).
 */
const appDir = (paths: StackPaths): string =>
  path.join(paths.cache, 'apicurio', `app-${apicurioVersion}-${buildKey}`);
const runJar = (paths: StackPaths): string =>
  path.join(appDir(paths), 'apicurio-registry-0-runner.jar');
const dataDir = (paths: StackPaths): string => path.join(paths.data, 'apicurio-registry');

/**
 * Runs the Quarkus build in a scratch folder of the cache (never in the repository) and
 * renames the result into place, so an interrupted build is never taken for a finished one.
 */
async function build(paths: StackPaths): Promise<void> {
  requireTool('mvn', ['-v'], `Apicurio Registry ${apicurioVersion}`);
  const scratch = `${appDir(paths)}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  copyFileSync(pom, path.join(scratch, 'pom.xml'));
  const output = await run('mvn', [
    '-B',
    '-q',
    '-s',
    settings,
    `-Dmaven.repo.local=${mavenRepo(paths)}`,
    '-f',
    path.join(scratch, 'pom.xml'),
    'package',
  ]);
  const built = path.join(scratch, 'target');
  if (output.code !== 0 || !existsSync(path.join(built, path.basename(runJar(paths))))) {
    rmSync(scratch, { recursive: true, force: true });
    throw new StackError(
      `building Apicurio Registry ${apicurioVersion} failed (mvn exit code ${output.code}):\n${output.text.slice(-4000)}`,
      { service: 'apicurio-registry' },
    );
  }
  rmSync(appDir(paths), { recursive: true, force: true });
  renameSync(built, appDir(paths));
  rmSync(scratch, { recursive: true, force: true });
}

function javaArgs(paths: StackPaths): string[] {
  const properties: Record<string, string | number | boolean> = {
    'quarkus.http.host': '127.0.0.1',
    'quarkus.http.port': port,
    // In-memory H2, the app's default, spelled out: nothing outlives the process. A
    // pool of 20 connections (the app's prod default) is wasted on one test client.
    'quarkus.datasource.jdbc.url': 'jdbc:h2:mem:registry_db',
    'quarkus.datasource.jdbc.initial-size': 2,
    'quarkus.datasource.jdbc.min-size': 2,
    'registry.auth.enabled': false,
    // Confluent's schema ids are content ids (one id per distinct schema, shared by
    // every subject registering it); legacy mode would hand out per-version global ids.
    'registry.ccompat.legacy-id-mode.enabled': false,
    // Off, unlike Confluent (which compares Avro schemas parsed): in 2.4.2 canonical-hash
    // mode breaks `GET /schemas/ids/{id}` for every Avro schema with a named-type
    // reference (400 "Failed to discover artifact type from content"), and a Debezium
    // envelope always has one (`after: ["null", "Value"]`). The same text keeps its id.
    'registry.ccompat.use-canonical-hash': false,
    // Confluent's default compatibility; Apicurio's own default is none.
    'registry.rules.global.compatibility': 'BACKWARD',
    'registry.enable.sentry': false,
  };
  return [
    `-Xmx${heap}`,
    '-Xms64m',
    // Two cores shared with the other engines and the tests: a serial collector and C1
    // only, as for Kafka; a test registry never runs long enough to profit from C2.
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    ...Object.entries(properties).map(([key, value]) => `-D${key}=${value}`),
    '-jar',
    runJar(paths),
  ];
}

let java = 'java';

export const apicurioRegistryService: ServiceDef = {
  name: 'apicurio-registry',
  port,

  async prepare(paths) {
    java = requireJava(17, `Apicurio Registry ${apicurioVersion}`);
    if (!existsSync(runJar(paths))) await build(paths);
  },

  async start(paths, logFile): Promise<StartedProcess> {
    mkdirSync(dataDir(paths), { recursive: true });
    return spawnDetached(java, javaArgs(paths), { logFile, cwd: dataDir(paths) });
  },

  /** A real Confluent API call: the schema types the registry accepts include Avro. */
  async ready() {
    try {
      const response = await fetch(`${baseUrl}/schemas/types`, {
        signal: AbortSignal.timeout(5_000),
      });
      return response.ok && ((await response.json()) as unknown[]).includes('AVRO');
    } catch {
      return false;
    }
  },

  env() {
    return { SCHEMA_REGISTRY_URL: baseUrl };
  },
};
