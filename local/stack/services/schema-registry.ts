import path from 'node:path';
import type { ServiceDef } from '../service.js';
import { repoRoot } from '../support/paths.js';
import { portFromEnv } from '../support/ports.js';
import { spawnDetached } from '../support/processes.js';

/**
 * A Confluent-compatible schema registry (local/schema-registry/server.ts): the REST API
 * Avro serializers and Lambda's schema registry integration call, with Avro schemas,
 * global ids, versions per subject and BACKWARD compatibility. Nothing to install: it
 * runs on Node with the project's own dependencies (avsc). State is kept in
 * .local/data/schema-registry/schemas.json.
 *
 * Port: STAYSYNC_SCHEMA_REGISTRY_PORT (default 18081, after Confluent's 8081) on 127.0.0.1.
 */
const port = portFromEnv('STAYSYNC_SCHEMA_REGISTRY_PORT', 18081);
const endpoint = `http://127.0.0.1:${port}`;
const server = path.join(repoRoot, 'local/schema-registry/server.ts');

export const schemaRegistryService: ServiceDef = {
  name: 'schema-registry',
  port,

  async prepare() {},

  start(paths, logFile) {
    return spawnDetached(
      process.execPath,
      [
        '--import',
        'tsx',
        server,
        '--port',
        String(port),
        '--data',
        path.join(paths.data, 'schema-registry'),
      ],
      { logFile, cwd: repoRoot },
    );
  },

  /** A real API call: the registry's compatibility configuration. */
  async ready() {
    try {
      const response = await fetch(`${endpoint}/config`, { signal: AbortSignal.timeout(5_000) });
      return response.ok && (await response.text()).includes('compatibilityLevel');
    } catch {
      return false;
    }
  },

  env() {
    return { SCHEMA_REGISTRY_URL: endpoint };
  },
};
