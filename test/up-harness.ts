import { spawn, type ChildProcess } from 'node:child_process';
import { testTlsEnv } from './tls-env.js';
import path from 'node:path';
import { runCli } from '../src/cli/main.js';
import { repoRoot } from './cli-harness.js';

type Signal = 'SIGINT' | 'SIGTERM';

export interface RunningUp {
  readonly url: string;
  readonly port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the output matches, or rejects after the timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Deliver a signal and wait for the exit code. */
  stop(signal?: Signal): Promise<number>;
}

async function poll<T>(probe: () => T | null, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `ingress-dev up` in-process, with captured output and signals the test controls. */
export async function startUp(argv: readonly string[], cwd = repoRoot, env: Readonly<Record<string, string>> = {}): Promise<RunningUp> {
  let out = '';
  let err = '';
  const handlers = new Set<(s: Signal) => void>();
  let exit: number | null = null;
  let failure: unknown = null;
  const done = runCli(['up', ...argv], {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    cwd,
    env: { ...testTlsEnv, ...env },
    onSignal: (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
  }).then((code) => (exit = code), (e: unknown) => (failure = e));
  const match = await poll(() => {
    if (failure !== null) throw failure;
    if (exit !== null) throw new Error(`up exited ${exit}:\n${out}\n${err}`);
    return /listening on (http:\/\/[^\s]+)|"type":"proxy-started".*?"url":"(http:\/\/[^"]+)"/.exec(out);
  }, 10_000, 'up to listen');
  const url = match[1] ?? match[2] ?? '';
  return {
    url,
    port: Number(new URL(url).port),
    stdout: () => out,
    stderr: () => err,
    waitFor: (pattern, timeoutMs = 5_000) => poll(() => pattern.exec(out + err), timeoutMs, `${pattern} in the output`),
    async stop(signal = 'SIGINT') {
      for (const h of handlers) h(signal);
      await done;
      return exit ?? -1;
    },
  };
}

/** The built binary in a child process: for exit codes and real signals. */
export function spawnCli(argv: readonly string[], cwd = repoRoot): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'ingress-dev.js'), ...argv], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return Object.assign(child, { output: () => output });
}

export { poll };
