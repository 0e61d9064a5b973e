import { describe, expect, it } from 'vitest';
import { parsePipelineProjections } from '../../../../functions/contract/pipeline.js';
import {
  defineProjection,
  projectChange,
  projectionFromSpec,
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

describe('declarative projections (STAYSYNC_PIPELINE.projections)', () => {
  const project = (spec: Parameters<typeof projectionFromSpec>[0], data: Record<string, unknown>) =>
    projectionFromSpec(spec).project(change({ key: 'k', offset: 1, version: 1, data }));

  it('keeps the picked fields, drops the omitted ones, then renames', () => {
    const data = { pk: 'customer#1', sk: 'profile', name: 'Ada', secret: 's', age: 36 };

    expect(
      project({ entity: 'customer', rename: { pk: 'id' }, omit: ['sk', 'secret'] }, data),
    ).toEqual({
      id: 'customer#1',
      name: 'Ada',
      age: 36,
    });
    expect(
      project({ entity: 'customer', pick: ['name', 'pk'], rename: { pk: 'id' } }, data),
    ).toEqual({
      name: 'Ada',
      id: 'customer#1',
    });
  });

  it('projects a patch field by field', () => {
    const patch = change({ key: 'k', offset: 2, version: 2, op: 'patch', data: { pk: 'x' } });

    expect(projectionFromSpec({ entity: 'customer', rename: { pk: 'id' } }).project(patch)).toEqual(
      {
        id: 'x',
      },
    );
  });

  it('refuses a rename onto a name the view item layout reserves, or two fields onto one', () => {
    expect(() => projectionFromSpec({ entity: 'customer', rename: { id: 'pk' } })).toThrow(
      /pk is reserved by the view item layout/,
    );
    expect(() => projectionFromSpec({ entity: 'customer', rename: { a: 'x', b: 'x' } })).toThrow(
      /two fields are renamed to x/,
    );
  });

  it('reads the projections of the pipeline JSON, naming a malformed entry', () => {
    const json = (projections: unknown) => JSON.stringify({ topics: {}, projections });

    expect(parsePipelineProjections(json([{ entity: 'customer', rename: { pk: 'id' } }]))).toEqual([
      { entity: 'customer', rename: { pk: 'id' } },
    ]);
    expect(parsePipelineProjections(JSON.stringify({ topics: {} }))).toEqual([]);
    expect(() => parsePipelineProjections(json({}))).toThrow(/projections must be an array/);
    expect(() => parsePipelineProjections(json([{ entity: 'a#b' }]))).toThrow(
      /projections\[0\]\.entity must match/,
    );
    expect(() => parsePipelineProjections(json([{ entity: 'c', pick: 'name' }]))).toThrow(
      /projections\[0\]\.pick must be a list/,
    );
    expect(() => parsePipelineProjections(json([{ entity: 'c', rename: { a: '' } }]))).toThrow(
      /rename\.a must name a non-empty field/,
    );
    expect(() => parsePipelineProjections(json([{ entity: 'c', select: ['a'] }]))).toThrow(
      /unknown fields \["select"\]/,
    );
  });
});
