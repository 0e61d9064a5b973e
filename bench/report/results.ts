import type { BundleRow } from '../bundle/run-bundle.js';
import type { CostResult } from '../cost/run-cost.js';
import type { DecodeResult } from '../decode/run-decode.js';
import type { E2eResult } from '../e2e/run-e2e.js';
import type { MachineInfo } from '../lib/machine.js';
import type { ResourceRow } from '../resources/run-resources.js';
import type { StageCostResult } from '../stage/run-stage-cost.js';

export const Parts = ['cost', 'decode', 'e2e', 'bundle', 'resources', 'stage'] as const;
export type Part = (typeof Parts)[number];

export interface PartRun<T> {
  /** ISO date-time the part finished */
  readonly at: string;
  readonly seconds: number;
  /** 1-minute load average sampled while the part ran */
  readonly load: { readonly min: number; readonly max: number; readonly mean: number };
  readonly machine: MachineInfo;
  readonly result: T;
}

/** bench/results/results.json: the latest run of each part (parts can be rerun alone). */
export interface Results {
  cost?: PartRun<CostResult>;
  decode?: PartRun<DecodeResult>;
  e2e?: PartRun<E2eResult>;
  bundle?: PartRun<readonly BundleRow[]>;
  resources?: PartRun<{ readonly memoryMb: number; readonly rows: readonly ResourceRow[] }>;
  stage?: PartRun<StageCostResult>;
}
