/**
 * vitest globalSetup of the integration project: reuses the local stack when it is up
 * (the usual case while developing), otherwise starts what is missing. What a test run
 * started is stopped when the last test run using the stack finishes (several runs share
 * one stack; see local/stack/test-runs.ts); what `npm run stack:up` started stays up.
 * The stack's variables are copied into process.env before the test workers start, so
 * they inherit them (AWS_ENDPOINT_URL_DYNAMODB, KAFKA_BROKERS, …), and are also provided as
 * `inject('stackEnv')`.
 */
import type { TestProject } from 'vitest/node';
import { services } from '../../local/stack/services/index.js';
import { up } from '../../local/stack/stack.js';
import { stackPaths } from '../../local/stack/support/paths.js';
import { beginTestRun, endTestRun } from '../../local/stack/test-runs.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stackEnv: Record<string, string>;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const paths = stackPaths();
  const log = (line: string): void => console.log(`[stack] ${line}`);
  beginTestRun(paths);
  const { env } = await up(services, paths, { log: quietWhenUp(log), owner: 'test-run' });
  Object.assign(process.env, env);
  project.provide('stackEnv', { ...env });
  return () => endTestRun(services, paths, log);
}

/** Quiet when the stack is already up; progress lines when this run has to start it. */
function quietWhenUp(log: (line: string) => void): (line: string) => void {
  return (line) => {
    if (!line.includes('already up')) log(line);
  };
}
