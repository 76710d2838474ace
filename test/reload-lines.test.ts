import { describe, expect, it } from 'vitest';
import { formatRejectedLine } from '../src/cli/commands/up.js';
import type { ConfigRejected } from '../src/events/types.js';

// Issue 10 item 11: a diagnostic about a folder has no line:col, in the reload log line too.
describe('the reload-rejected line', () => {
  const rejected = (line: number, col: number): ConfigRejected => ({
    type: 'config-rejected' as const,
    at: 0,
    trigger: 'k8s',
    durationMs: 1,
    diagnostics: [{ code: 'E_FILE_READ' as const, severity: 'error' as const, message: 'cannot read the folder', file: 'k8s', line, col, hint: 'check the permissions' }],
  });

  it('prints a folder without a position', () => {
    expect(formatRejectedLine(rejected(0, 0))).toBe('reload rejected: k8s E_FILE_READ cannot read the folder; still serving the last good routes');
  });

  it('prints file:line:col for a diagnostic with a position', () => {
    expect(formatRejectedLine(rejected(3, 7), (file) => `proj/${file}`)).toBe('reload rejected: proj/k8s:3:7 E_FILE_READ cannot read the folder; still serving the last good routes');
  });
});
