import path from 'node:path';
import { testTlsEnv } from './tls-env.js';
import { runCli } from '../src/cli/main.js';

export const repoRoot = path.join(import.meta.dirname, '..');
export const fixtures = path.join(import.meta.dirname, 'fixtures');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the CLI in-process, as `bin.ts` does, with captured output. */
export async function cli(argv: readonly string[], options: { cwd?: string; tty?: boolean; env?: Record<string, string>; stdin?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.tty ?? false },
    cwd: options.cwd ?? repoRoot,
    // No Docker unless a test asks for it: a container started elsewhere must not change output.
    env: { ...testTlsEnv, ...(options.env ?? { DOCKER_HOST: 'unix:///nonexistent/ingress-dev-test.sock' }) },
    ...(options.stdin === undefined ? {} : { readStdin: () => Promise.resolve(options.stdin as string) }),
  });
  return { code, stdout, stderr };
}
