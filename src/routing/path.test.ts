import { describe, expect, it } from 'vitest';
import type { Route } from '../model/types.js';
import {
  compareRoutesForMatch,
  compilePathMatch,
  matchAsFor,
  matchesExact,
  matchesPrefix,
  prefixSegments,
  requestPathEnd,
} from './path.js';
import { buildTable } from './table-builder.test-util.js';

function routesOf(paths: readonly [string, Route['pathType'], number][]): Route[] {
  const specs = paths.map(([path, pathType, age], index) => ({
    id: `ingress:default/web#r0.p${index}`,
    host: 'app.example.com',
    path,
    pathType,
    service: 'web',
    port: 80,
    age,
  }));
  return buildTable(specs).routes.slice();
}

function prefixMatches(rule: string, target: string): boolean {
  return matchesPrefix(prefixSegments(rule), target, requestPathEnd(target));
}

function exactMatches(rule: string, target: string): boolean {
  return matchesExact(rule, target, requestPathEnd(target));
}

describe('prefixSegments', () => {
  it.each([
    ['/', []],
    ['/foo', ['foo']],
    ['/foo/', ['foo']],
    ['/aaa/bbb/', ['aaa', 'bbb']],
    ['/foo//bar', ['foo', '', 'bar']],
    ['/foo//', ['foo', '']],
  ])('%s → %j', (path, segments) => {
    expect(prefixSegments(path)).toEqual(segments);
  });
});

describe('compilePathMatch', () => {
  it('counts a Prefix without its trailing slash', () => {
    expect(compilePathMatch('/aaa/bbb/', 'Prefix')).toEqual({ matchAs: 'Prefix', segments: ['aaa', 'bbb'], matchLength: 8 });
    expect(compilePathMatch('/', 'Prefix')).toEqual({ matchAs: 'Prefix', segments: [], matchLength: 0 });
  });

  it('counts an Exact path whole, trailing slash included', () => {
    expect(compilePathMatch('/foo/', 'Exact')).toEqual({ matchAs: 'Exact', segments: [], matchLength: 5 });
  });

  it('matches ImplementationSpecific as Prefix', () => {
    expect(matchAsFor('ImplementationSpecific')).toBe('Prefix');
    expect(compilePathMatch('/foo/', 'ImplementationSpecific')).toEqual({ matchAs: 'Prefix', segments: ['foo'], matchLength: 4 });
  });
});

describe('compareRoutesForMatch', () => {
  it('orders longest first, then Exact before Prefix, then older first', () => {
    const routes = routesOf([
      ['/', 'Prefix', 0],
      ['/api', 'Prefix', 2],
      ['/api', 'Exact', 3],
      ['/api', 'ImplementationSpecific', 1],
      ['/api/v1', 'Prefix', 4],
    ]);
    const ordered = routes.toSorted(compareRoutesForMatch).map((route) => `${route.pathType} ${route.path} age ${route.age}`);
    expect(ordered).toEqual([
      'Prefix /api/v1 age 4',
      'Exact /api age 3',
      'ImplementationSpecific /api age 1',
      'Prefix /api age 2',
      'Prefix / age 0',
    ]);
  });

  // API reference, PathTypePrefix: "/foo and /foo/ both match requests to /foo and /foo/. If
  // both paths are present in an Ingress spec, the longest matching path (/foo/) is given priority."
  it('orders the longer path string first among element-wise equal prefixes, whatever their age', () => {
    const routes = routesOf([
      ['/api', 'Prefix', 0],
      ['/api', 'ImplementationSpecific', 1],
      ['/api/', 'Prefix', 3],
      ['/api/', 'ImplementationSpecific', 2],
      ['/api', 'Exact', 4],
    ]);
    const ordered = routes.toSorted(compareRoutesForMatch).map((route) => `${route.pathType} ${route.path} age ${route.age}`);
    expect(ordered).toEqual([
      'Exact /api age 4',
      'ImplementationSpecific /api/ age 2',
      'Prefix /api/ age 3',
      'Prefix /api age 0',
      'ImplementationSpecific /api age 1',
    ]);
  });
});

describe('path matching on the raw request target', () => {
  it.each([
    ['/', '/', true],
    ['/', '/anything/at/all', true],
    ['/foo', '/foo', true],
    ['/foo', '/foo/', true],
    ['/foo', '/foo/bar', true],
    ['/foo', '/foobar', false],
    ['/foo', '/fo', false],
    ['/foo', '/foo?x=1', true],
    ['/foo', '/foobar?x=/foo', false],
    ['/foo/bar', '/foo?/bar', false],
    ['/foo/bar', '/foo//bar', false],
    ['/foo', '/foo//bar', true],
    ['/foo//', '/foo/', false],
    ['/foo//', '/foo//', true],
    ['/foo//bar', '/foo//bar/baz', true],
  ])('Prefix %s vs %s → %s', (rule, target, expected) => {
    expect(prefixMatches(rule, target)).toBe(expected);
  });

  it.each([
    ['/foo', '/foo', true],
    ['/foo', '/foo?a=b', true],
    ['/foo', '/foo/', false],
    ['/foo/', '/foo', false],
    ['/foo', '/Foo', false],
    ['/foo', '/foobar', false],
  ])('Exact %s vs %s → %s', (rule, target, expected) => {
    expect(exactMatches(rule, target)).toBe(expected);
  });
});
