/** A hand-written SVG: one horizontal bar panel per part (no chart library). */
import type { Results } from './results.js';

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
}

const STAYSYNC = '#2b7bb9';
const PEER = '#b0b0b0';
const LIMIT = '#5a9e4b';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) =>
  v >= 1000 ? `${Math.round(v).toLocaleString('en-US')}` : v >= 10 ? v.toFixed(1) : v.toFixed(3);

function panel(
  title: string,
  unit: string,
  bars: readonly Bar[],
  x: number,
  y: number,
  w: number,
): { svg: string; height: number } {
  const rowH = 22;
  const labelW = 190;
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const barW = w - labelW - 90;
  const rows = bars
    .map((b, i) => {
      const by = y + 28 + i * rowH;
      const len = Math.max(1, (b.value / max) * barW);
      return `<text x="${x + labelW - 6}" y="${by + 14}" text-anchor="end" font-size="12">${esc(b.label)}</text>
<rect x="${x + labelW}" y="${by + 3}" width="${len.toFixed(1)}" height="${rowH - 6}" fill="${b.color}"/>
<text x="${x + labelW + len + 4}" y="${by + 14}" font-size="11">${esc(fmt(b.value))}</text>`;
    })
    .join('\n');
  const height = 36 + bars.length * rowH;
  return {
    svg: `<text x="${x}" y="${y + 16}" font-size="14" font-weight="bold">${esc(title)}</text>
<text x="${x + w - 4}" y="${y + 16}" font-size="11" text-anchor="end" fill="#555">${esc(unit)}</text>
${rows}`,
    height,
  };
}

export function renderSvg(results: Results, caption: string): string {
  const w = 760;
  const panels: Array<{ title: string; unit: string; bars: Bar[] }> = [];
  const cost = results.cost?.result;
  if (cost !== undefined) {
    const bars: Bar[] = [];
    for (const r of cost.rows.filter((r) => r.system === 'dynamodb' || r.system === 'baseline')) {
      if (r.valueBytes !== cost.rows[0]?.valueBytes) continue;
      bars.push({
        label: `${r.system === 'dynamodb' ? 'staysync view' : 'Powertools idem.'} b${r.batchSize} ${r.duplicateShare * 100}%`,
        value: r.costPerMillion.dynamo,
        color: r.system === 'dynamodb' ? STAYSYNC : PEER,
      });
    }
    panels.push({ title: '1. DynamoDB $ per million events (lower is better)', unit: 'USD', bars });
  }
  const decode = results.decode?.result;
  if (decode !== undefined) {
    panels.push({
      title: '2. Decode + validate + plan, one core (higher is better)',
      unit: 'records/s',
      bars: [
        { label: 'raw base64 + JSON.parse', value: decode.recordsPerSecond.raw, color: LIMIT },
        { label: 'staysync', value: decode.recordsPerSecond.staysync, color: STAYSYNC },
        { label: 'Powertools kafka + zod', value: decode.recordsPerSecond.powertools, color: PEER },
      ],
    });
  }
  const e2e = results.e2e?.result;
  if (e2e?.rounds !== undefined) {
    panels.push({
      title: '3. Publish → visible in 3 stores, median (higher is better)',
      unit: 'events/s',
      bars: [
        { label: 'raw bulk ingest', value: e2e.bulkEventsPerSecond.median, color: LIMIT },
        { label: 'raw guarded requests', value: e2e.guardedEventsPerSecond.median, color: LIMIT },
        { label: 'staysync pipeline', value: e2e.pipelineEventsPerSecond.median, color: STAYSYNC },
      ],
    });
  }
  const bundle = results.bundle?.result;
  if (bundle !== undefined) {
    panels.push({
      title: '4. Bundle size, minified ESM (lower is better)',
      unit: 'KiB',
      bars: bundle.map((b) => ({
        label: b.name,
        value: Math.round((b.bytes / 1024) * 10) / 10,
        color: b.kind === 'staysync' ? STAYSYNC : PEER,
      })),
    });
    panels.push({
      title: '4. Cold init: import + config parse (lower is better)',
      unit: 'ms (median)',
      bars: bundle.map((b) => ({
        label: b.name,
        value: b.initMs,
        color: b.kind === 'staysync' ? STAYSYNC : PEER,
      })),
    });
  }
  let y = 34;
  const parts: string[] = [];
  for (const p of panels) {
    const { svg, height } = panel(p.title, p.unit, p.bars, 10, y, w - 20);
    parts.push(svg);
    y += height + 14;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${y + 10}" viewBox="0 0 ${w} ${y + 10}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="12" fill="#333">${esc(caption)}</text>
${parts.join('\n')}
</svg>
`;
}
