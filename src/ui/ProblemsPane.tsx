import { useMemo } from 'react';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { ScrollView } from './LineList.js';
import { problemLines } from './problems-view.js';
import type { ReloadOutcome } from './status-store.js';
import type { WorkloadSnapshot } from './workload-store.js';

export interface ProblemsPaneProps {
  readonly diagnostics: readonly Diagnostic[];
  readonly lastReload: ReloadOutcome | null;
  /** The workloads of `up --run`, when it runs them: their problems follow the manifests'. */
  readonly workloads?: WorkloadSnapshot | null;
  readonly width: number;
  readonly height: number;
  readonly scroll: number;
}

/** Every diagnostic with file:line:col and its hint, the failed reload's first, the workloads' last. */
export function ProblemsPane({ diagnostics, lastReload, workloads = null, width, height, scroll }: ProblemsPaneProps) {
  const lines = useMemo(() => problemLines(diagnostics, lastReload, workloads), [diagnostics, lastReload, workloads]);
  return <ScrollView lines={lines} width={width} height={height} scroll={scroll} />;
}
