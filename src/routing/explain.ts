import type { DefaultBackendRoute, Route, RouteTable } from '../model/types.js';
import { wildcardKeyOf } from './host.js';
import { matchesPrefix, prefixSegments, routeMatchesPath } from './path.js';
import type { Candidate, HostMatch, LossReason, Match } from './types.js';

export const implementationSpecificNote =
  'ImplementationSpecific is treated as Prefix in the spec profile (ingress-nginx treats it as a regex-capable prefix)';

export interface Losses {
  readonly candidates: readonly Candidate[];
  readonly notes: readonly string[];
}

interface Loss {
  readonly reason: LossReason;
  readonly detail: string;
}

/** What a loser is compared with: the request as matched, and the winner. */
interface Context {
  /** The normalised request host. */
  readonly host: string;
  readonly hostMatch: HostMatch;
  /** The request path without the query string. */
  readonly path: string;
  readonly winner: Route | null;
}

/**
 * Why every route of the table except the winner, and every shadowed defaultBackend, lost.
 * Near misses come first: the same host's routes that matched, then the same host's routes
 * that almost matched, then routes of hosts that almost matched, then the rest.
 */
export function explainLosses(table: RouteTable, match: Match, path: string): Losses {
  const context: Context = { host: match.host, hostMatch: match.hostMatch, path, winner: match.route };
  const candidates: Candidate[] = [];
  for (const route of table.routes) {
    if (route.id === match.route?.id) continue;
    const loss = explainRoute(route, context);
    candidates.push({ id: route.id, host: route.host, path: route.path, pathType: route.pathType, ...loss });
  }
  for (const shadowed of table.shadowedDefaultBackends) {
    const loss = explainShadowedDefaultBackend(shadowed, table.defaultBackend);
    candidates.push({ id: shadowed.id, host: null, path: null, pathType: null, ...loss });
  }
  const sorted = candidates.toSorted((a, b) => reasonRank[a.reason] - reasonRank[b.reason]);
  return { candidates: sorted, notes: notesFor(match, sorted) };
}

const reasonRank: Readonly<Record<LossReason, number>> = {
  'gateway-precedence': 0,
  'gateway-no-match': 1,
  'shorter-match': 0,
  'exact-preferred': 0,
  'duplicate-older-wins': 0,
  'exact-mismatch': 1,
  'element-boundary': 1,
  'path-mismatch': 2,
  'exact-host-preferred': 3,
  'wildcard-one-label': 3,
  'host-rule-matched': 3,
  'other-host': 4,
  'default-backend-shadowed': 5,
  'nginx-later-regex': 0,
  'nginx-shorter-prefix': 0,
  'nginx-no-match': 2,
};

/** Reasons given to routes whose path matched the request but that lost to the winner. */
const matchedReasons: ReadonlySet<LossReason> = new Set(['shorter-match', 'exact-preferred', 'duplicate-older-wins']);

function explainRoute(route: Route, context: Context): Loss {
  if (route.hostKind !== context.hostMatch.kind || route.host !== context.hostMatch.host) {
    return explainHostLoss(route, context);
  }
  if (!routeMatchesPath(route, context.path, context.path.length)) {
    return explainPathLoss(route, context.path);
  }
  if (context.winner === null) {
    // The matcher scans the same host's routes, so a matching route implies a winner.
    throw new Error(`route table is inconsistent: ${route.id} matches but is not in its host's routes`);
  }
  return explainBeatenMatch(route, context.winner);
}

function explainHostLoss(route: Route, context: Context): Loss {
  const requestHost = formatRequestHost(context.host);
  if (route.hostKind === 'any') {
    return {
      reason: 'host-rule-matched',
      detail: `host-less rules only serve hosts that match no host rule; ${requestHost} matched rule host ${context.hostMatch.host ?? ''}`,
    };
  }
  if (route.hostKind === 'wildcard') {
    const suffix = route.host?.slice(2) ?? '';
    if (wildcardKeyOf(context.host) === suffix) {
      return {
        reason: 'exact-host-preferred',
        detail: `an exact host rule is preferred over a wildcard; ${requestHost} matched rule host ${context.hostMatch.host ?? ''}, not ${route.host}`,
      };
    }
    if (context.host === suffix) {
      return {
        reason: 'wildcard-one-label',
        detail: `${route.host} matches exactly one DNS label before .${suffix}; ${requestHost} has none`,
      };
    }
    if (context.host.endsWith(`.${suffix}`)) {
      return {
        reason: 'wildcard-one-label',
        detail: `${route.host} matches exactly one DNS label; ${requestHost} has more`,
      };
    }
  }
  return { reason: 'other-host', detail: `host ${route.host ?? '(any)'} ≠ request host ${requestHost}` };
}

function explainPathLoss(route: Route, path: string): Loss {
  const rule = formatRule(route);
  const doesNotMatch = `${rule} does not match ${path}`;
  if (route.matchAs === 'Exact') {
    if (route.path.toLowerCase() === path.toLowerCase()) {
      return { reason: 'exact-mismatch', detail: `${doesNotMatch}: Exact is case-sensitive` };
    }
    if (`${route.path}/` === path || route.path === `${path}/`) {
      return { reason: 'exact-mismatch', detail: `${doesNotMatch}: Exact compares the whole path, and a trailing slash counts` };
    }
    if (path.startsWith(route.path)) {
      return { reason: 'exact-mismatch', detail: `${doesNotMatch}: Exact compares the whole path, it is not a prefix` };
    }
    return { reason: 'path-mismatch', detail: doesNotMatch };
  }

  const prefix = `/${route.segments.join('/')}`;
  if (path.startsWith(prefix)) {
    // Every element but the last matched in full, so the last one ran on into a longer one.
    const lastIndex = route.segments.length - 1;
    const ruleElement = route.segments[lastIndex] ?? '';
    const requestElement = prefixSegments(path)[lastIndex] ?? '';
    return {
      reason: 'element-boundary',
      detail: `${doesNotMatch}: prefixes match whole path elements, /${ruleElement} ≠ /${requestElement}`,
    };
  }
  const lowerSegments = route.segments.map((segment) => segment.toLowerCase());
  const lowerPath = path.toLowerCase();
  if (matchesPrefix(lowerSegments, lowerPath, lowerPath.length)) {
    return { reason: 'path-mismatch', detail: `${doesNotMatch}: paths are case-sensitive` };
  }
  return { reason: 'path-mismatch', detail: doesNotMatch };
}

/**
 * The route matched the request, but the winner comes first in match order
 * (`compareRoutesForMatch`): each branch below is one step of that order.
 */
function explainBeatenMatch(route: Route, winner: Route): Loss {
  const ignoredSlash = route.matchAs === 'Prefix' && route.path.length > 1 && route.path.endsWith('/');
  if (winner.matchLength !== route.matchLength) {
    const routeLength = ignoredSlash ? `${route.matchLength}, without the trailing slash` : `${route.matchLength}`;
    return {
      reason: 'shorter-match',
      detail: `matched, but ${winner.path} (${winner.matchLength} chars) is longer than ${route.path} (${routeLength})`,
    };
  }
  if (winner.matchAs !== route.matchAs) {
    // Exact /foo against Prefix /foo/: the same length once the Prefix's trailing slash is dropped.
    const sameLength = ignoredSlash ? `the same length (${route.matchLength}, without the trailing slash)` : 'the same length';
    return {
      reason: 'exact-preferred',
      detail: `matched with ${sameLength}; Exact is preferred over Prefix (${winner.id} is Exact)`,
    };
  }
  if (winner.path.length !== route.path.length) {
    // Both match as Prefix with the same elements, so only the trailing slash differs. API
    // reference, PathTypePrefix: "the longest matching path (/foo/) is given priority".
    return {
      reason: 'shorter-match',
      detail:
        `matched, but ${winner.path} (${winner.path.length} chars, trailing slash included) is longer than ${route.path} ` +
        `(${route.path.length}); both match the same path elements, and the longest matching path is given priority`,
    };
  }
  const sameDefinition = winner.path === route.path && winner.pathType === route.pathType;
  return {
    reason: 'duplicate-older-wins',
    detail: sameDefinition
      ? `duplicate of ${winner.id} (same host, path and pathType); the older definition wins`
      : `equivalent to ${winner.id} (${formatRule(route)} matches like ${formatRule(winner)}); the older definition wins`,
  };
}

function explainShadowedDefaultBackend(shadowed: DefaultBackendRoute, active: DefaultBackendRoute | null): Loss {
  return {
    reason: 'default-backend-shadowed',
    detail:
      active === null
        ? 'this defaultBackend is shadowed by another Ingress'
        : `only one defaultBackend serves unmatched requests; the older ${active.id} is used`,
  };
}

function notesFor(match: Match, candidates: readonly Candidate[]): string[] {
  const implementationSpecificMatched =
    match.route?.pathType === 'ImplementationSpecific' ||
    candidates.some((candidate) => matchedReasons.has(candidate.reason) && candidate.pathType === 'ImplementationSpecific');
  return implementationSpecificMatched ? [implementationSpecificNote] : [];
}

function formatRule(route: Route): string {
  return `${route.pathType} ${route.path}`;
}

function formatRequestHost(host: string): string {
  return host === '' ? '(none)' : host;
}
