import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectIdOf } from './labels.js';

/** Who runs the workloads of a project folder now (`up --run`). */
export interface RunLockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO time. */
  readonly startedAt: string;
  /** The proxy's URL, once it listens. */
  readonly url: string | null;
}

export interface RunLock {
  /** Where the lock lives: a file in the system's temp folder, named after the project id. */
  readonly file: string;
  /** Record the proxy's URL, so that a second run can say where the first one listens. */
  setUrl(url: string): void;
  /** Idempotent. */
  release(): void;
}

export type RunLockResult = { readonly ok: true; readonly lock: RunLock } | { readonly ok: false; readonly holder: RunLockHolder; readonly file: string };

/**
 * One `up --run` per project folder at a time: two runs of the same folder would each start
 * the workloads, and each route to both sets of containers. The second run is refused (and told
 * which process holds the folder); a run that died leaves a lock whose process is gone, which is
 * taken over. `up` without `--run` takes no lock: it routes to the running one's containers.
 */
export function acquireRunLock(projectDir: string, tmpDir = os.tmpdir()): RunLockResult {
  const file = path.join(tmpDir, `ingress-dev-run-${projectIdOf(projectDir)}.json`);
  let holder: RunLockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), url: null };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeFileSync(fd, JSON.stringify({ ...holder, dir: path.resolve(projectDir) }));
      } finally {
        closeSync(fd);
      }
      let released = false;
      return {
        ok: true,
        lock: {
          file,
          setUrl(url) {
            if (released) return;
            holder = { ...holder, url };
            writeFileSync(file, JSON.stringify({ ...holder, dir: path.resolve(projectDir) }));
          },
          release() {
            if (released) return;
            released = true;
            // Only our own lock: a run that took over a lock we lost must keep it.
            if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
          },
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = readHolder(file);
    if (current !== null && isAlive(current)) return { ok: false, holder: current, file };
    rmSync(file, { force: true }); // left by a run that is gone (or half written): take it over
  }
  throw new Error(`could not take the lock ${file}`);
}

/** `pid 1234, listening on http://127.0.0.1:8080, since 16:20:01` */
export function formatRunLockHolder(holder: RunLockHolder): string {
  const since = holder.startedAt.slice(11, 19);
  return `pid ${holder.pid}${holder.host === os.hostname() ? '' : ` on ${holder.host}`}${holder.url === null ? ', starting' : `, listening on ${holder.url}`}, since ${since} UTC`;
}

function readHolder(file: string): RunLockHolder | null {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunLockHolder>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return null;
    return { pid: value.pid, host: value.host, startedAt: typeof value.startedAt === 'string' ? value.startedAt : '', url: typeof value.url === 'string' ? value.url : null };
  } catch {
    return null;
  }
}

function isAlive(holder: RunLockHolder): boolean {
  // Another machine's process cannot be checked from here: its lock is kept.
  if (holder.host !== os.hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
