import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { StackPaths } from '../service.js';
import { StackError } from './errors.js';
import { requireTool } from './prerequisites.js';
import { run } from './processes.js';

/** The Maven local repository of the stack, so a fresh machine downloads each jar once. */
export const mavenRepo = (paths: StackPaths): string => path.join(paths.cache, 'm2');

/**
 * Copies the runtime dependencies of `pom` into `outputDir`, once: the copy is made in a
 * temporary folder and renamed into place, so an interrupted download is never mistaken
 * for a complete one. Returns `outputDir`.
 */
export async function copyDependencies(
  paths: StackPaths,
  pom: string,
  outputDir: string,
  neededFor: string,
): Promise<string> {
  if (existsSync(outputDir)) return outputDir;
  requireTool('mvn', ['-v'], neededFor);
  const partial = `${outputDir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const args = [
    '-B',
    '-q',
    `-Dmaven.repo.local=${mavenRepo(paths)}`,
    '-f',
    pom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${partial}`,
    '-DincludeScope=runtime',
  ];
  const output = await run('mvn', args);
  if (output.code !== 0) {
    rmSync(partial, { recursive: true, force: true });
    throw new StackError(
      `mvn could not fetch the jars for ${neededFor} (exit code ${output.code}):\n${output.text.slice(-4000)}`,
    );
  }
  rmSync(outputDir, { recursive: true, force: true });
  renameSync(partial, outputDir);
  return outputDir;
}
