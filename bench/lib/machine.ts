import os from 'node:os';

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly totalMemoryGb: number;
  readonly node: string;
  readonly platform: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: os.availableParallelism?.() ?? cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Samples the 1-minute load average every few seconds while a part runs. */
export class LoadSampler {
  private readonly samples: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  start(everyMs = 5_000): this {
    this.samples.push(os.loadavg()[0] as number);
    this.timer = setInterval(() => this.samples.push(os.loadavg()[0] as number), everyMs);
    this.timer.unref();
    return this;
  }

  stop(): { min: number; max: number; mean: number } {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.samples.push(os.loadavg()[0] as number);
    const min = Math.min(...this.samples);
    const max = Math.max(...this.samples);
    const mean = this.samples.reduce((a, b) => a + b, 0) / this.samples.length;
    return { min: round2(min), max: round2(max), mean: round2(mean) };
  }
}

const round2 = (v: number) => Math.round(v * 100) / 100;
