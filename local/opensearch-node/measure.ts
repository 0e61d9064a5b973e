/**
 * Dev tool: brings up the embedded OpenSearch node alone, in its own folder and on its
 * own ports, and prints how long the build and the start took and how much memory the
 * node holds. Used for the figures in docs/opensearch-node.md; the shared stack is not
 * touched.
 *
 *   STAYSYNC_LOCAL_DIR=/tmp/os-measure STAYSYNC_OPENSEARCH_PORT=19291 \
 *   STAYSYNC_OPENSEARCH_TRANSPORT_PORT=19391 npx tsx local/opensearch-node/measure.ts
 *
 * A cold measurement starts from an empty STAYSYNC_LOCAL_DIR (empty Maven repository and
 * data); run it a second time for the warm figures. The node is stopped (SIGTERM) at the
 * end unless `--keep` is given.
 */
import { readFileSync } from 'node:fs';
import { opensearchService } from '../stack/services/opensearch.js';
import { ensureDirs, logFileOf, stackPaths } from '../stack/support/paths.js';
import { cpuSecondsOf, isAlive, sleep } from '../stack/support/processes.js';

if (process.env.STAYSYNC_LOCAL_DIR === undefined) {
  throw new Error(
    'set STAYSYNC_LOCAL_DIR to a scratch folder: this tool must not share the stack’s .local',
  );
}

const rssMiB = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
};

const paths = stackPaths();
ensureDirs(paths);
const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;

const prepareStart = performance.now();
await opensearchService.prepare(paths);
console.log(`prepare (build into ${paths.cache}): ${seconds(prepareStart)}`);

const startAt = performance.now();
const { pid } = await opensearchService.start(paths, logFileOf(paths, opensearchService.name));
while (!(await opensearchService.ready())) {
  if (!isAlive(pid))
    throw new Error(`node exited; see ${logFileOf(paths, opensearchService.name)}`);
  await sleep(100);
}
console.log(`start → ready (pid ${pid}): ${seconds(startAt)}`);
console.log(`CPU used by the node until ready: ${(cpuSecondsOf(pid) ?? Number.NaN).toFixed(1)} s`);
console.log(`RSS right after ready: ${rssMiB(pid)} MiB`);
console.log(opensearchService.env());

if (!process.argv.includes('--keep')) {
  process.kill(pid, 'SIGTERM');
  const stopAt = performance.now();
  while (isAlive(pid)) await sleep(100);
  console.log(`stopped on SIGTERM in ${seconds(stopAt)}`);
}
