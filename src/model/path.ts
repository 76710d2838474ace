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
 * the longest path first; on a tie Exact before Prefix; then the older definition.
 */
export function compareRoutesForMatch(a: Route, b: Route): number {
  if (a.matchLength !== b.matchLength) return b.matchLength - a.matchLength;
  if (a.matchAs !== b.matchAs) return a.matchAs === 'Exact' ? -1 : 1;
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
