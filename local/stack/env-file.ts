import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * `.local/stack.env`: KEY=VALUE lines, one per variable, no quoting (values never hold
 * spaces or newlines). A shell reads it with `set -a; . .local/stack.env; set +a`.
 */
export function formatEnvFile(vars: Readonly<Record<string, string>>): string {
  const lines = Object.entries(vars).map(([key, value]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(key) || /[\s"'$`\\]/.test(value)) {
      throw new Error(`stack.env cannot hold ${key}=${value}`);
    }
    return `${key}=${value}`;
  });
  return `# Written by \`npm run stack:up\`; removed by \`npm run stack:down\`.\n${lines.join('\n')}\n`;
}

export function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    vars[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return vars;
}

/** Written to a temporary file and renamed, so a reader never sees half a file. */
export function writeEnvFile(file: string, vars: Readonly<Record<string, string>>): void {
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, formatEnvFile(vars));
  renameSync(partial, file);
}

export function readEnvFile(file: string): Record<string, string> {
  return parseEnvFile(readFileSync(file, 'utf8'));
}

export function removeEnvFile(file: string): void {
  rmSync(file, { force: true });
}
