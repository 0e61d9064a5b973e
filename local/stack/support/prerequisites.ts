import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { StackError } from './errors.js';

/**
 * Checks that a command-line tool runs, and returns what it printed for `args` (stdout
 * and stderr together: `java -version` prints to stderr). Throws one clear message naming
 * the missing tool and what needs it.
 */
export function requireTool(command: string, args: readonly string[], neededFor: string): string {
  // Each check starts a process (a whole JVM for java and mvn) and blocks: run it once.
  const key = [command, ...args].join('\0');
  const known = checked.get(key);
  if (known !== undefined) return known;
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined || result.status !== 0) {
    throw new StackError(
      `${path.basename(command)} is required for ${neededFor} but could not be run ` +
        `(${result.error?.message ?? `exit code ${result.status}`}). Install it and make sure ` +
        `it is on PATH${command.includes('java') ? ' (or set JAVA_HOME)' : ''}.`,
    );
  }
  const output = `${result.stdout}${result.stderr}`;
  checked.set(key, output);
  return output;
}

const checked = new Map<string, string>();

/** The java binary: `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` from PATH. */
export function javaBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Requires a Java runtime of at least `minMajor` (Kafka 4.x brokers need 17). */
export function requireJava(minMajor: number, neededFor: string): string {
  const java = javaBinary();
  const banner = requireTool(java, ['-version'], neededFor);
  const match = /version "(\d+)(?:\.(\d+))?/.exec(banner);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : Number.NaN;
  if (!(major >= minMajor)) {
    throw new StackError(
      `${neededFor} needs Java ${minMajor} or newer, but ${java} is ${match ? `Java ${major}` : 'of unknown version'}. ` +
        'Install a newer JDK or point JAVA_HOME at one.',
    );
  }
  return java;
}
