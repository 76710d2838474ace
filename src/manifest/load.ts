import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createDiagnostic, sortDiagnostics, wholeOf, type Diagnostic } from '../diagnostics/diagnostic.js';
import { mergeParsedFiles, parseSourceFile, parseSourceFileReusing, type ParsedFile, type PartCache } from './parse.js';
import type { LoadResult, SourceFile } from './types.js';
import { helmSourceName, helmSourcesByLine, kustomizeSourceName, renderHelm, renderKustomize, type HelmInput } from './render.js';

/** The tool's own files: its config and route tests are not manifests. */
const ownFiles = new Set(['ingress-dev.yaml', 'ingress-dev.yml', 'ingress-dev.test.yaml', 'ingress-dev.test.yml']);

export interface LoadOptions {
  /** Return true to skip a file or a whole folder; gets the path relative to the project folder, with "/". */
  readonly ignore?: (relPath: string) => boolean;
}

/** Emacs keeps `.#NAME` lock links (to nothing) beside a file while it is being edited. */
export function isManifestName(name: string): boolean {
  return (name.endsWith('.yaml') || name.endsWith('.yml')) && !ownFiles.has(name) && !name.startsWith('.#');
}

/** node_modules, .git and every other dot-folder hold other tools' YAML, never the project's manifests. */
export function isSkippedFolder(name: string): boolean {
  return name === 'node_modules' || name.startsWith('.');
}

function readError(file: string, error: unknown, folder = false): Diagnostic {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const reason = error instanceof Error ? error.message : String(error);
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'Make it readable (chmod a+r), or move it out of the project folder'
      : code === 'ENOENT'
        ? 'It disappeared while being read, or is a link to nothing: remove the link or restore its target'
        : 'Check that it is a readable file, or move it out of the project folder';
  // A folder has no line to point at.
  return createDiagnostic('E_FILE_READ', 'error', `${file} could not be read: ${reason}`, folder ? wholeOf(file) : { file, line: 1, col: 1 }, hint);
}

function toRelative(rel: string): string {
  return rel.split(path.sep).join('/');
}

/**
 * Every `*.yaml`/`*.yml` below `dir`, relative with forward slashes, sorted. Links to files are
 * followed; links to folders are not (they could loop).
 */
export async function findManifestFiles(dir: string, options: LoadOptions = {}): Promise<{ files: string[]; diagnostics: Diagnostic[] }> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    } catch (error) {
      diagnostics.push(readError(rel === '' ? '.' : toRelative(rel), error, true));
      return;
    }
    for (const entry of entries) {
      const childRel = rel === '' ? entry.name : path.join(rel, entry.name);
      const relPath = toRelative(childRel);
      if (options.ignore?.(relPath) === true) continue;
      if (entry.isDirectory()) {
        if (!isSkippedFolder(entry.name)) await walk(childRel);
      } else if (isManifestName(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && (await isLinkToFile(dir, childRel, relPath, diagnostics))))) {
        files.push(relPath);
      }
    }
  };
  await walk('');
  return { files: files.toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0)), diagnostics };
}

async function isLinkToFile(dir: string, rel: string, relPath: string, diagnostics: Diagnostic[]): Promise<boolean> {
  try {
    return (await stat(path.join(dir, rel))).isFile();
  } catch (error) {
    diagnostics.push(readError(relPath, error));
    return false;
  }
}

async function readSources(dir: string, relPaths: readonly string[]): Promise<{ sources: SourceFile[]; errors: Diagnostic[] }> {
  const reads = await Promise.all(
    relPaths.map(async (file): Promise<SourceFile | Diagnostic> => {
      try {
        return { file, text: await readFile(path.join(dir, file), 'utf8') };
      } catch (error) {
        return readError(file, error);
      }
    }),
  );
  return { sources: reads.filter((r): r is SourceFile => 'text' in r), errors: reads.filter((r): r is Diagnostic => 'code' in r) };
}

function loadResult(sources: readonly SourceFile[], parsed: readonly ParsedFile[], problems: readonly Diagnostic[]): LoadResult {
  const merged = mergeParsedFiles(parsed);
  return {
    resources: merged.resources,
    diagnostics: problems.length === 0 ? merged.diagnostics : sortDiagnostics([...problems, ...merged.diagnostics]),
    sources: new Map(sources.map((s) => [s.file, s.text])),
    files: sources.map((s) => s.file),
  };
}

/** Reads the given files (relative to `dir`) and parses them; a file that cannot be read is a diagnostic. */
export async function loadFiles(dir: string, relPaths: readonly string[]): Promise<LoadResult> {
  const { sources, errors } = await readSources(dir, relPaths);
  return loadResult(sources, sources.map(parseSourceFile), errors);
}

/** Reads every manifest below `dir`. Never throws for what is in the folder: problems are diagnostics. */
export async function loadProject(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  return createProjectLoader(dir, options).load();
}

export interface ProjectLoader {
  /**
   * Reads the inputs again, as at the first load, with the same result; a file whose text is
   * the same as at the previous load is not parsed again.
   */
  load(): Promise<LoadResult>;
  /** What is read when it is not the folder: `helm template ./chart`, `stdin`; undefined for the folder. */
  readonly described?: string;
}

/**
 * Where manifests come from: a folder (every `*.yaml` below it), one file, what was piped to
 * stdin (read once, by the CLI), or a render of a kustomization or a Helm chart. Paths absolute.
 */
export type ManifestInput =
  | { readonly kind: 'folder'; readonly dir: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stdin'; readonly text: string }
  | { readonly kind: 'kustomize'; readonly dir: string }
  | ({ readonly kind: 'helm' } & HelmInput);

/** The source file name of what was piped to stdin. */
export const stdinSourceName = '<stdin>';

/** A folder's manifests: what `up`, `check` and the others read when no other input is named. */
export function createProjectLoader(dir: string, options: LoadOptions = {}): ProjectLoader {
  return createInputLoader(dir, [{ kind: 'folder', dir }], options);
}

/**
 * A loader for repeated loads of the inputs (hot reload). YAML parsing is most of the cost of a
 * load, and an edit touches one file, so each file's parse is kept with its text. Every file is
 * still listed and read (and every render run again) on each load: comparing texts is cheap and,
 * unlike modification times, exact on every file system. File names in the result are relative
 * to `base` (the project folder), as every diagnostic's; renders and stdin have names in `<>`.
 */
export function createInputLoader(base: string, inputs: readonly ManifestInput[], options: LoadOptions = {}, described?: string): ProjectLoader {
  type Entry = { readonly text: string; readonly parsed: ParsedFile; readonly parts: PartCache };
  let cache = new Map<string, Entry>();
  return {
    ...(described === undefined ? {} : { described }),
    async load() {
      const read = await Promise.all(inputs.map((input) => readInput(base, input, options)));
      const sources = read.flatMap((r) => r.sources);
      const errors = read.flatMap((r) => r.errors);
      const next = new Map<string, Entry>();
      const parsed = sources.map((source) => {
        const hit = cache.get(source.file);
        let entry = hit;
        if (entry === undefined || entry.text !== source.text) {
          // A changed file of many documents re-reads only the documents that changed.
          const { parsed: fresh, cache: parts } = parseSourceFileReusing(source, hit?.parts);
          entry = { text: source.text, parsed: fresh, parts };
        }
        next.set(source.file, entry);
        return entry.parsed;
      });
      // Only the files of this load stay: a removed file's parse is not kept.
      cache = next;
      const result = loadResult(sources, parsed, errors);
      // A helm render (by --helm, or piped in, or saved to a file) names each document's template.
      const rendered = new Set(sources.filter((f) => /^# Source: /m.test(f.text)).map((f) => f.file));
      return rendered.size === 0 ? result : { ...result, diagnostics: withTemplateOrigins(result.diagnostics, rendered, result.sources) };
    },
  };
}

async function readInput(base: string, input: ManifestInput, options: LoadOptions): Promise<{ sources: SourceFile[]; errors: Diagnostic[] }> {
  const rel = (abs: string): string => toRelative(path.relative(base, abs)) || '.';
  switch (input.kind) {
    case 'folder': {
      const found = await findManifestFiles(input.dir, options);
      // Files and folder errors relative to the project folder (the same when the folder is it).
      const files = found.files.map((f) => rel(path.join(input.dir, f)));
      const read = await readSources(base, files);
      const moved = input.dir === base ? found.diagnostics : found.diagnostics.map((d) => ({ ...d, file: rel(path.join(input.dir, d.file)) }));
      return { sources: read.sources, errors: [...moved, ...read.errors] };
    }
    case 'file':
      return readSources(base, [rel(input.path)]);
    case 'stdin':
      return { sources: [{ file: stdinSourceName, text: input.text }], errors: [] };
    case 'kustomize':
    case 'helm': {
      const rendered = input.kind === 'kustomize' ? await renderKustomize(input.dir, base) : await renderHelm(input, base);
      const file = input.kind === 'kustomize' ? kustomizeSourceName(base, input.dir) : helmSourceName(base, input.chart);
      return rendered.text === null ? { sources: [], errors: [...rendered.diagnostics] } : { sources: [{ file, text: rendered.text }], errors: [] };
    }
  }
}

/** Diagnostics on a helm render name the template of their line (helm's `# Source:` comments). */
function withTemplateOrigins(diagnostics: readonly Diagnostic[], helmFiles: ReadonlySet<string>, sources: ReadonlyMap<string, string>): Diagnostic[] {
  const byFile = new Map<string, (string | null)[]>();
  return diagnostics.map((d) => {
    if (!helmFiles.has(d.file)) return d;
    let lines = byFile.get(d.file);
    if (lines === undefined) {
      lines = helmSourcesByLine(sources.get(d.file) ?? '');
      byFile.set(d.file, lines);
    }
    const origin = lines[d.line] ?? null;
    return origin === null ? d : { ...d, origin };
  });
}
