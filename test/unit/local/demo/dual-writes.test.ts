import { describe, expect, it } from 'vitest';
import { divergenceChart } from '../../../../local/demo/dual-writes/chart.js';
import { divergentKeys } from '../../../../local/demo/dual-writes/divergence.js';

describe('divergent keys', () => {
  it('are the keys whose last write differs, or that one side lacks', () => {
    const source = new Map([
      ['a', 3],
      ['b', 5],
      ['c', 9],
    ]);
    const store = new Map([
      ['a', 3],
      ['b', 4],
      ['d', 1],
    ]);

    expect(divergentKeys(source, store)).toEqual(['b', 'c', 'd']);
    expect(divergentKeys(source, new Map(source))).toEqual([]);
  });
});

describe('the divergence chart', () => {
  it('draws one line per series, a legend, and the moment the writers stopped', () => {
    const svg = divergenceChart(
      'Keys <apart>',
      ['dual', 'log'],
      [
        { atMs: 0, counts: { dual: 0, log: 0 } },
        { atMs: 1000, counts: { dual: 4, log: 2 } },
        { atMs: 2000, counts: { dual: 3, log: 0 } },
      ],
      1500,
    );

    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('Keys &lt;apart&gt;');
    expect(svg).toContain('writers done');
    // x: 0..2000 ms over 56..520 px; y: 0..4 keys over 316..36 px (a 280 px plot below a 36 px title)
    expect(svg).toContain('points="56.0,316.0 288.0,36.0 520.0,106.0"');
    expect(svg).toContain('points="56.0,316.0 288.0,176.0 520.0,316.0"');
  });
});
