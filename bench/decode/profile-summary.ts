/**
 * Summarizes a V8 `.cpuprofile` (node --cpu-prof): self time per function (with its file
 * and line), largest first, so "where the time goes" can be read without DevTools.
 *
 * Usage: tsx bench/decode/profile-summary.ts <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  readonly fn: string;
  readonly where: string;
  readonly selfMs: number;
  readonly share: number;
}

export function summarize(profile: Profile, top = 20): HotSpot[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { fn: string; where: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const node = byId.get(id);
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url
      .replace(/^file:\/\/.*?\/(node_modules|functions|bench)\//, '$1/')
      .replace(/^file:\/\/.*\//, '');
    const where = url === '' ? '(native)' : `${file}:${lineNumber + 1}`;
    const fn = functionName || '(anonymous)';
    const key = `${fn}@${where}`;
    const entry = self.get(key) ?? { fn, where, us: 0 };
    entry.us += dt;
    self.set(key, entry);
  });
  return [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({
      fn: e.fn,
      where: e.where,
      selfMs: Math.round(e.us / 100) / 10,
      share: Math.round((e.us / total) * 1000) / 10,
    }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  for (const h of summarize(profile, Number(top ?? 25)))
    console.log(
      `${String(h.share).padStart(5)}%  ${String(h.selfMs).padStart(8)} ms  ${h.fn}  ${h.where}`,
    );
}
