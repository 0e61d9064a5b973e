import { describe, expect, it } from 'vitest';
import {
  defineProjection,
  projectChange,
  projectionsByEntity,
} from '../../../../functions/core/dynamodb/projection.js';
import { ConfigError } from '../../../../functions/core/errors.js';
import { change } from '../../sink-dynamodb/changes.js';

const lowerEmail = defineProjection({
  entity: 'customer',
  project: ({ data }) =>
    data?.hidden === true
      ? null
      : { name: data?.name, email: String(data?.email ?? '').toLowerCase() },
});

describe('projections', () => {
  it('keeps the envelope data when the entity has no projection', () => {
    const c = change({ key: 'k', offset: 1, version: 1, data: { a: 1 } });
    expect(projectChange(c, undefined)).toBe(c);
  });

  it('replaces the data by what the projection returns', () => {
    const c = change({
      key: 'k',
      offset: 1,
      version: 1,
      data: { name: 'Ann', email: 'A@X.IO', pw: 's' },
    });
    expect(projectChange(c, lowerEmail).data).toEqual({ name: 'Ann', email: 'a@x.io' });
  });

  it('turns an upsert projected to null into a delete at the same version', () => {
    const c = change({ key: 'k', offset: 1, version: 3, data: { hidden: true } });
    const projected = projectChange(c, lowerEmail);
    expect(projected).toMatchObject({ op: 'delete', guard: c.guard, eventId: c.eventId });
    expect(projected.data).toBeUndefined();
  });

  it('turns a patch projected to null into a patch that sets nothing', () => {
    const c = change({ key: 'k', offset: 1, version: 3, op: 'patch', data: { hidden: true } });
    expect(projectChange(c, lowerEmail)).toMatchObject({ op: 'patch', data: {} });
  });

  it('makes the record poison when the projection throws or returns a non-object', () => {
    const c = change({ key: 'k', offset: 1, version: 1 });
    const throwing = defineProjection({
      entity: 'customer',
      project: () => {
        throw new Error('boom');
      },
    });
    const array = defineProjection({
      entity: 'customer',
      project: () => [] as unknown as Record<string, unknown>,
    });
    expect(() => projectChange(c, throwing)).toThrow(
      expect.objectContaining({ reason: 'projection-failed' }),
    );
    expect(() => projectChange(c, array)).toThrow(
      expect.objectContaining({ reason: 'projection-invalid' }),
    );
  });

  it('never projects deletes', () => {
    const c = change({ key: 'k', offset: 1, version: 2, op: 'delete' });
    expect(projectChange(c, lowerEmail)).toBe(c);
  });

  it('refuses two projections for one entity', () => {
    expect(() => projectionsByEntity([lowerEmail, lowerEmail])).toThrow(ConfigError);
  });
});
