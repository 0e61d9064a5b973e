import { describe, expect, it } from 'vitest';
import {
  olderNames,
  parseVersionedName,
  planVersionedRebuild,
  type RebuildMarker,
} from '../../../../local/rebuild/versioned-plan.js';

const markers = (entries: Array<[number, RebuildMarker]>) => new Map(entries);

describe('planVersionedRebuild (DynamoDB table, archive prefix)', () => {
  it('reads a name without a -v suffix as version 1', () => {
    expect(parseVersionedName('orders-view')).toEqual({ base: 'orders-view', version: 1 });
    expect(parseVersionedName('orders-view-v12')).toEqual({ base: 'orders-view', version: 12 });
    expect(parseVersionedName('archive/v2')).toEqual({ base: 'archive/v2', version: 1 });
  });

  it('starts <name>-v<N+1> under the namespace <sink>-rebuild-v<N+1> when no marker is unfinished', () => {
    expect(planVersionedRebuild('dynamodb', 'view', markers([]))).toEqual({
      phase: 'fresh',
      version: 2,
      target: 'view-v2',
      live: 'view',
      namespace: 'dynamodb-rebuild-v2',
    });
    const done = markers([[2, { target: 'view-v2', status: 'done' }]]);
    expect(planVersionedRebuild('dynamodb', 'view-v2', done)).toMatchObject({
      phase: 'fresh',
      target: 'view-v3',
      namespace: 'dynamodb-rebuild-v3',
    });
  });

  it('resumes the next version while it is building or verified (the deploy not made yet)', () => {
    for (const status of ['building', 'verified'] as const) {
      const plan = planVersionedRebuild(
        'ddb',
        'view',
        markers([[2, { target: 'view-v2', status }]]),
      );
      expect(plan).toMatchObject({ phase: 'building', version: 2, target: 'view-v2' });
    }
  });

  it('is switched once the deploy names the new version and its marker is not done', () => {
    const plan = planVersionedRebuild(
      'ddb',
      'view-v2',
      markers([[2, { target: 'view-v2', status: 'verified' }]]),
    );
    expect(plan).toMatchObject({ phase: 'switched', version: 2, target: 'view-v2' });
  });

  it('refuses a next version already done while the live name is older', () => {
    expect(() =>
      planVersionedRebuild('ddb', 'view', markers([[2, { target: 'view-v2', status: 'done' }]])),
    ).toThrow(/deploy it/);
  });

  it('lists the older versions --drop-old may delete, never the live one', () => {
    expect(olderNames('view')).toEqual([]);
    expect(olderNames('view-v3')).toEqual(['view', 'view-v2']);
  });
});
