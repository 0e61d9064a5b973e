import type { Sample } from './divergence.js';

/** Line colours per series, in the order given (dual writes warm, log cool). */
const COLOURS = ['#d62728', '#ff7f0e', '#1f77b4', '#2ca02c', '#9467bd'];
const WIDTH = 820;
const HEIGHT = 360;
const MARGIN = { left: 56, right: 300, top: 36, bottom: 44 };

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A hand-written SVG line chart: divergent keys (y) over time (x) for each series, the
 * moment the writers stopped marked. Pure: the same samples give the same bytes.
 */
export function divergenceChart(
  title: string,
  series: readonly string[],
  samples: readonly Sample[],
  writersDoneMs: number,
): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const maxT = Math.max(1, ...samples.map((s) => s.atMs), writersDoneMs);
  const maxY = Math.max(1, ...samples.flatMap((s) => series.map((name) => s.counts[name] ?? 0)));
  const x = (t: number) => MARGIN.left + (t / maxT) * plotW;
  const y = (v: number) => MARGIN.top + plotH - (v / maxY) * plotH;
  const lines = series.map((name, i) => {
    const points = samples.map(
      (s) => `${x(s.atMs).toFixed(1)},${y(s.counts[name] ?? 0).toFixed(1)}`,
    );
    const colour = COLOURS[i % COLOURS.length];
    const legendY = MARGIN.top + 16 + i * 20;
    return [
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.join(' ')}"/>`,
      `<line x1="${WIDTH - MARGIN.right + 12}" y1="${legendY - 4}" x2="${WIDTH - MARGIN.right + 32}" y2="${legendY - 4}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${WIDTH - MARGIN.right + 38}" y="${legendY}" font-size="12">${escapeXml(name)}</text>`,
    ].join('\n');
  });
  const yTicks = [0, Math.ceil(maxY / 2), maxY].map(
    (v) =>
      `<text x="${MARGIN.left - 8}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v}</text>`,
  );
  const done = x(writersDoneMs);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    ...yTicks,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" font-size="12" text-anchor="middle">seconds since the writes began (0 – ${(maxT / 1000).toFixed(1)})</text>`,
    `<text x="14" y="${MARGIN.top + plotH / 2}" font-size="12" transform="rotate(-90 14 ${MARGIN.top + plotH / 2})" text-anchor="middle">keys that differ from the source table</text>`,
    `<line x1="${done}" y1="${MARGIN.top}" x2="${done}" y2="${MARGIN.top + plotH}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<text x="${done + 4}" y="${MARGIN.top + 12}" font-size="11" fill="#666">writers done</text>`,
    ...lines,
    '</svg>',
    '',
  ].join('\n');
}
