import { hasPosition, type Diagnostic, type SourcePosition } from './diagnostic.js';

export interface FormatOptions {
  /** The text of the file the diagnostic points into, for a code frame. */
  readonly source?: string | undefined;
  readonly color?: boolean;
  /** Lines of context above the offending line in the code frame. */
  readonly contextLines?: number;
}

const ansi = {
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
  reset: '\u001b[0m',
} as const;

function paint(color: boolean, code: string, text: string): string {
  return color ? `${code}${text}${ansi.reset}` : text;
}

/**
 * The one formatter for diagnostics, used by every command, the headless log and the UI:
 *
 *     web.yaml:12:15: error E_SERVICE_NOT_FOUND: Service "api" not found in namespace "default"
 *       11 |       backend:
 *     > 12 |         service: {name: api, port: {number: 80}}
 *          |                         ^^^
 *       hint: Services in namespace "default": web, db.
 *
 * A diagnostic about a whole folder has no position to show: `shop: info I_NO_INGRESS: ...`.
 */
export function formatDiagnostic(d: Diagnostic, options: FormatOptions = {}): string {
  const color = options.color ?? false;
  const severityColor = d.severity === 'error' ? ansi.red : d.severity === 'warning' ? ansi.yellow : ansi.cyan;
  const head =
    `${paint(color, ansi.bold, formatLocation(d))}${d.origin === undefined ? '' : ` (${visible(d.origin)})`}: ` +
    `${paint(color, severityColor, `${d.severity} ${d.code}`)}: ${visible(d.message)}`;
  const lines = [head];
  if (options.source !== undefined) {
    const frame = formatCodeFrame(options.source, d, options.contextLines ?? 1);
    if (frame !== '') lines.push(color ? frame.replace(/^(.*)$/gm, (l) => (l.startsWith('>') ? l : paint(true, ansi.dim, l))) : frame);
  }
  // Messages quote what the user wrote; control characters in it must not reach a terminal.
  if (d.hint !== '') lines.push(`  ${paint(color, ansi.cyan, 'hint:')} ${d.hint.split('\n').map(visible).join('\n        ')}`);
  return lines.join('\n');
}

/** `file:line:col`, or the bare path for a diagnostic about a whole folder or file. */
export function formatLocation(at: SourcePosition): string {
  return hasPosition(at) ? `${at.file}:${at.line}:${at.col}` : at.file;
}

/** A diagnostic as JSON output prints it: `line` and `col` are null when it has no position. */
export function diagnosticJson(d: Diagnostic): Omit<Diagnostic, 'line' | 'col' | 'endLine' | 'endCol'> & { readonly line: number | null; readonly col: number | null } {
  const at = hasPosition(d);
  return { code: d.code, severity: d.severity, message: d.message, file: d.file, line: at ? d.line : null, col: at ? d.col : null, hint: d.hint, ...(d.origin === undefined ? {} : { origin: d.origin }) };
}

/** A few lines of source with a caret under the column (and underline to the end when known). */
export function formatCodeFrame(
  source: string,
  at: { readonly line: number; readonly col: number; readonly endLine?: number; readonly endCol?: number },
  contextLines = 1,
): string {
  const all = source.split(/\r?\n/);
  const index = at.line - 1;
  if (index < 0 || index >= all.length) return '';
  const first = Math.max(0, index - contextLines);
  const width = String(index + 1).length;
  const out: string[] = [];
  for (let i = first; i <= index; i++) {
    const marker = i === index ? '>' : ' ';
    out.push(`${marker} ${String(i + 1).padStart(width)} | ${visible(all[i] ?? '')}`);
  }
  const lineText = all[index] ?? '';
  const start = Math.max(1, Math.min(at.col, lineText.length + 1));
  let length = 1;
  if (at.endLine === at.line && at.endCol !== undefined && at.endCol > start) {
    length = Math.min(at.endCol, lineText.length + 1) - start;
  }
  out.push(`  ${' '.repeat(width)} | ${' '.repeat(start - 1)}${'^'.repeat(Math.max(1, length))}`);
  return out.join('\n');
}

// Tabs would misalign the caret; control characters would corrupt a terminal.
function visible(line: string): string {
  let out = '';
  for (const ch of line) {
    const code = ch.charCodeAt(0);
    out += ch === '\t' ? ' ' : code < 0x20 || code === 0x7f ? '\uFFFD' : ch;
  }
  return out;
}

export function formatSummary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}
