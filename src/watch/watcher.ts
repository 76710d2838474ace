import type { Stats } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { configFileNames } from '../manifest/config.js';
import { isManifestName, isSkippedFolder } from '../manifest/load.js';

/**
 * Watches a project folder for what a reload reads: manifest files (`*.yaml`, `*.yml`) and
 * folders added, changed, removed or renamed, and the config file. Events come in bursts (an
 * editor's save is several writes and renames), so they are delivered in batches, after a short
 * quiet period.
 */
export interface WatchOptions {
  /** The project folder, absolute. */
  readonly dir: string;
  /**
   * More files to watch, absolute: the `--config` file when it lives outside the folder (or in
   * a folder the rules skip). Their folders are watched for them alone, so that a file replaced
   * by a rename or deleted and recreated is still seen.
   */
  readonly files?: readonly string[];
  /**
   * Folders, absolute, every file of which counts, whatever its name (a Helm chart's templates
   * and values, a kustomization's bases and generator inputs); dot-folders and node_modules in
   * them are skipped.
   */
  readonly trees?: readonly string[];
  /** Quiet period that ends a batch (default 30 ms). */
  readonly debounceMs?: number;
  /** A batch is delivered at most this long after its first event, even if events keep coming (default 300 ms). */
  readonly maxWaitMs?: number;
  /** The paths that changed, relative to `dir` with `/`, sorted; never empty. */
  onChange(paths: readonly string[]): void;
  onError?(error: Error): void;
}

export interface ProjectWatcher {
  close(): Promise<void>;
}

/**
 * 30 ms: the events of one save arrive within a few milliseconds of each other (measured on
 * Linux: an atomic save spans ~3 ms, a folder rename ~8 ms), so the quiet period ends a batch
 * soon after the save while merging its events into one reload.
 */
export const defaultDebounceMs = 30;
const defaultMaxWaitMs = 300;

/** Resolves once the initial scan is done: from then on, every change is reported. */
export async function startWatcher(options: WatchOptions): Promise<ProjectWatcher> {
  const dir = path.resolve(options.dir);
  const extraFiles = new Set((options.files ?? []).map((f) => path.resolve(f)));
  const rules = projectRules(dir);
  // Folders watched only for the extra files in them (outside the project, or in a dot-folder).
  const extraRoots = new Set([...extraFiles].filter((f) => !rules.isWatched(f)).map((f) => path.dirname(f)));
  const trees = (options.trees ?? []).map((t) => path.resolve(t));
  const inTree = (abs: string): boolean => trees.some((t) => {
    const rel = relativeInside(t, abs);
    return rel !== null && !rel.split(path.sep).some(isSkippedFolder);
  });
  const isIgnored = (abs: string, stats?: Stats): boolean => {
    if (extraFiles.has(abs) || extraRoots.has(abs) || inTree(abs)) return false;
    return !rules.isWatched(abs, stats);
  };
  const isRelevant = (abs: string): boolean => extraFiles.has(abs) || rules.isRelevantFile(abs) || (inTree(abs) && !trees.includes(abs));

  const batch = createBatcher(options.debounceMs ?? defaultDebounceMs, options.maxWaitMs ?? defaultMaxWaitMs, (paths) => {
    options.onChange(withoutImpliedFolders([...paths].map((p) => toRelative(dir, p))));
  });

  // No awaitWriteFinish (it polls and adds latency): the debounce merges a save's events, and a
  // half-written file that fails to parse is fixed by the event of the write that completes it.
  // atomic: false, because chokidar's atomic mode holds every removal back for 100 ms.
  const watcher: FSWatcher = watch([dir, ...extraRoots, ...trees.filter((t) => !rules.isWatched(t))], {
    ignoreInitial: true,
    atomic: false,
    awaitWriteFinish: false,
    followSymlinks: true,
    ignored: isIgnored,
  });
  watcher.on('all', (event, p) => {
    const abs = path.resolve(p);
    // A folder added, removed or renamed changes which manifests exist (its files' own events
    // follow, but an emptied folder has none).
    if (event === 'addDir' || event === 'unlinkDir' ? !isIgnored(abs) && abs !== dir : isRelevant(abs)) batch.add(abs);
  });
  // chokidar reports one 'change' per file per 50 ms and drops the rest, so the second write of
  // a truncate-then-write save can go unreported after the reload read the empty file. The raw
  // events of fs.watch are not throttled: they keep the batch open and bring the file back in.
  watcher.on('raw', (_event, name, details) => {
    const watchedPath = typeof details === 'object' && details !== null && 'watchedPath' in details ? details.watchedPath : null;
    if (typeof watchedPath !== 'string') return;
    const watched = path.resolve(watchedPath);
    const abs = typeof name === 'string' && name !== '' && path.basename(watched) !== name ? path.join(watched, name) : watched;
    if (isRelevant(abs)) batch.add(abs);
  });
  watcher.on('error', (error) => options.onError?.(error instanceof Error ? error : new Error(String(error))));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    async close() {
      batch.cancel();
      await watcher.close();
    },
  };
}

/** `abs` relative to `folder` (`''` for the folder itself), or null when it is not inside it. */
export function relativeInside(folder: string, abs: string): string | null {
  const rel = path.relative(folder, abs);
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel) ? null : rel;
}

/** What the loader reads, as path rules: the same folders skipped, the same file names. */
function projectRules(dir: string) {
  const inside = (abs: string): string | null => relativeInside(dir, abs);
  return {
    /** A path that may hold or be a manifest or the config file; with stats, files are judged by name. */
    isWatched(abs: string, stats?: Stats): boolean {
      const rel = inside(abs);
      if (rel === null) return false;
      if (rel === '') return true;
      const parts = rel.split(path.sep);
      const name = parts.pop() ?? '';
      if (parts.some(isSkippedFolder)) return false;
      if (stats?.isFile() === true) return isManifestName(name) || isConfigName(name, parts);
      // Without stats it may be a folder: skip it only if a folder by that name would be skipped
      // and a file by that name would not be read.
      return !isSkippedFolder(name) || isManifestName(name);
    },
    isRelevantFile(abs: string): boolean {
      const rel = inside(abs);
      if (rel === null || rel === '') return false;
      const parts = rel.split(path.sep);
      const name = parts.pop() ?? '';
      return !parts.some(isSkippedFolder) && (isManifestName(name) || isConfigName(name, parts));
    },
  };
}

/** `ingress-dev.yaml` at the top of the project folder. */
function isConfigName(name: string, folders: readonly string[]): boolean {
  return folders.length === 0 && (configFileNames as readonly string[]).includes(name);
}

/** `k8s/team-a/api.yaml` says more than `k8s`, `k8s/team-a` and itself: a folder is kept only when nothing in it changed. */
function withoutImpliedFolders(paths: readonly string[]): string[] {
  const ancestors = new Set<string>();
  for (const p of paths) for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) ancestors.add(p.slice(0, i));
  return [...new Set(paths)].filter((p) => !ancestors.has(p)).toSorted();
}

function toRelative(dir: string, abs: string): string {
  return path.relative(dir, abs).split(path.sep).join('/') || '.';
}

/** Collects paths; delivers them once no path was added for `quietMs` (or `maxWaitMs` after the first). */
function createBatcher(quietMs: number, maxWaitMs: number, deliver: (paths: ReadonlySet<string>) => void) {
  let paths = new Set<string>();
  let quiet: NodeJS.Timeout | null = null;
  let deadline: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (quiet !== null) clearTimeout(quiet);
    if (deadline !== null) clearTimeout(deadline);
    quiet = deadline = null;
    const batch = paths;
    paths = new Set();
    if (batch.size > 0) deliver(batch);
  };
  return {
    add(p: string): void {
      paths.add(p);
      if (quiet !== null) clearTimeout(quiet);
      quiet = setTimeout(flush, quietMs);
      deadline ??= setTimeout(flush, maxWaitMs);
    },
    cancel(): void {
      if (quiet !== null) clearTimeout(quiet);
      if (deadline !== null) clearTimeout(deadline);
      quiet = deadline = null;
      paths = new Set();
    },
  };
}
