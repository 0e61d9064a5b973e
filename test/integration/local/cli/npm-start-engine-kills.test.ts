import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { KILLABLE_ENGINES } from '../../../../local/demo/engine-faults.js';
import { ownerOf, readPid } from '../../../../local/stack/pid-records.js';
import { services } from '../../../../local/stack/services/index.js';
import { up } from '../../../../local/stack/stack.js';
import { stackPaths } from '../../../../local/stack/support/paths.js';
import { npmStart } from './npm-start-child.js';

/**
 * `npm start -- --faults` kills the Kafka broker and the OpenSearch node (kill -9 by
 * recorded pid) at seeded moments and restarts them through the stack's `up`; the run
 * must still converge and reconcile clean. Later test files share these engines: the
 * stack is brought back up here whatever happens, with its owners unchanged.
 */
const paths = stackPaths();
const owners = () => services.map((service) => ownerOf(paths, service.name));
const ownersBefore = owners();

afterAll(async () => {
  // A run that failed between a kill and its restart leaves an engine down: restore it.
  for (const service of services) {
    const owner = ownersBefore[services.indexOf(service)];
    if (owner !== undefined && ownerOf(paths, service.name) === undefined)
      await up(services, paths, { owner, adopt: false });
  }
}, 240_000);

describe('npm start --faults with engines killed', () => {
  it('kills and restarts Kafka and OpenSearch mid-run, and still converges', async () => {
    const pidsBefore = KILLABLE_ENGINES.map((engine) => readPid(paths, engine)?.pid);
    const { code, output } = await npmStart([
      '--events',
      '300',
      '--faults',
      '--seed',
      '3',
      '--rate',
      '0',
      '--batch-size',
      '50',
      '--run-id',
      `ek${randomUUID().slice(0, 8)}`,
      '--cleanup',
    ]);
    expect(output).toContain('CONVERGED: every store equals the log');
    expect(code).toBe(0);
    const killed = /engines killed: ([a-z, ]+)\)/.exec(output)?.[1]?.split(', ') ?? [];
    expect([...killed].sort()).toEqual([...KILLABLE_ENGINES].sort());
    for (const engine of KILLABLE_ENGINES)
      expect(output).toContain(`engine killed: ${engine} (kill -9); restarting`);
    // New processes, recorded by the stack, owned as before.
    const pidsAfter = KILLABLE_ENGINES.map((engine) => readPid(paths, engine)?.pid);
    for (const [i, pid] of pidsAfter.entries()) {
      expect(pid).toBeDefined();
      expect(pid).not.toBe(pidsBefore[i]);
    }
    expect(owners()).toEqual(ownersBefore);
  }, 300_000);
});
