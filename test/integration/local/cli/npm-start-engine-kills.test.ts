import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KILLABLE_ENGINES } from '../../../../local/demo/engine-faults.js';
import { readPid } from '../../../../local/stack/pid-records.js';
import { logFileOf } from '../../../../local/stack/support/paths.js';
import { isAlive } from '../../../../local/stack/support/processes.js';
import { npmStart } from './npm-start-child.js';
import { type PrivateStack, privateStack } from './private-stack.js';

/**
 * `npm start -- --faults` kills every engine — the Kafka broker, the OpenSearch node,
 * Dynoxide and moto — with kill -9 at seeded moments, one at a time, and restarts it
 * through the stack's `up`; the run must still converge and reconcile clean. It runs on a
 * stack of its own (private-stack.ts): the suite's engines are never killed.
 */
let stack: PrivateStack | undefined;

afterAll(async () => {
  await stack?.remove();
}, 120_000);

/** How many times the stack started `engine`: `up` marks each start in its log file. */
const startsOf = (engine: string): number => {
  if (stack === undefined) return 0;
  const log = readFileSync(logFileOf(stack.paths, engine), 'utf8');
  return log.split(`===== staysync stack: starting ${engine} at `).length - 1;
};

describe('npm start --faults with engines killed', () => {
  it('kills and restarts Kafka, OpenSearch, Dynoxide and moto mid-run, and still converges', async () => {
    stack = await privateStack(inject('stackEnv'));

    const { code, output } = await npmStart(
      [
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
      ],
      stack.env,
    );

    expect(output).toContain('CONVERGED: every store equals the log');
    expect(code).toBe(0);
    const killed = /engines killed: ([a-z, ]+)\)/.exec(output)?.[1]?.split(', ') ?? [];
    expect([...killed].sort()).toEqual([...KILLABLE_ENGINES].sort());
    for (const engine of KILLABLE_ENGINES) {
      // The run's own line, then what the stack shows independently of it: the killed
      // process is gone, the recorded one is the new process, and the engine's log file
      // holds two starts (the run's first `up`, the restart).
      const line = new RegExp(
        `engine killed: ${engine} \\(kill -9 pid (\\d+)\\); back as pid (\\d+)`,
      ).exec(output);
      expect(line, `${engine} kill line`).not.toBeNull();
      const [killedPid, newPid] = [Number(line?.[1]), Number(line?.[2])];
      expect(isAlive(killedPid)).toBe(false);
      expect(readPid(stack.paths, engine)?.pid).toBe(newPid);
      expect(isAlive(newPid)).toBe(true);
      expect(startsOf(engine)).toBe(2);
    }
  }, 300_000);
});
