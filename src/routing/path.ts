import type { Route } from '../model/types.js';
import type { PathMatch } from '../model/path.js';

/**
 * Path matching for the `spec` profile, as the Kubernetes Ingress specification defines it
 * (https://kubernetes.io/docs/concepts/services-networking/ingress/#path-types):
 *
 * - `Exact` matches the whole URL path, case-sensitively; a trailing slash counts.
 * - `Prefix` matches element by element, split by `/`; a trailing slash is ignored on both
 *   sides. `/foo` matches `/foo`, `/foo/` and `/foo/bar`, never `/foobar`; `/` matches all.
 * - `ImplementationSpecific` is matched as `Prefix` in this profile.
 * - The longest path wins; on a tie Exact beats Prefix; of Prefix paths with the same elements
 *   (`/foo` and `/foo/`) the longer path string wins, as the API reference for PathTypePrefix
 *   says: "the longest matching path (/foo/) is given priority". See `compareRoutesForMatch`.
 *
 * Choices the specification leaves open, made here and pinned by tests:
 * - The query string (from the first `?`) is never part of matching.
 * - Elements are compared literally: no percent-decoding, no merging of slashes. An empty
 *   element is an element, so `/foo//bar` has the elements `foo`, ``, `bar`: Prefix `/foo`
 *   matches it, Prefix `/foo/bar` does not. Only one trailing empty element (the trailing
 *   slash) is ignored.
 *
 * The compiler uses the helpers below to fill `Route.matchAs`, `segments` and `matchLength`
 * and to sort each host's routes, so that the matcher can take the first route that matches.
 */

export type MatchAs = Route['matchAs'];
export type { PathMatch } from '../model/path.js';
// The compile-time half of the path rules lives in model/ (the compiler needs it, and model/
// may not import routing/); it is re-exported here so that routing has one place to look.
export { compareRoutesForMatch, compilePathMatch, matchAsFor, matchLengthOf as matchLengthFor, prefixSegments } from '../model/path.js';

const SLASH = 0x2f; // '/'

/** Where the path ends in a request target: at the first `?`, or at its end. */
export function requestPathEnd(target: string): number {
  const query = target.indexOf('?');
  return query === -1 ? target.length : query;
}

/** Exact: the target's path (up to `pathEnd`) is exactly `path`, case-sensitively. */
export function matchesExact(path: string, target: string, pathEnd: number): boolean {
  return pathEnd === path.length && target.startsWith(path);
}

/**
 * Prefix: each of `segments` equals the target's path element at the same position. Works on
 * the raw target without splitting it: every element must start after a `/` and end at a `/`
 * or at the end of the path.
 */
export function matchesPrefix(segments: readonly string[], target: string, pathEnd: number): boolean {
  let slashAt = 0; // where the `/` before the next element must be
  for (const segment of segments) {
    if (slashAt >= pathEnd || target.charCodeAt(slashAt) !== SLASH) return false;
    const start = slashAt + 1;
    const end = start + segment.length;
    if (end > pathEnd || !target.startsWith(segment, start)) return false;
    if (end < pathEnd && target.charCodeAt(end) !== SLASH) return false;
    // An empty rule element cannot be the request's trailing slash, which is not an element.
    if (segment === '' && end === pathEnd) return false;
    slashAt = end;
  }
  return true;
}

/** Whether a route's path matches the target's path (the query string is ignored). */
export function routeMatchesPath(route: PathMatch & { readonly path: string }, target: string, pathEnd: number): boolean {
  return route.matchAs === 'Exact'
    ? matchesExact(route.path, target, pathEnd)
    : matchesPrefix(route.segments, target, pathEnd);
}
