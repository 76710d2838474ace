import type { Backend, HostRoutes, Route, RouteTable } from '../model/types.js';
import { explainLosses } from './explain.js';
import { normalizeHost, selectHostRoutes } from './host.js';
import { requestPathEnd, routeMatchesPath } from './path.js';
import type { Explanation, HostMatch, Match, MatchRequest } from './types.js';

const noHostMatch: HostMatch = { kind: 'none', host: null };

/**
 * Route one request (the proxy calls this for every request): look up the host's routes
 * through the host index, then take the first of them whose path matches. They are sorted
 * at compile time (longest first, Exact before Prefix, then `/foo/` before `/foo`, older
 * first: `compareRoutesForMatch`), so the first match is the one the specification picks.
 * No match → the table's defaultBackend, else 404.
 */
export function matchRequest(table: RouteTable, request: MatchRequest): Match {
  const host = normalizeHost(request.host);
  const hostRoutes = selectHostRoutes(table, host);
  const hostMatch = hostRoutes === null ? noHostMatch : hostMatchOf(hostRoutes);
  const route = hostRoutes === null ? null : firstMatchingRoute(hostRoutes, request.path);

  if (route !== null) {
    return {
      status: statusFor(route.backend),
      host,
      hostMatch,
      route,
      defaultBackend: null,
      backend: route.backend,
      upstreamPath: request.path,
    };
  }
  const defaultBackend = table.defaultBackend;
  if (defaultBackend !== null) {
    return {
      status: statusFor(defaultBackend.backend),
      host,
      hostMatch,
      route: null,
      defaultBackend,
      backend: defaultBackend.backend,
      upstreamPath: request.path,
    };
  }
  return { status: 404, host, hostMatch, route: null, defaultBackend: null, backend: null, upstreamPath: null };
}

/**
 * The same result as `matchRequest`, plus every route that did not win and why, for the
 * `explain` command and the request view. Not on the proxy's hot path.
 */
export function explainRequest(table: RouteTable, request: MatchRequest): Explanation {
  const match = matchRequest(table, request);
  const { candidates, notes } = explainLosses(table, match, request.path.slice(0, requestPathEnd(request.path)));
  return { ...match, candidates, notes };
}

function firstMatchingRoute(hostRoutes: HostRoutes, target: string): Route | null {
  const pathEnd = requestPathEnd(target);
  for (const route of hostRoutes.routes) {
    if (routeMatchesPath(route, target, pathEnd)) return route;
  }
  return null;
}

function hostMatchOf(hostRoutes: HostRoutes): HostMatch {
  return { kind: hostRoutes.kind, host: hostRoutes.host };
}

/** A backend that cannot be reached (missing Service or port, or a resource backend) is a 503. */
function statusFor(backend: Backend): 200 | 503 {
  return backend.kind === 'resource' || backend.problem !== null ? 503 : 200;
}
