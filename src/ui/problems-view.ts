import { sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { formatDiagnostic } from '../diagnostics/format.js';
import { line, type Line } from './lines.js';
import type { ReloadOutcome } from './status-store.js';
import { runtimeProblems, type WorkloadSnapshot } from './workload-store.js';

const severityColor = { error: 'red', warning: 'yellow', info: 'cyan' } as const;

/**
 * Every diagnostic, in the one format (`file:line:col: severity CODE: message`, then the hint),
 * then what goes wrong with the workloads `up --run` runs.
 */
export function problemLines(diagnostics: readonly Diagnostic[], lastReload: ReloadOutcome | null, workloads: WorkloadSnapshot | null = null): Line[] {
  const out: Line[] = [];
  if (lastReload !== null && !lastReload.ok) {
    out.push(line('The last reload failed; the previous routes keep serving until this is fixed:', { bold: true, color: 'red' }, true));
    out.push(...diagnosticLines(lastReload.rejection), line(''));
  }
  const runtime = workloads === null ? [] : runtimeProblems(workloads);
  const workloadDiagnostics = workloads?.diagnostics ?? [];
  if (diagnostics.length === 0 && workloadDiagnostics.length === 0 && runtime.length === 0) {
    if (out.length === 0) out.push(line('No problems in the manifests.', { dim: true }));
    return out;
  }
  if (diagnostics.length > 0) {
    if (out.length > 0) out.push(line('In the routes serving now:', { bold: true }));
    out.push(...diagnosticLines(diagnostics));
  }
  if (workloadDiagnostics.length + runtime.length > 0) {
    if (out.length > 0) out.push(line(''));
    out.push(line('Workloads (up --run):', { bold: true }));
    out.push(...diagnosticLines(workloadDiagnostics));
    for (const p of runtime) out.push(line(p.text, { color: severityColor[p.severity] }, true, 4));
  }
  return out;
}

function diagnosticLines(diagnostics: readonly Diagnostic[]): Line[] {
  const out: Line[] = [];
  for (const d of sortDiagnostics(diagnostics)) {
    const [head = '', ...rest] = formatDiagnostic(d).split('\n');
    out.push(line(head, { color: severityColor[d.severity] }, true, 4));
    for (const more of rest) out.push(line(more, { dim: true }, true, 8));
  }
  return out;
}
