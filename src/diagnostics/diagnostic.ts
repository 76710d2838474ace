import type { DiagnosticCode } from './catalogue.js';

export type Severity = 'error' | 'warning' | 'info';

/**
 * A position in a source file: 1-based line and column. A diagnostic about a whole folder (or
 * file) has no position: line and col are 0 (see `wholeOf`), and no output shows them.
 */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** End of the offending span, when known; the formatter underlines up to it. */
  readonly endLine?: number;
  readonly endCol?: number;
}

/**
 * Every problem the tool reports is one of these values. Nothing a user writes throws:
 * parsers and compilers return what they could build plus a list of diagnostics.
 */
export interface Diagnostic extends SourcePosition {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly hint: string;
  /** For a line of a helm render: the template it came from (`web/templates/ingress.yaml`). */
  readonly origin?: string;
}

/** The position of a diagnostic about `file` as a whole, a folder for instance: none. */
export function wholeOf(file: string): SourcePosition {
  return { file, line: 0, col: 0 };
}

/** False for a diagnostic about a whole folder or file (`wholeOf`). */
export function hasPosition(at: { readonly line: number }): boolean {
  return at.line > 0;
}

export function createDiagnostic(
  code: DiagnosticCode,
  severity: Severity,
  message: string,
  at: SourcePosition,
  hint: string,
): Diagnostic {
  const d: Diagnostic = { code, severity, message, file: at.file, line: at.line, col: at.col, hint };
  if (at.endLine !== undefined && at.endCol !== undefined) {
    return { ...d, endLine: at.endLine, endCol: at.endCol };
  }
  return d;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

const severityRank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Stable order for output: by file, then position (none first), then severity. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.toSorted(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.col - b.col ||
      severityRank[a.severity] - severityRank[b.severity] ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}
