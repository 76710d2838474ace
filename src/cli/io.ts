/** Where the CLI writes and reads; the process in production, buffers in tests. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export interface CliIO {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Subscribe to SIGINT/SIGTERM; returns an unsubscribe function. Defaults to the process's
   * signals; tests pass their own so that they can stop a running `up` in-process.
   */
  readonly onSignal?: (handler: (signal: 'SIGINT' | 'SIGTERM') => void) => () => void;
  /** What `-f -` reads: the process's stdin by default; tests pass their own. */
  readonly readStdin?: () => Promise<string>;
}

export function useColor(io: CliIO, stream: OutputStream, flags: { color?: unknown; 'no-color'?: unknown }): boolean {
  if (flags['no-color'] === true) return false;
  if (flags.color === true) return true;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && io.env.TERM !== 'dumb';
}

/** `paint('1', text)`: text in an SGR style (`1` bold, `2` dim, `31` red, `32` green), or as it is without colour. */
export function painter(color: boolean): (code: string, text: string) => string {
  return (code, text) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
}

export function writeLine(stream: OutputStream, text = ''): void {
  stream.write(`${text}\n`);
}
