import { spawn } from 'node:child_process';
import path from 'node:path';
import { createDiagnostic, wholeOf, type Diagnostic, type SourcePosition } from '../diagnostics/diagnostic.js';

/**
 * Manifests made by a tool instead of written in files: `kubectl kustomize` (or `kustomize
 * build`) of a kustomization, `helm template` of a chart. The render is one YAML stream, read as
 * one source file named `<kustomize DIR>` or `<helm CHART>`; a render that fails is a diagnostic
 * with the tool's own error lines, never an exception.
 */

export interface HelmInput {
  /** The chart: a folder (or a packaged `.tgz`), absolute. */
  readonly chart: string;
  /** `--values` files, absolute, in order (later ones win, as in helm). */
  readonly values: readonly string[];
  /** `--set key=value`, in order. */
  readonly set: readonly string[];
  /** The release name; helm's own default (`release-name`) when null. */
  readonly release: string | null;
  /** `--namespace` for the render; helm's default (`default`) when null. */
  readonly namespace: string | null;
}

export interface Rendered {
  /** The YAML stream, or null when the render failed. */
  readonly text: string | null;
  readonly diagnostics: readonly Diagnostic[];
  /** What ran: `kubectl kustomize overlays/dev`. */
  readonly command: string;
}

/** How long a render may take before it is stopped: a chart with many dependencies takes seconds, never minutes. */
const renderTimeoutMs = 120_000;
/** A render larger than this is refused (a runaway template), as a file would be. */
const maxRenderBytes = 64 * 1024 * 1024;

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** ENOENT when the program is not installed; another message when it could not run. */
  readonly spawnError: NodeJS.ErrnoException | null;
  readonly timedOut: boolean;
}

/** Runs a program with arguments (no shell), collecting its output. Never throws. */
export function runTool(program: string, args: readonly string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let child;
    try {
      child = spawn(program, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    } catch (e) {
      resolve({ code: null, stdout: '', stderr: '', spawnError: e as NodeJS.ErrnoException, timedOut: false });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, renderTimeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxRenderBytes) child.kill('SIGKILL');
      else out.push(chunk);
    });
    let errSize = 0;
    child.stderr.on('data', (chunk: Buffer) => {
      // Its first MiB: what says why a render failed is at the start.
      errSize += chunk.length;
      if (errSize <= 1024 * 1024) err.push(chunk);
    });
    let spawnError: NodeJS.ErrnoException | null = null;
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), spawnError, timedOut });
    });
  });
}

/** `overlays/dev`: relative to the project folder, as every file a diagnostic names. */
function shown(base: string, abs: string): string {
  return path.relative(base, abs).split(path.sep).join('/') || '.';
}

/** The source file name of a kustomization's render. */
export function kustomizeSourceName(base: string, dir: string): string {
  return `<kustomize ${shown(base, dir)}>`;
}

/** The source file name of a chart's render. */
export function helmSourceName(base: string, chart: string): string {
  return `<helm ${shown(base, chart)}>`;
}

/**
 * `kustomize build DIR` when kustomize is installed, else `kubectl kustomize DIR` (kubectl has
 * kustomize built in since 1.14).
 */
export async function renderKustomize(dir: string, base: string): Promise<Rendered> {
  const file = kustomizeSourceName(base, dir);
  const candidates: [string, string[]][] = [['kustomize', ['build', dir]], ['kubectl', ['kustomize', dir]]];
  for (const [program, args] of candidates) {
    const result = await runTool(program, args, base);
    if (result.spawnError?.code === 'ENOENT') continue;
    const command = `${program} ${args[0]} ${shown(base, dir)}`;
    return finish(result, command, wholeOf(file), 'Fix the kustomization (the lines above are kustomize\'s own); the last good routes keep serving meanwhile');
  }
  return {
    text: null,
    command: 'kustomize build',
    diagnostics: [createDiagnostic('E_RENDER_FAILED', 'error', `cannot render ${shown(base, dir)}: neither kustomize nor kubectl is installed`, wholeOf(file),
      `Install kubectl (it has kustomize built in: apt install kubernetes-client, brew install kubectl) or kustomize, or render elsewhere and pipe it: kustomize build ${shown(base, dir)} | ingress-dev up -f -`)],
  };
}

/** `helm template [RELEASE] CHART --values F… --set K=V…`. */
export async function renderHelm(input: HelmInput, base: string): Promise<Rendered> {
  const file = helmSourceName(base, input.chart);
  const args = ['template', ...(input.release === null ? [] : [input.release]), input.chart];
  for (const v of input.values) args.push('--values', v);
  for (const s of input.set) args.push('--set', s);
  if (input.namespace !== null) args.push('--namespace', input.namespace);
  const command = `helm ${args.map((a) => (path.isAbsolute(a) ? shown(base, a) : a)).join(' ')}`;
  const result = await runTool('helm', args, base);
  if (result.spawnError?.code === 'ENOENT') {
    return {
      text: null,
      command,
      diagnostics: [createDiagnostic('E_RENDER_FAILED', 'error', `cannot render ${shown(base, input.chart)}: helm is not installed`, wholeOf(file),
        `Install helm (https://helm.sh/docs/intro/install/), or render elsewhere and pipe it: helm template ${shown(base, input.chart)} | ingress-dev up -f -`)],
    };
  }
  return finish(result, command, helmErrorPosition(result.stderr, input.chart, base) ?? wholeOf(file), 'Fix the chart or the values (the lines above are helm\'s own); the last good routes keep serving meanwhile');
}

function finish(result: RunResult, command: string, at: SourcePosition, hint: string): Rendered {
  if (result.spawnError !== null) {
    return { text: null, command, diagnostics: [createDiagnostic('E_RENDER_FAILED', 'error', `${command} could not run: ${result.spawnError.message}`, at, 'Check that the program is installed and can be run')] };
  }
  if (result.timedOut) {
    return { text: null, command, diagnostics: [createDiagnostic('E_RENDER_FAILED', 'error', `${command} did not finish within ${renderTimeoutMs / 1000} s and was stopped`, at, hint)] };
  }
  if (result.code !== 0) {
    const lines = result.stderr.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
    const shownLines = lines.slice(0, 12).join('\n') + (lines.length > 12 ? `\n(${lines.length - 12} more lines)` : '');
    const why = result.code === null ? 'was stopped (its output exceeded 64 MiB)' : `failed (exit code ${result.code})`;
    // The tool's own lines go in the hint, which keeps its lines (a message is one line).
    return { text: null, command, diagnostics: [createDiagnostic('E_RENDER_FAILED', 'error', `${command} ${why}`, at, shownLines === '' ? hint : `${shownLines}\n${hint}`)] };
  }
  return { text: result.stdout, command, diagnostics: [] };
}

/**
 * helm's template errors name the template as `CHARTNAME/templates/x.yaml:LINE:COL`; the chart's
 * folder stands for CHARTNAME, so the error points at the file the user edits.
 */
function helmErrorPosition(stderr: string, chart: string, base: string): SourcePosition | null {
  // `template: web/templates/x.yaml:12:20: executing …`, `parse error at (web/templates/x.yaml:5): …`
  const at = /([\w.-]+\/(?:templates|charts)\/[^\s:()]+):(\d+)(?::(\d+))?/.exec(stderr);
  // `YAML parse error on web/templates/x.yaml: …`: the line helm gives is of its output, not the template's.
  const on = at === null ? /YAML parse error on ([\w.-]+\/(?:templates|charts)\/[^\s:()]+)/.exec(stderr) : null;
  const file = at?.[1] ?? on?.[1];
  if (file === undefined) return null;
  const rest = file.slice(file.indexOf('/') + 1);
  return { file: shown(base, path.join(chart, rest)), line: at === null ? 1 : Number(at[2]), col: at?.[3] === undefined ? 1 : Number(at[3]) };
}

/**
 * The template each line of a helm render came from: helm starts every document with
 * `# Source: CHART/templates/x.yaml`. Index 0 is unused (lines are 1-based); null where no
 * comment names one.
 */
export function helmSourcesByLine(text: string): (string | null)[] {
  const out: (string | null)[] = [null];
  let current: string | null = null;
  for (const line of text.split('\n')) {
    if (/^---(\s|$)/.test(line)) current = null;
    const m = /^# Source: (.+?)\s*$/.exec(line);
    if (m !== null) current = m[1] ?? null;
    out.push(current);
  }
  return out;
}
