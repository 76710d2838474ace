export { explainRequest, matchRequest, matchWithAlias, routeWithAlias } from './match.js';
export { implementationSpecificNote } from './explain.js';
export { normalizeHost, selectHostRoutes, wildcardKeyOf } from './host.js';
export {
  compareRoutesForMatch,
  compilePathMatch,
  matchAsFor,
  matchLengthFor,
  matchesExact,
  matchesPrefix,
  prefixSegments,
  requestPathEnd,
  routeMatchesPath,
} from './path.js';
export type { MatchAs, PathMatch } from './path.js';
export type { Candidate, Explanation, HostMatch, LossReason, Match, MatchRequest } from './types.js';
