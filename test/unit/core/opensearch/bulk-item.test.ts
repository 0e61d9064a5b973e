import { describe, expect, it } from 'vitest';
import { classifyBulkItem } from '../../../../functions/core/opensearch/bulk-item.js';

const err = (type: string, reason = 'r', caused_by?: { type: string; reason: string }) => ({
  type,
  reason,
  ...(caused_by === undefined ? {} : { caused_by }),
});

describe('bulk item classification', () => {
  it.each([201, 200])('treats status %i as applied', (status) => {
    expect(classifyBulkItem({ status })).toEqual({ kind: 'applied' });
  });

  it('treats a version conflict at a higher stored version as stale', () => {
    const reason =
      '[42]: version conflict, current version [40] is higher or equal to the one provided [34]';
    expect(
      classifyBulkItem({ status: 409, error: err('version_conflict_engine_exception', reason) }),
    ).toEqual({
      kind: 'conflict',
      duplicate: false,
    });
  });

  it('treats a version conflict at exactly the same version as a duplicate', () => {
    const reason =
      '[42]: version conflict, current version [34] is higher or equal to the one provided [34]';
    expect(
      classifyBulkItem({ status: 409, error: err('version_conflict_engine_exception', reason) }),
    ).toEqual({
      kind: 'conflict',
      duplicate: true,
    });
  });

  it.each([
    [429, 'es_rejected_execution_exception'],
    [429, 'cluster_block_exception'],
    [500, 'exception'],
    [503, 'unavailable_shards_exception'],
    [403, 'cluster_block_exception'],
  ])('retries status %i %s', (status, type) => {
    expect(classifyBulkItem({ status, error: err(type) }).kind).toBe('retry');
  });

  it('retries a rejected execution even when reported with an unusual status', () => {
    expect(
      classifyBulkItem({ status: 400, error: err('es_rejected_execution_exception') }).kind,
    ).toBe('retry');
  });

  it('asks for the layout to be recreated when the write alias is gone', () => {
    expect(classifyBulkItem({ status: 404, error: err('index_not_found_exception') }).kind).toBe(
      'missing-index',
    );
  });

  it.each([
    'mapper_parsing_exception',
    'document_parsing_exception',
    'illegal_argument_exception',
    'strict_dynamic_mapping_exception',
  ])('treats a 400 %s as poison, keeping the error in the message', (type) => {
    const verdict = classifyBulkItem({
      status: 400,
      error: err(type, 'failed to parse field [data.age] of type [long]', {
        type: 'illegal_argument_exception',
        reason: 'Cannot parse object',
      }),
    });
    expect(verdict).toEqual({
      kind: 'poison',
      errorType: type,
      message: `status 400 ${type}: failed to parse field [data.age] of type [long]; caused by illegal_argument_exception: Cannot parse object`,
    });
  });
});
