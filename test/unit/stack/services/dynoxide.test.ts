import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The first `up` on a machine builds Dynoxide with cargo; without cargo it must say so,
// by name, before anything starts (no process spawned, nothing half-installed).
const dirs: string[] = [];

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function emptyStackPaths() {
  const root = mkdtempSync(path.join(tmpdir(), 'staysync-prepare-'));
  dirs.push(root);
  return {
    root,
    cache: path.join(root, 'cache'),
    data: path.join(root, 'data'),
    logs: path.join(root, 'logs'),
  };
}

describe('preparing Dynoxide', () => {
  it('names cargo and what needs it when cargo cannot be run', async () => {
    vi.stubEnv('STAYSYNC_CARGO', '/nonexistent/cargo');
    const { dynoxideService } = await import('../../../../local/stack/services/dynoxide.js');

    const failure = dynoxideService.prepare(emptyStackPaths());

    await expect(failure).rejects.toThrow(
      /cargo is required for the Dynoxide DynamoDB emulator \(dynoxide-rs 3\.2\.0 .*\) but could not be run/,
    );
  });

  it('reads its port from STAYSYNC_DYNOXIDE_PORT and points both DynamoDB variables at it', async () => {
    vi.stubEnv('STAYSYNC_DYNOXIDE_PORT', '28123');
    const { dynoxideService } = await import('../../../../local/stack/services/dynoxide.js');

    expect(dynoxideService.port).toBe(28123);
    expect(dynoxideService.env()).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:28123',
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: 'http://127.0.0.1:28123',
    });
    expect(dynoxideService.env()).not.toHaveProperty('AWS_ENDPOINT_URL');
  });
});
