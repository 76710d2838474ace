import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import type { CliIO } from '../src/cli/io.js';

// Every folder in examples/ is documentation that must keep working: its manifests check
// without errors and its route tests pass. Adding a folder adds it here.
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const examplesDir = path.join(repoRoot, 'examples');
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .toSorted();

// Warnings an example shows on purpose. Any other warning in an example is a mistake in it.
const intendedWarnings: Readonly<Record<string, readonly string[]>> = {
  'httpbin-default-backend': ['W_PORT_SHORTHAND'],
  'httpbin-paths': ['W_PORT_SHORTHAND'],
  'httpbin-host': ['W_PORT_SHORTHAND'],
  'httpbin-two-hosts': ['W_PORT_SHORTHAND'],
};

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: repoRoot,
    env: { NO_COLOR: '1' },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

interface CheckJson {
  readonly diagnostics: readonly { readonly code: string; readonly severity: string; readonly message: string }[];
}

interface TestJson {
  readonly passed: number;
  readonly failed: number;
}

describe('examples', () => {
  it('has examples to test', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  describe.each(examples)('examples/%s', (name) => {
    const dir = `examples/${name}`;

    it('has a route test file', () => {
      expect(existsSync(path.join(examplesDir, name, 'ingress-dev.test.yaml'))).toBe(true);
    });

    it('passes its route tests', async () => {
      const result = await run('test', dir);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/\d+ passed, 0 failed/);
      expect(result.code, result.stdout).toBe(0);

      const json = await run('test', dir, '--json');
      expect(json.code, json.stdout).toBe(0);
      const summary = JSON.parse(json.stdout) as TestJson;
      expect(summary.failed).toBe(0);
      expect(summary.passed).toBeGreaterThan(0);
    });

    it('checks without errors', async () => {
      const result = await run('check', dir, '--json');
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const { diagnostics } = JSON.parse(result.stdout) as CheckJson;
      const errors = diagnostics.filter((d) => d.severity === 'error');
      expect(errors, 'error diagnostics').toEqual([]);
      const allowed = intendedWarnings[name] ?? [];
      const unexpected = diagnostics.filter((d) => d.severity === 'warning' && !allowed.includes(d.code));
      expect(unexpected, `warnings not listed in intendedWarnings for ${name}`).toEqual([]);
      for (const code of allowed) {
        expect(diagnostics.map((d) => d.code), `${name} is meant to show ${code}`).toContain(code);
      }
    });
  });
});
