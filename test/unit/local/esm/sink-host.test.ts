import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildMskEvent } from '../../../../local/esm/event-builder.js';
import { SinkHost } from '../../../../local/esm/sink-host.js';

const handlerModule = fileURLToPath(
  new URL('../../../fixtures/esm/scripted-handler.ts', import.meta.url),
);

const eventWith = (command: string, offset = 0) =>
  buildMskEvent({ bootstrapServers: '127.0.0.1:9092' }, [
    {
      topic: 't',
      partition: 0,
      offset,
      timestamp: 1,
      timestampType: 'CREATE_TIME',
      key: Buffer.from('k'),
      value: Buffer.from(command),
      headers: [],
    },
  ]);

const hosts: SinkHost[] = [];
const host = (env: Record<string, string>, timeoutMs = 20_000) => {
  const h = new SinkHost({ name: 'test', handlerModule, env, timeoutMs });
  hosts.push(h);
  return h;
};

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

describe('a sink host', () => {
  it('loads the handler with its own environment once and reuses it while warm', async () => {
    const h = host({ SINK_NAME: 'view' });
    const first = await h.invoke(eventWith('env'));
    const second = await h.invoke(eventWith('env'));
    expect(first).toMatchObject({ ok: true, coldStart: true, response: { sink: 'view' } });
    expect(second).toMatchObject({ ok: true, coldStart: false });
    expect(first.ok && second.ok && first.response).toEqual(second.ok && second.response);
    expect(h.coldStarts).toBe(1);
  });

  it('cold-starts a new environment after a crash', async () => {
    const h = host({ SINK_NAME: 'view' });
    const before = await h.invoke(eventWith('env'));
    await h.crash();
    const after = await h.invoke(eventWith('env'));
    expect(after).toMatchObject({ ok: true, coldStart: true });
    expect(before.ok && before.response).not.toEqual(after.ok && after.response);
    expect(h.coldStarts).toBe(2);
  });

  it('returns the partial batch response and reports a thrown error as a function error', async () => {
    const h = host({ SINK_NAME: 'view' });
    expect(await h.invoke(eventWith('fail-always', 5))).toMatchObject({
      ok: true,
      response: { batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 5 } }] },
    });
    expect(await h.invoke(eventWith('throw'))).toMatchObject({
      ok: false,
      kind: 'function-error',
      error: { message: 'scripted failure' },
    });
  });

  it('fails the cold start when the handler cannot read its configuration', async () => {
    const h = host({});
    expect(await h.invoke(eventWith('ok'))).toMatchObject({
      ok: false,
      kind: 'init-error',
      error: { message: 'SINK_NAME is required' },
    });
  });

  it('kills an invocation that outlives the function timeout', async () => {
    const h = host({ SINK_NAME: 'view' }, 1_500);
    expect(await h.invoke(eventWith('hang'))).toMatchObject({ ok: false, kind: 'timeout' });
    expect(await h.invoke(eventWith('ok'))).toMatchObject({ ok: true, coldStart: true });
  });

  it('hands the handler output to the caller line by line', async () => {
    const lines: string[] = [];
    const h = new SinkHost({
      name: 'test',
      handlerModule,
      env: { SINK_NAME: 'view' },
      timeoutMs: 20_000,
      onOutput: (line) => lines.push(line),
    });
    hosts.push(h);
    await h.invoke(eventWith('ok'));
    // the line arrives on the child's stdout, not with the answer: wait for it, not for time
    await vi.waitFor(() =>
      expect(lines.map((l) => JSON.parse(l) as unknown)).toContainEqual({
        level: 'INFO',
        message: 'invoked',
        command: 'ok',
      }),
    );
  });
});
