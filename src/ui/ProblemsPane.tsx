import { useMemo } from 'react';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { ScrollView } from './LineList.js';
import { problemLines } from './problems-view.js';
import type { ReloadOutcome } from './status-store.js';

export interface ProblemsPaneProps {
  readonly diagnostics: readonly Diagnostic[];
  readonly lastReload: ReloadOutcome | null;
  readonly width: number;
  readonly height: number;
  readonly scroll: number;
}

/** Every diagnostic with file:line:col and its hint, the failed reload's first. */
export function ProblemsPane({ diagnostics, lastReload, width, height, scroll }: ProblemsPaneProps) {
  const lines = useMemo(() => problemLines(diagnostics, lastReload), [diagnostics, lastReload]);
  return <ScrollView lines={lines} width={width} height={height} scroll={scroll} />;
}
