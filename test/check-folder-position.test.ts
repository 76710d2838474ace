import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../src/cli/project.js';
import { problemLines } from '../src/ui/problems-view.js';
import { textOf } from '../src/ui/lines.js';
import { cli } from './cli-harness.js';

/**
 * issue 10, item 11: `check` on an empty folder printed `empty:1:1: info I_NO_INGRESS`, a line
 * and column in a folder. A diagnostic about a folder is shown with the folder alone, in the
 * CLI's text, in its JSON and in the UI's Problems pane.
 */

const parent = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-folder-'));
const empty = path.join(parent, 'empty');
mkdirSync(empty);
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('a diagnostic about a folder has no line:col', () => {
  it('check prints the folder without a position', async () => {
    const r = await cli(['check', 'empty'], { cwd: parent });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('empty: info I_NO_INGRESS: No Ingress found in this folder');
    expect(r.stdout).not.toMatch(/empty:\d/);
  });

  it('check --json gives null line and col', async () => {
    const r = await cli(['check', empty, '--json']);
    const { diagnostics } = JSON.parse(r.stdout) as { diagnostics: Array<Record<string, unknown>> };
    expect(diagnostics).toEqual([expect.objectContaining({ code: 'I_NO_INGRESS', line: null, col: null })]);
  });

  it('the Problems pane shows it without a position', async () => {
    const project = await compileProject(empty);
    const lines = problemLines(project.diagnostics, null).map(textOf);
    expect(lines[0]).toMatch(/^[^:]+: info I_NO_INGRESS: No Ingress found in this folder$/);
  });

  it('a folder that cannot be read is E_FILE_READ on the folder alone', async () => {
    const project = await compileProject(path.join(parent, 'gone'));
    const error = project.diagnostics.filter((d) => d.code === 'E_FILE_READ');
    expect(error).toMatchObject([{ line: 0, col: 0 }]);
    expect(problemLines(error, null).map(textOf)[0]).toMatch(/^[^:]+: error E_FILE_READ: /);
  });
});
