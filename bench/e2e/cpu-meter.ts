/**
 * CPU seconds spent by each party of an end-to-end run over a window: this Node process
 * (all its threads: publisher, event-source-mapping emulator, the sink workers, the raw
 * ingest clients) and the stack's servers (Kafka, OpenSearch, Dynoxide, moto), read from
 * /proc/<pid>/stat. It tells where the time goes when two cores are shared by all of them.
 * Linux only; elsewhere the servers read as absent.
 */
import { readPid } from '../../local/stack/pid-records.js';
import { stackPaths } from '../../local/stack/support/paths.js';
import { cpuSecondsOf } from '../../local/stack/support/processes.js';

const SERVICES = ['kafka', 'opensearch', 'dynoxide', 'moto'] as const;

export type CpuParty = 'node' | (typeof SERVICES)[number];
export type CpuSeconds = Readonly<Partial<Record<CpuParty, number>>>;

function servicePids(): Map<CpuParty, number> {
  // a second stack (STAYSYNC_LOCAL_DIR) may run only some services: the others are the
  // default stack's
  const places = [stackPaths(), stackPaths({})];
  const pids = new Map<CpuParty, number>();
  for (const service of SERVICES) {
    for (const paths of places) {
      const record = readPid(paths, service);
      if (record !== undefined) {
        pids.set(service, record.pid);
        break;
      }
    }
  }
  return pids;
}

export interface CpuMeter {
  /** CPU seconds used by each party since the meter started */
  read(): CpuSeconds;
}

export function startCpuMeter(): CpuMeter {
  const pids = servicePids();
  const node0 = process.cpuUsage();
  const start = new Map([...pids].map(([party, pid]) => [party, cpuSecondsOf(pid)]));
  return {
    read() {
      const node = process.cpuUsage(node0);
      const out: Partial<Record<CpuParty, number>> = { node: (node.user + node.system) / 1e6 };
      for (const [party, pid] of pids) {
        const before = start.get(party);
        const now = cpuSecondsOf(pid);
        if (before !== undefined && now !== undefined) out[party] = now - before;
      }
      return out;
    },
  };
}

export const formatCpu = (cpu: CpuSeconds): string =>
  Object.entries(cpu)
    .map(([party, s]) => `${party} ${(s as number).toFixed(1)}`)
    .join(', ');
