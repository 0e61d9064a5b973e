import { describe, expect, it } from 'vitest';
import {
  entityIndexNames,
  invalidDocumentIdReason,
  invalidEntityReason,
  invalidPrefixReason,
} from '../../../../functions/core/opensearch/index-naming.js';

describe('entity index names', () => {
  it('derive a versioned physical index, a write alias, a read alias and a template pattern', () => {
    expect(entityIndexNames('staysync', 'customer', 3)).toEqual({
      entity: 'customer',
      physicalIndex: 'staysync-customer-v3',
      writeAlias: 'staysync-customer-write',
      readAlias: 'staysync-customer',
      template: 'staysync-customer',
      indexPattern: 'staysync-customer-v*',
    });
  });

  it.each(['customer', 'order_line', 'v2', 'public.orders'])('accept the entity %s', (entity) => {
    expect(invalidEntityReason('p', entity)).toBeNull();
  });

  it.each(['Customer', 'order-line', '_hidden', '.dot', 'a b', 'a*', 'a,b', 'a#b', 'a/b', ''])(
    'reject the entity %j, which cannot (safely) name an index',
    (entity) => {
      expect(invalidEntityReason('p', entity)).toMatch(/cannot name an OpenSearch index/);
    },
  );

  it('rejects an entity that would make index names longer than 255 bytes', () => {
    expect(invalidEntityReason('p', 'a'.repeat(240))).toMatch(/longer than 255 bytes/);
  });

  it('rejects prefixes that are not lowercase index name parts', () => {
    expect(invalidPrefixReason('staysync-prod')).toBeNull();
    expect(invalidPrefixReason('StaySync')).toMatch(/lowercase/);
    expect(invalidPrefixReason('-x')).toMatch(/lowercase/);
  });

  it('rejects empty document ids and ids over 512 bytes', () => {
    expect(invalidDocumentIdReason('42')).toBeNull();
    expect(invalidDocumentIdReason('')).toMatch(/empty/);
    expect(invalidDocumentIdReason('é'.repeat(257))).toMatch(/514 bytes/);
  });
});
