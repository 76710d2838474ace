import type { SourcePosition } from '../../diagnostics/diagnostic.js';
import type { WorkloadProblem } from './types.js';

/**
 * Why the workloads `up --run` runs cannot serve their Services: an image that could not be
 * pulled, a container the engine would not start, a container that crashed. The runner records
 * them as they happen; the resolver reads them (through `ReadinessIndex.workloadProblemOf`) so
 * that a 503 names the workload and its reason instead of advising `--map`.
 */
export interface WorkloadProblems {
  /** The Services (`default/web`) that select a workload's pods, and where it is written: kept for its problems. */
  describe(title: string, services: readonly string[], at: SourcePosition): void;
  /** The workload does not run at all (no container): its image, its container could not start. */
  setFailure(title: string, reason: string, hint: string): void;
  clearFailure(title: string): void;
  /** A container of the workload exited; cleared when it runs again. */
  setCrash(title: string, container: string, reason: string): void;
  clearCrash(title: string): void;
  /** Forget workloads no longer in the folder. */
  retain(titles: ReadonlySet<string>): void;
  /** The problem of the workload behind a Service (`default/web`), if any. */
  of(service: string): WorkloadProblem | undefined;
  version(): number;
}

interface Entry {
  services: readonly string[];
  at: SourcePosition | null;
  failure: { readonly reason: string; readonly hint: string } | null;
  crash: { readonly container: string; readonly reason: string } | null;
}

export function createWorkloadProblems(): WorkloadProblems {
  const entries = new Map<string, Entry>();
  let version = 0;
  const entry = (title: string): Entry => {
    let e = entries.get(title);
    if (e === undefined) {
      e = { services: [], at: null, failure: null, crash: null };
      entries.set(title, e);
    }
    return e;
  };
  const where = (e: Entry): string => (e.at === null ? 'its manifest' : `${e.at.file}:${e.at.line}`);
  return {
    describe(title, services, at) {
      const e = entry(title);
      e.services = services;
      e.at = at;
    },
    setFailure(title, reason, hint) {
      entry(title).failure = { reason, hint };
      version++;
    },
    clearFailure(title) {
      const e = entries.get(title);
      if (e === undefined || e.failure === null) return;
      e.failure = null;
      version++;
    },
    setCrash(title, container, reason) {
      entry(title).crash = { container, reason };
      version++;
    },
    clearCrash(title) {
      const e = entries.get(title);
      if (e === undefined || e.crash === null) return;
      e.crash = null;
      version++;
    },
    retain(titles) {
      for (const title of Array.from(entries.keys())) {
        if (titles.has(title)) continue;
        entries.delete(title);
        version++;
      }
    },
    of(service) {
      for (const [workload, e] of entries) {
        if (!e.services.includes(service)) continue;
        if (e.failure !== null) return { workload, reason: `${workload}: ${e.failure.reason}`, hint: `Fix ${workload} in ${where(e)}, or: ${e.failure.hint}` };
        if (e.crash !== null) {
          return {
            workload,
            reason: `${workload} crashed: ${e.crash.reason}`,
            hint: `It is started again by itself (with a growing delay); docker logs ${e.crash.container} shows why it exited; fix ${workload} in ${where(e)} if its command or env is wrong`,
          };
        }
      }
      return undefined;
    },
    version: () => version,
  };
}
