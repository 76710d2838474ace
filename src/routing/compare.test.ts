import { describe, expect, it } from 'vitest';
import { buildTable } from './table-builder.test-util.js';
import { probeRequests, sampleOfRegex } from './compare.js';

describe('sampleOfRegex: a path a simple regular expression matches (for diff requests)', () => {
  it.each([
    ['/[A-Z]{3}', '/AAA'],
    ['/api/v[0-9]+', '/api/v0'],
    ['(?i)/api/v[0-9]+.*', '/api/v0'],
    ['^/foo/(bar|baz)/\\d+$', '/foo/bar/1'],
    ['/(?:a|b)c?d*', '/a'],
    ['/files/[^/]+\\.txt', '/files/z.txt'],
  ])('%s → %s', (source, sample) => {
    expect(sampleOfRegex(source)).toBe(sample);
    expect(new RegExp(`^(?:${source.replace('(?i)', '')})`, 'i').test(sample as string)).toBe(true);
  });

  it('gives up on what it cannot sample (lookarounds)', () => {
    expect(sampleOfRegex('/(?=x)y')).toBeNull();
  });
});

describe('probeRequests', () => {
  it('is deterministic, without duplicates, and probes each boundary of a path', () => {
    const table = buildTable([{ id: 'ingress:default/a#r0.p0', host: 'a.example.com', path: '/foo', pathType: 'Prefix', service: 'web', port: 80 }]);
    const first = probeRequests([table]);
    expect(probeRequests([table])).toEqual(first);
    const keys = first.map((p) => `${p.scheme} ${p.host} ${p.path} ${JSON.stringify(p.headers)}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(first.filter((p) => p.host === 'a.example.com' && p.scheme === 'http').map((p) => `${p.kind} ${p.path}`)).toEqual([
      'path /foo', 'trailing-slash /foo/', 'deeper /foo/x', 'sibling /foobar', 'case /FOO', 'slashes //foo', 'dots /x/../foo',
    ]);
  });
});
