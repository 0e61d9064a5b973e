import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.js';
import { parseRelaySource } from '../../../functions/relay-dynamodb-streams/source.js';

describe('the relay source configuration', () => {
  it('reads a CDC source with its defaults', () => {
    const source = parseRelaySource(
      JSON.stringify({
        mode: 'cdc',
        table: 'Shop',
        topic: 't',
        entity: 'customer',
        keyAttributes: ['pk'],
        versionAttribute: 'v',
      }),
      'STAYSYNC_RELAY_SOURCE',
    );

    expect(source).toEqual({
      mode: 'cdc',
      table: 'Shop',
      topic: 't',
      entity: 'customer',
      keyAttributes: ['pk'],
      versionAttribute: 'v',
      ttlDeletes: 'delete',
    });
  });

  it('reads an outbox source, with envelope as the default attribute', () => {
    expect(
      parseRelaySource(JSON.stringify({ mode: 'outbox', table: 'Shop', topic: 'orders' }), 'X'),
    ).toEqual({ mode: 'outbox', table: 'Shop', topic: 'orders', envelopeAttribute: 'envelope' });
  });

  it('lists every problem at once, naming the variable', () => {
    const parse = () =>
      parseRelaySource(
        JSON.stringify({
          mode: 'cdc',
          table: 'x',
          topic: '',
          entity: 'a#b',
          keyAttributes: [],
          ttlDeletes: 'maybe',
        }),
        'STAYSYNC_RELAY_SOURCE',
      );

    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(
      /STAYSYNC_RELAY_SOURCE is invalid:\n- table .*\n- topic .*\n- entity .*\n- keyAttributes .*\n- versionAttribute .*\n- ttlDeletes/,
    );
    expect(() => parseRelaySource(undefined, 'STAYSYNC_RELAY_SOURCE')).toThrow(/is required/);
    expect(() => parseRelaySource('{', 'STAYSYNC_RELAY_SOURCE')).toThrow(/is not JSON/);
    expect(() => parseRelaySource('{"mode":"both"}', 'V')).toThrow(
      /mode must be "cdc" or "outbox"/,
    );
  });
});
