/**
 * cfn-lint (PyPI) pinned in a project-local virtualenv: `.local/tools-venv`.
 *
 *   npx tsx local/tools/cfn-lint.ts [cfn-lint args...]   e.g.  cdk.out/*.template.json
 *
 * `ensureCfnLint()` creates the venv and installs the pinned version when it is missing or
 * different (a fresh clone or CI gets it on first use); `runCfnLint()` runs it and parses
 * the findings. Exit status of cfn-lint is a bit mask: 2 = errors, 4 = warnings, 8 = info.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CFN_LINT_VERSION = '1.58.0';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TOOLS_VENV = path.join(
  process.env.STAYSYNC_LOCAL_DIR ?? path.join(ROOT, '.local'),
  'tools-venv',
);
const bin = (name: string) => path.join(TOOLS_VENV, 'bin', name);

function installedVersion(): string | undefined {
  if (!existsSync(bin('cfn-lint'))) return undefined;
  const out = spawnSync(bin('cfn-lint'), ['--version'], { encoding: 'utf8' });
  return /cfn-lint (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1];
}

/** Returns the cfn-lint executable, installing the pinned version first if needed. */
export function ensureCfnLint(log: (line: string) => void = () => {}): string {
  if (installedVersion() === CFN_LINT_VERSION) return bin('cfn-lint');
  if (!existsSync(bin('python'))) {
    log(`creating ${TOOLS_VENV}`);
    execFileSync('python3', ['-m', 'venv', TOOLS_VENV], { stdio: 'inherit' });
  }
  log(`installing cfn-lint==${CFN_LINT_VERSION}`);
  execFileSync(
    bin('python'),
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      `cfn-lint==${CFN_LINT_VERSION}`,
    ],
    {
      stdio: 'inherit',
    },
  );
  const version = installedVersion();
  if (version !== CFN_LINT_VERSION)
    throw new Error(
      `cfn-lint ${CFN_LINT_VERSION} expected in ${TOOLS_VENV}, found ${version ?? 'none'}`,
    );
  return bin('cfn-lint');
}

export interface CfnLintFinding {
  readonly rule: string;
  readonly level: 'Error' | 'Warning' | 'Informational';
  readonly message: string;
  readonly file: string;
}

export interface CfnLintResult {
  readonly exitCode: number;
  readonly findings: readonly CfnLintFinding[];
  readonly errors: readonly CfnLintFinding[];
}

interface RawFinding {
  Rule: { Id: string };
  Level: CfnLintFinding['level'];
  Message: string;
  Filename: string;
}

/** Lints the templates (JSON output parsed); `ignoreChecks` are rule ids to skip, each needing a reason at the call site. */
export function runCfnLint(
  templates: readonly string[],
  opts: { ignoreChecks?: readonly string[] } = {},
): CfnLintResult {
  const exe = ensureCfnLint();
  const args = [
    '--format',
    'json',
    ...(opts.ignoreChecks?.length ? ['--ignore-checks', ...opts.ignoreChecks] : []),
    '--',
    ...templates,
  ];
  const out = spawnSync(exe, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.error !== undefined) throw out.error;
  const raw = (out.stdout.trim() === '' ? [] : JSON.parse(out.stdout)) as RawFinding[];
  const findings = raw.map((f) => ({
    rule: f.Rule.Id,
    level: f.Level,
    message: f.Message,
    file: f.Filename,
  }));
  if ((out.status ?? 1) & 1) throw new Error(`cfn-lint failed to run: ${out.stderr}`);
  return {
    exitCode: out.status ?? 1,
    findings,
    errors: findings.filter((f) => f.level === 'Error'),
  };
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  const exe = ensureCfnLint((line) => console.error(`[cfn-lint] ${line}`));
  const res = spawnSync(exe, process.argv.slice(2), { stdio: 'inherit' });
  process.exit(res.status ?? 1);
}
