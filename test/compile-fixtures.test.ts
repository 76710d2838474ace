/**
 * Compile fixtures: every `valid/*.yaml` compiles to the table in its `.golden.txt` (regenerate
 * with UPDATE_GOLDEN=1 after reading the diff), and every `invalid/*.yaml` produces the
 * diagnostics its `# expect: CODE LINE:COL` comments name (0:0 = anywhere in the file).
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../src/manifest/parse.js';
import { compileRoutes } from '../src/model/compile.js';
import type { RouteTable } from '../src/model/types.js';
import type { Diagnostic } from '../src/diagnostics/diagnostic.js';

const root = path.join(import.meta.dirname, 'fixtures', 'compile');

function compileFixture(dir: string, name: string) {
  const text = readFileSync(path.join(root, dir, name), 'utf8');
  const parsed = parseManifests([{ file: name, text }]);
  const compiled = compileRoutes(parsed.resources, { profile: 'auto' });
  return { text, table: compiled.value, diagnostics: [...parsed.diagnostics, ...compiled.diagnostics] };
}

function golden(table: RouteTable, diagnostics: readonly Diagnostic[]): string {
  const lines: string[] = [];
  const backend = (b: RouteTable['routes'][number]['backend']) =>
    b.kind === 'service' ? `${b.namespace}/${b.service}:${b.port ?? '?'}${b.portName !== null ? `(${b.portName})` : ''}${b.problem !== null ? ` PROBLEM ${b.problem}` : ''}` : `resource ${b.resourceKind}/${b.name}`;
  const sections: [string, RouteTable['anyHost']][] = [
    ...[...table.exactHosts.entries()].map(([k, v]) => [`exact ${k}`, v] as [string, RouteTable['anyHost']]),
    ...[...table.wildcardHosts.entries()].map(([k, v]) => [`wildcard *.${k}`, v] as [string, RouteTable['anyHost']]),
    ['any host', table.anyHost],
  ];
  for (const [title, host] of sections) {
    if (host === null) continue;
    lines.push(title);
    for (const r of host.routes) {
      lines.push(`  ${r.pathType.padEnd(22)} ${r.path.padEnd(14)} as ${r.matchAs.padEnd(6)} len ${String(r.matchLength).padEnd(3)} → ${backend(r.backend)}  ${r.id} @${r.source.line}:${r.source.col}`);
    }
  }
  const d = table.defaultBackend;
  lines.push(`default ${d === null ? 'none' : `${backend(d.backend)}  ${d.id}`}`);
  for (const x of diagnostics) lines.push(`${x.severity} ${x.code} ${x.line}:${x.col} ${x.message}`);
  return `${lines.join('\n')}\n`;
}

describe('valid compile fixtures match their golden tables', () => {
  const files = readdirSync(path.join(root, 'valid')).filter((f) => f.endsWith('.yaml'));
  it.each(files)('%s', (name) => {
    const { table, diagnostics } = compileFixture('valid', name);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const actual = golden(table, diagnostics);
    const goldenPath = path.join(root, 'valid', name.replace(/\.yaml$/, '.golden.txt'));
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(goldenPath)) writeFileSync(goldenPath, actual);
    expect(actual).toBe(readFileSync(goldenPath, 'utf8'));
  });
});

describe('invalid compile fixtures report each problem at its position', () => {
  const files = readdirSync(path.join(root, 'invalid')).filter((f) => f.endsWith('.yaml'));
  it.each(files)('%s', (name) => {
    const { text, diagnostics } = compileFixture('invalid', name);
    const expected = [...text.matchAll(/^# expect: (\w+) (\d+):(\d+)$/gm)].map((m) => ({ code: m[1], line: Number(m[2]), col: Number(m[3]) }));
    expect(expected.length).toBeGreaterThan(0);
    for (const e of expected) {
      const found = diagnostics.filter((d) => d.code === e.code && (e.line === 0 || (d.line === e.line && d.col === e.col)));
      expect(found, `${e.code} at ${e.line}:${e.col}; got ${diagnostics.map((d) => `${d.code} ${d.line}:${d.col}`).join(', ')}`).not.toEqual([]);
      for (const d of found) {
        expect(d.file).toBe(name);
        expect(d.hint.length).toBeGreaterThan(10);
      }
    }
    // Nothing unexpected at error level: every error in the file is one the fixture names.
    const named = new Set(expected.map((e) => e.code));
    expect(diagnostics.filter((d) => d.severity === 'error' && !named.has(d.code)).map((d) => d.code)).toEqual([]);
  });
});
