import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { parseManifests } from './parse.js';
import { emptyResourceSet, type ResourceSet } from './types.js';

/**
 * One fixture per case under test/fixtures/manifest/{valid,invalid}/, named after it. Each states
 * what it expects in comment lines at the top:
 *
 *     # expect: W_PORT_SHORTHAND 14:25       one line per diagnostic: code and line:col
 *     # resources: ingresses=1 services=1    counts of what is kept (kinds not listed: 0)
 *
 * The diagnostics must match the expect lines exactly: none missing, none extra. valid/ fixtures
 * may have warnings but no error; invalid/ fixtures have at least one error.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/manifest');

interface Fixture {
  readonly name: string;
  readonly text: string;
  readonly expected: string[];
  readonly counts: Partial<Record<keyof ResourceSet, number>> | null;
}

function readFixtures(folder: 'valid' | 'invalid'): Fixture[] {
  const dir = path.join(root, folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .toSorted()
    .map((name) => {
      const text = readFileSync(path.join(dir, name), 'utf8');
      const expected = [...text.matchAll(/^# expect: (\S+ \d+:\d+)\s*$/gm)].map((m) => m[1] ?? '');
      const countsLine = /^# resources: (.*)$/m.exec(text)?.[1];
      const counts = countsLine === undefined ? null : Object.fromEntries(countsLine.trim().split(/\s+/).map((pair) => {
        const [kind, n] = pair.split('=');
        return [kind, Number(n)];
      }));
      return { name, text, expected, counts };
    });
}

function check(fixture: Fixture, folder: 'valid' | 'invalid'): void {
  const result = parseManifests([{ file: fixture.name, text: fixture.text }]);
  const actual = result.diagnostics.map((d) => `${d.code} ${d.line}:${d.col}`);
  expect(actual.toSorted(), result.diagnostics.map((d) => `${d.code} ${d.line}:${d.col} ${d.message}`).join('\n')).toEqual(fixture.expected.toSorted());
  for (const d of result.diagnostics) {
    expect(d.file).toBe(fixture.name);
    expect(d.hint.length).toBeGreaterThan(10);
  }
  expect(hasErrors(result.diagnostics)).toBe(folder === 'invalid');
  if (fixture.counts !== null) {
    const count = (resources: ResourceSet) => Object.fromEntries(Object.entries(resources).map(([kind, list]: [string, readonly unknown[]]) => [kind, list.length]));
    expect(count(result.resources)).toEqual({ ...count(emptyResourceSet), ...fixture.counts });
  }
}

describe('valid manifests', () => {
  test.each(readFixtures('valid').map((f) => [f.name, f] as const))('%s', (_name, fixture) => check(fixture, 'valid'));
});

describe('invalid manifests', () => {
  test.each(readFixtures('invalid').map((f) => [f.name, f] as const))('%s', (_name, fixture) => check(fixture, 'invalid'));
});
