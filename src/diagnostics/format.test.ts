import { describe, expect, it } from 'vitest';
import { createDiagnostic, sortDiagnostics, wholeOf } from './diagnostic.js';
import { diagnosticJson, formatCodeFrame, formatDiagnostic, formatSummary } from './format.js';

const source = ['apiVersion: v1', 'kind: Service', 'metadata: {name: web}', 'spec:', '\tports: []'].join('\n');

describe('formatDiagnostic', () => {
  const d = createDiagnostic('E_SERVICE_NOT_FOUND', 'error', 'Service "web" not found', { file: 'a.yaml', line: 3, col: 18, endLine: 3, endCol: 21 }, 'Create it.');

  it('prints file:line:col, severity, code, a code frame with the span underlined, and the hint', () => {
    expect(formatDiagnostic(d, { source })).toBe([
      'a.yaml:3:18: error E_SERVICE_NOT_FOUND: Service "web" not found',
      '  2 | kind: Service',
      '> 3 | metadata: {name: web}',
      '    |                  ^^^',
      '  hint: Create it.',
    ].join('\n'));
  });

  it('works without the source and with colour', () => {
    const text = formatDiagnostic(d, { color: true });
    expect(text).toContain('\u001b[31merror E_SERVICE_NOT_FOUND\u001b[0m');
    expect(text).not.toContain('|');
  });

  it('never lets control characters from a manifest reach the terminal', () => {
    const evil = createDiagnostic('E_HOST_INVALID', 'error', 'host "\u001b[2Jx" is bad', { file: 'a.yaml', line: 1, col: 1 }, 'h');
    expect(formatDiagnostic(evil, { source: 'host: \u001b[2J' })).not.toContain('\u001b');
  });

  it('shows tabs as spaces so the caret stays under the column', () => {
    expect(formatCodeFrame(source, { line: 5, col: 2 }, 0)).toBe('> 5 |  ports: []\n    |  ^');
  });

  // issue 10, item 11: `check` on an empty folder printed `empty:1:1: info I_NO_INGRESS`.
  it('shows no position, and no code frame, for a diagnostic about a whole folder', () => {
    const folder = createDiagnostic('I_NO_INGRESS', 'info', 'No Ingress found in this folder', wholeOf('empty'), 'Add one.');
    expect(formatDiagnostic(folder, { source: 'kind: Service' })).toBe('empty: info I_NO_INGRESS: No Ingress found in this folder\n  hint: Add one.');
    expect(diagnosticJson(folder)).toEqual({ code: 'I_NO_INGRESS', severity: 'info', message: 'No Ingress found in this folder', file: 'empty', line: null, col: null, hint: 'Add one.' });
    expect(diagnosticJson(d)).toMatchObject({ line: 3, col: 18 });
  });

  it('returns no frame for a position outside the file', () => {
    expect(formatCodeFrame(source, { line: 99, col: 1 })).toBe('');
  });
});

describe('summaries and order', () => {
  it('counts errors and warnings', () => {
    const w = createDiagnostic('W_PORT_SHORTHAND', 'warning', 'm', { file: 'a', line: 1, col: 1 }, 'h');
    expect(formatSummary([w, w])).toBe('0 errors, 2 warnings');
  });

  it('sorts by file, line, column, severity', () => {
    const at = (file: string, line: number) => createDiagnostic('E_MISSING_FIELD', 'error', 'm', { file, line, col: 1 }, 'h');
    expect(sortDiagnostics([at('b', 1), at('a', 9), at('a', 2), at('a', 0)]).map((x) => `${x.file}${x.line}`)).toEqual(['a0', 'a2', 'a9', 'b1']);
  });
});
