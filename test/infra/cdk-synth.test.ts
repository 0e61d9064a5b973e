import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCfnLint, runCfnLint } from '../../local/tools/cfn-lint.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const out = mkdtempSync(path.join(tmpdir(), 'staysync-cdk-out-'));

/** Runs a command with no network at all when the machine allows a private network namespace. */
function offline(
  cmd: string,
  args: readonly string[],
): { command: string; args: string[]; isolated: boolean } {
  const probe = spawnSync('unshare', ['--net', '--map-root-user', 'true']);
  return probe.status === 0
    ? { command: 'unshare', args: ['--net', '--map-root-user', cmd, ...args], isolated: true }
    : { command: cmd, args: [...args], isolated: false };
}

// No credentials of any kind: only what a fresh clone has.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_')),
) as NodeJS.ProcessEnv;
env.AWS_EC2_METADATA_DISABLED = 'true';
env.AWS_CONFIG_FILE = '/dev/null';
env.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';

let synth: { status: number | null; stdout: string; stderr: string; isolated: boolean };
let templates: string[];

beforeAll(() => {
  ensureCfnLint(); // needs PyPI once; the synth below needs nothing
  const run = offline(path.join(ROOT, 'node_modules/.bin/cdk'), [
    'synth',
    '--quiet',
    '--no-notices',
    '--no-version-reporting',
    '--output',
    out,
  ]);
  const res = spawnSync(run.command, run.args, {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 570_000,
  });
  synth = { status: res.status, stdout: res.stdout, stderr: res.stderr, isolated: run.isolated };
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  templates = Object.values(manifest.artifacts)
    .filter((a) => a.type === 'aws:cloudformation:stack')
    .map((a) => path.join(out, a.properties?.templateFile ?? ''));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('cdk synth', () => {
  it('synthesizes every stage, cdk-nag included, without AWS credentials or a network', () => {
    expect(synth.stderr).not.toMatch(/AwsSolutions-/);
    expect(synth.status, synth.stderr).toBe(0);
    expect(synth.isolated).toBe(process.getuid?.() === 0 ? true : synth.isolated);
    expect(templates.map((t) => path.basename(t)).sort()).toEqual([
      'staysync-dev.template.json',
      'staysync-prod.template.json',
    ]);
  });

  it('bundles every function as a minified ESM file with a source map', () => {
    const assets = JSON.parse(readFileSync(path.join(out, 'staysync-dev.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const zips = Object.values(assets.files).filter((f) => f.source.packaging === 'zip');
    expect(zips).toHaveLength(7); // three sinks, the dev relay, claims, transfers, the topic provisioner
    for (const z of zips) {
      const dir = path.join(out, z.source.path);
      const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire as __staysyncCreateRequire }')).toBe(true);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
      expect(readFileSync(path.join(dir, 'index.mjs.map'), 'utf8').length).toBeGreaterThan(0);
    }
  });

  it('passes cfn-lint with no error on the synthesized templates', () => {
    const res = runCfnLint(templates);
    expect(res.errors, JSON.stringify(res.errors, null, 2)).toEqual([]);
  });
});
