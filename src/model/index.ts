export * from './types.js';
export { compileRoutes } from './compile.js';
export { compareRoutesForMatch, compilePathMatch, matchAsFor, matchLengthOf, prefixSegments } from './path.js';
export { checkHost, isWildcardHost, normalizeRuleHost } from './host.js';
export { diffRouteTables, isUnchanged, noRouteChanges, type RouteChanges, type RouteListing } from './diff.js';
