/**
 * Live progress of the demo, in plain ANSI: on a terminal the block is redrawn in place;
 * without one (CI logs, pipes) a compact line per sink is printed every few seconds.
 */
export interface SinkProgress {
  readonly sink: string;
  /** records whose effect the sink reports as applied (its own metrics) */
  readonly applied: number;
  readonly stale: number;
  readonly duplicate: number;
  readonly quarantined: number;
  /** redelivered records skipped below the checkpoint */
  readonly skipped: number;
  /** committed offsets summed over partitions */
  readonly committed: number;
  /** end offsets summed over partitions */
  readonly end: number;
  readonly invocations: number;
  readonly failedInvocations: number;
  readonly coldStarts: number;
}

export interface ProgressState {
  readonly published: number;
  readonly toPublish: number;
  readonly elapsedMs: number;
  readonly faults: number;
  readonly phase: string;
  readonly sinks: readonly SinkProgress[];
}

const bar = (done: number, total: number, width: number): string => {
  const ratio = total <= 0 ? 0 : Math.min(1, done / total);
  const full = Math.round(ratio * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`;
};

export function renderProgress(state: ProgressState, barWidth = 24): string[] {
  const secs = (state.elapsedMs / 1000).toFixed(1);
  const lines = [
    `staysync demo — ${state.phase} — ${secs} s — published ${state.published}/${state.toPublish}` +
      (state.faults > 0 ? ` — faults injected: ${state.faults}` : ''),
  ];
  for (const s of state.sinks) {
    const lag = Math.max(0, s.end - s.committed);
    lines.push(
      `  ${s.sink.padEnd(10)} ${bar(s.committed, s.end, barWidth)} applied ${String(s.applied).padStart(6)}` +
        `  stale/dup ${String(s.stale + s.duplicate).padStart(5)}  quarantined ${String(s.quarantined).padStart(3)}` +
        `  lag ${String(lag).padStart(5)}  invocations ${s.invocations} (${s.failedInvocations} failed, ${s.coldStarts} cold)`,
    );
  }
  return lines;
}

export class ProgressRenderer {
  private drawn = 0;
  private lastPrint = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly plainIntervalMs = 2_000,
  ) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  update(state: ProgressState, force = false): void {
    const lines = renderProgress(state);
    if (this.tty) {
      // Move to the start of the block, rewrite each line, clear what is left.
      const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
      this.out.write(`${up}${lines.map((l) => `\r\x1b[2K${l}`).join('\n')}\n`);
      this.drawn = lines.length;
      return;
    }
    const now = Date.now();
    if (!force && now - this.lastPrint < this.plainIntervalMs) return;
    this.lastPrint = now;
    this.out.write(`${lines.join('\n')}\n`);
  }

  /** A line that scrolls above the live block (faults, warnings). */
  note(line: string): void {
    if (this.tty && this.drawn > 0) {
      this.out.write(`\x1b[${this.drawn}A\r\x1b[2K${line}\n\x1b[J`);
      this.drawn = 0;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Ends live drawing: the last block stays on screen. */
  done(): void {
    this.drawn = 0;
  }
}
