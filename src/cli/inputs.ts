import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProjectConfig } from '../manifest/config.js';
import { createInputLoader, type ManifestInput, type ProjectLoader } from '../manifest/load.js';
import { UsageError, type OptionSpec, type ParsedArgs } from './args.js';
import type { CliIO } from './io.js';

/**
 * Where a command reads its manifests: the folder (the default), or the files, stdin, a
 * kustomization or a Helm chart named by flags or by `manifests:` in ingress-dev.yaml. Flags win
 * over the file; either replaces the folder's YAML (the folder still holds ingress-dev.yaml and
 * the route tests).
 */
export const inputOptions: readonly OptionSpec[] = [
  { name: 'file', short: 'f', type: 'list', value: 'FILE', description: 'read manifests from FILE (or a folder) instead of the folder\'s YAML; repeatable; - reads stdin (helm template . | ingress-dev up -f -)' },
  { name: 'kustomize', short: 'k', type: 'string', value: 'DIR', description: 'read the render of the kustomization in DIR (kustomize build, else kubectl kustomize)' },
  { name: 'helm', type: 'string', value: 'CHART', description: 'read the render of a Helm chart (helm template CHART)' },
  { name: 'values', type: 'list', value: 'F', description: 'with --helm: a values file (repeatable; later files win)' },
  { name: 'set', type: 'list', value: 'K=V', description: 'with --helm: set a value (repeatable)' },
];

export interface ResolvedInputs {
  readonly inputs: readonly ManifestInput[];
  /** Files and folders whose changes mean a reload (besides the project folder's own manifests). */
  readonly watchFiles: readonly string[];
  /** Folders every file of which counts (a chart, a kustomization: templates, values, generators). */
  readonly watchTrees: readonly string[];
  /** `helm template ./chart`, for the start-up text; null for the folder. */
  readonly described: string | null;
}

/** Did the flags name the inputs (then ingress-dev.yaml's `manifests:` is not read)? */
export function inputOptionsNamed(args: ParsedArgs): boolean {
  return ((args.flags.file as string[] | undefined) ?? []).length > 0 || args.flags.kustomize !== undefined || args.flags.helm !== undefined;
}

export async function resolveInputs(args: ParsedArgs, io: CliIO, dir: string, config: ProjectConfig | null): Promise<ResolvedInputs> {
  const files = (args.flags.file as string[] | undefined) ?? [];
  const kustomize = args.flags.kustomize as string | undefined;
  const helm = args.flags.helm as string | undefined;
  const values = (args.flags.values as string[] | undefined) ?? [];
  const set = (args.flags.set as string[] | undefined) ?? [];
  if (helm === undefined && (values.length > 0 || set.length > 0)) throw new UsageError(`--${values.length > 0 ? 'values' : 'set'} goes with --helm CHART`);
  if (inputOptionsNamed(args)) {
    return build(io, io.cwd, dir, {
      files: files.map((f) => ({ path: f, where: `-f ${f}` })),
      kustomize: kustomize === undefined ? null : { dir: kustomize, where: `--kustomize ${kustomize}` },
      helm: helm === undefined ? null : { chart: helm, values, set, release: null, namespace: null, where: `--helm ${helm}` },
    });
  }
  const m = config?.manifests;
  if (m !== undefined && (m.files.length > 0 || m.kustomize !== null || m.helm !== null)) {
    // Paths in the config file are relative to the file's folder.
    const base = path.dirname(path.resolve(dir, config?.file ?? 'ingress-dev.yaml'));
    const where = (at: { line: number }) => `manifests: in ${config?.file ?? 'ingress-dev.yaml'}:${at.line}`;
    return build(io, base, dir, {
      files: m.files.map((f) => ({ path: f.path, where: where(f.at) })),
      kustomize: m.kustomize === null ? null : { dir: m.kustomize.dir, where: where(m.kustomize.at) },
      helm: m.helm === null ? null : { ...m.helm, where: where(m.helm.at) },
    });
  }
  return { inputs: [{ kind: 'folder', dir }], watchFiles: [], watchTrees: [], described: null };
}

interface Named {
  readonly files: readonly { readonly path: string; readonly where: string }[];
  readonly kustomize: { readonly dir: string; readonly where: string } | null;
  readonly helm: { readonly chart: string; readonly values: readonly string[]; readonly set: readonly string[]; readonly release: string | null; readonly namespace: string | null; readonly where: string } | null;
}

async function build(io: CliIO, base: string, projectDir: string, named: Named): Promise<ResolvedInputs> {
  const inputs: ManifestInput[] = [];
  const watchFiles: string[] = [];
  const watchTrees: string[] = [];
  const described: string[] = [];
  if (named.files.filter((f) => f.path === '-').length > 1) throw new UsageError('-f - reads stdin once: give it one time');
  for (const f of named.files) {
    if (f.path === '-') {
      inputs.push({ kind: 'stdin', text: await readStdin(io) });
      described.push('stdin');
      continue;
    }
    const abs = path.resolve(base, f.path);
    const info = await stat(abs).catch(() => null);
    if (info === null) throw new UsageError(`${f.where}: no such file or folder`);
    if (info.isDirectory()) {
      inputs.push({ kind: 'folder', dir: abs });
      watchTrees.push(abs);
    } else {
      inputs.push({ kind: 'file', path: abs });
      watchFiles.push(abs);
    }
    described.push(f.path);
  }
  if (named.kustomize !== null) {
    const abs = path.resolve(base, named.kustomize.dir);
    if ((await stat(abs).catch(() => null))?.isDirectory() !== true) throw new UsageError(`${named.kustomize.where}: not a folder (give the folder that holds kustomization.yaml)`);
    inputs.push({ kind: 'kustomize', dir: abs });
    // A kustomization names bases, components and generator files beside it (../../base): every
    // file of the project folder counts, and of the kustomization's folder when it is elsewhere.
    watchTrees.push(abs, projectDir);
    described.push(`kustomize ${named.kustomize.dir}`);
  }
  if (named.helm !== null) {
    const chart = path.resolve(base, named.helm.chart);
    if ((await stat(chart).catch(() => null)) === null) throw new UsageError(`${named.helm.where}: no such chart (give the chart's folder or .tgz)`);
    const values = named.helm.values.map((v) => path.resolve(base, v));
    for (const [i, v] of values.entries()) {
      if ((await stat(v).catch(() => null))?.isFile() !== true) throw new UsageError(`--values ${named.helm.values[i] ?? v}: no such file`);
    }
    inputs.push({ kind: 'helm', chart, values, set: named.helm.set, release: named.helm.release, namespace: named.helm.namespace });
    watchTrees.push(chart);
    watchFiles.push(...values);
    described.push(`helm template ${named.helm.chart}${named.helm.values.map((v) => ` --values ${v}`).join('')}${named.helm.set.map((s) => ` --set ${s}`).join('')}`);
  }
  return { inputs, watchFiles, watchTrees, described: described.join(', ') };
}

async function readStdin(io: CliIO): Promise<string> {
  if (io.readStdin !== undefined) return io.readStdin();
  if (process.stdin.isTTY === true) {
    throw new UsageError('-f - reads manifests from stdin, but stdin is a terminal: pipe them in (helm template . | ingress-dev up -f -)');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A loader of the inputs, file names relative to the project folder. */
export function loaderOf(dir: string, resolved: ResolvedInputs): ProjectLoader {
  return createInputLoader(dir, resolved.inputs, {}, resolved.described ?? undefined);
}
