import type { PathType, Profile, Route } from './types.js';

/** How a profile treats a pathType. In `spec`, ImplementationSpecific behaves as Prefix. */
export function matchAsFor(pathType: PathType, _profile: Profile = 'spec'): 'Exact' | 'Prefix' {
  return pathType === 'Exact' ? 'Exact' : 'Prefix';
}

/**
 * Path elements of a Prefix path: `/aaa/bbb/` → ['aaa', 'bbb'], `/` → [].
 * The Ingress spec matches Prefix paths element by element and ignores a trailing slash.
 */
export function prefixSegments(path: string): string[] {
  const elements = path.split('/');
  if (path.startsWith('/')) elements.shift();
  if (elements.at(-1) === '') elements.pop();
  return elements;
}

/** The length compared by "longest match wins": a Prefix path's trailing slash does not count. */
export function matchLengthOf(path: string, matchAs: 'Exact' | 'Prefix'): number {
  if (matchAs === 'Prefix' && path.endsWith('/')) return path.length - 1; // `/` counts 0
  return path.length;
}

/**
 * Order of the paths of one host, decided at compile time so that the first match wins:
 * 1. the longest path first, a Prefix path counted without its trailing slash;
 * 2. on a tie, Exact before Prefix (Ingress concept page, "Multiple matches": "If two paths are
 *    still equally matched, precedence will be given to paths with an exact path type over
 *    prefix path type"), so Exact /foo still beats Prefix /foo/ for /foo;
 * 3. then the longer path string: two Prefix paths that tie here have the same elements and
 *    differ only by a trailing slash, and the API reference for PathTypePrefix says "/foo and
 *    /foo/ both match requests to /foo and /foo/. If both paths are present in an Ingress
 *    spec, the longest matching path (/foo/) is given priority.";
 * 4. then the older definition (the same path, or the same path as Prefix and as
 *    ImplementationSpecific).
 */
export function compareRoutesForMatch(a: Route, b: Route): number {
  if (a.matchLength !== b.matchLength) return b.matchLength - a.matchLength;
  if (a.matchAs !== b.matchAs) return a.matchAs === 'Exact' ? -1 : 1;
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  if (a.age !== b.age) return a.age - b.age;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0; // keeps the order total
}

export interface PathMatch {
  readonly matchAs: 'Exact' | 'Prefix';
  readonly segments: readonly string[];
  readonly matchLength: number;
}

/** Everything a Route needs to be matched, computed once at compile time. */
export function compilePathMatch(path: string, pathType: PathType, profile: Profile = 'spec'): PathMatch {
  const matchAs = matchAsFor(pathType, profile);
  return { matchAs, segments: matchAs === 'Prefix' ? prefixSegments(path) : [], matchLength: matchLengthOf(path, matchAs) };
}
