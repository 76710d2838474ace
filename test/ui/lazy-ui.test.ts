import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../cli-harness.js';

/**
 * The modules and packages `entry` loads through static imports. `import type` is erased;
 * with verbatimModuleSyntax every other import or re-export stays, so each one is followed.
 * A dynamic `import()` is not: that is how the CLI loads the terminal UI.
 */
function staticImports(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, specifier = ''] of text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
      if (!specifier.startsWith('.')) {
        packages.add(specifier);
        continue;
      }
      const base = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '');
      const source = [`${base}.ts`, `${base}.tsx`].find((candidate) => existsSync(candidate));
      if (source === undefined) throw new Error(`${path.relative(repoRoot, file)}: cannot find ${specifier}`);
      todo.push(source);
    }
  }
  return { files, packages };
}

describe('the terminal UI is loaded lazily', () => {
  it('the CLI, the UI stores it creates before the port opens included, loads no Ink or React until it shows the UI', () => {
    const { files, packages } = staticImports(path.join(repoRoot, 'src', 'cli', 'bin.ts'));
    expect(files).toContain(path.join(repoRoot, 'src', 'ui', 'ui-stores.ts'));
    expect(files).not.toContain(path.join(repoRoot, 'src', 'ui', 'start-ui.tsx'));
    expect([...packages].filter((p) => /^(ink|react)(\/|$)/.test(p))).toEqual([]);
    expect([...files].filter((f) => f.endsWith('.tsx')).map((f) => path.relative(repoRoot, f))).toEqual([]);
  });

  it('the UI itself does load Ink (the walk sees what it must)', () => {
    expect(staticImports(path.join(repoRoot, 'src', 'ui', 'start-ui.tsx')).packages).toContain('ink');
  });
});
