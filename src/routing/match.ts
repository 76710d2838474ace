import type { Backend, HostRoutes, NginxBackendAffinity, NginxServer, Route, RouteTable } from '../model/types.js';
import { applyNginxPolicy, matchNginxServer, nginxRemoteAddress } from './nginx.js';
import { decideCanary } from './nginx-canary.js';
import { isAffinitized, readStickyCookie } from './nginx-sticky.js';
import { formatBackend } from '../model/format.js';
import { explainNginxLosses } from './explain-nginx.js';
import { explainLosses } from './explain.js';
import { normalizeHost, selectHostRoutes } from './host.js';
import { requestPathEnd, routeMatchesPath } from './path.js';
import type { Explanation, HostMatch, Match, MatchRequest, NginxStep } from './types.js';
import { candidateLists, decideGateway, explainGateway, listenerIndexOf, selectListenerGroup } from './gateway.js';
import { hostnameMatches, isWildcard } from '../model/gateway/hostname.js';
import type { GatewayTable } from '../model/gateway/types.js';

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
  if (table.gateway !== undefined && table.gateway !== null) {
    const gateway = matchGatewayRoutes(table.gateway, host, request, claimRank(table, hostRoutes, hostMatch));
    if (gateway !== null) return gateway;
  }
  if (hostRoutes?.nginx !== undefined) return matchNginx(hostRoutes.nginx, host, hostMatch, request);
  const route = hostRoutes === null ? null : firstMatchingRoute(hostRoutes, request.path);
  const base = { profile: 'spec' as const, host, hostMatch, redirect: null, nginx: null };

  if (route !== null) {
    return { ...base, status: statusFor(route.backend), route, defaultBackend: null, backend: route.backend, upstreamPath: request.path };
  }
  const defaultBackend = table.defaultBackend;
  if (defaultBackend !== null) {
    return { ...base, status: statusFor(defaultBackend.backend), route: null, defaultBackend, backend: defaultBackend.backend, upstreamPath: request.path };
  }
  return { ...base, status: 404, route: null, defaultBackend: null, backend: null, upstreamPath: null };
}

/**
 * A host of the `nginx` profile: nginx picks a location (routing/nginx.ts); the root location
 * serves the first Ingress's defaultBackend, else ingress-nginx's default backend (404). The
 * backend receives the request target as received, or the rewrite-target's URI and the query.
 */
function matchNginx(server: NginxServer, host: string, hostMatch: HostMatch, request: MatchRequest): Match {
  const target = request.path;
  if (server.redirectTo !== undefined) return matchWwwRedirect(server, server.redirectTo, host, hostMatch, request);
  const decision = matchNginxServer(server, target);
  const remoteAddress = nginxRemoteAddress(server.config, request.clientAddress ?? '127.0.0.1', headerOf(request, 'x-forwarded-for'));
  const base = { profile: 'nginx' as const, host, hostMatch, nginx: decision, defaultBackend: null, redirect: null, nginxContext: { config: server.config, remoteAddress } };
  if (decision.kind === 'bad-request') return { ...base, status: 400, route: null, backend: null, upstreamPath: null };
  if (decision.kind === 'redirect') {
    // ngx_http_header_filter: an absolute Location takes the connection's scheme and, with
    // port_in_redirect off, no port; `relative-redirects` (absolute_redirect off, in the ConfigMap
    // or on the Ingress of the location redirected to) leaves it relative.
    const relative = server.config.relativeRedirects || decision.location.annotations?.relativeRedirects === true;
    const location = relative ? decision.to : `${request.scheme ?? 'http'}://${host}${decision.to}`;
    return { ...base, status: 301, route: decision.location.route, backend: null, upstreamPath: null, redirect: { status: 301, location, by: 'trailing slash' } };
  }
  const route = decision.location.route;
  const answer = applyNginxPolicy(server, decision, { host: request.host, target, scheme: request.scheme ?? 'http', method: request.method ?? 'GET', headers: request.headers ?? {}, remoteAddress, httpsPort: request.httpsPort ?? null });
  const told = { responseHeaders: answer.responseHeaders, steps: answer.steps };
  const served = { route, defaultBackend: route === null ? server.rootBackend : null };
  if (answer.kind === 'redirect') {
    const status = answer.status as Match['status'];
    return { ...base, ...told, ...served, status, backend: null, upstreamPath: null, redirect: { status, location: answer.location, by: answer.by } };
  }
  if (answer.kind === 'reply') {
    return { ...base, ...told, ...served, status: answer.status, backend: null, upstreamPath: null, reply: { status: answer.status, headers: answer.headers, by: answer.by, why: answer.why } };
  }
  const queryAt = target.indexOf('?');
  const upstreamPath = decision.rewrite === null ? target : `${decision.rewrite.to}${queryAt === -1 ? '' : target.slice(queryAt)}`;
  // One object of one shape per forwarded request (the proxy's hot path); the rare parts are added after.
  const forward = (backend: Backend, defaultBackend: Match['defaultBackend'], steps: readonly NginxStep[], affinity?: NginxBackendAffinity): Match => {
    const m: { -readonly [K in keyof Match]: Match[K] } = {
      profile: 'nginx', host, hostMatch, nginx: decision, redirect: null, nginxContext: base.nginxContext, status: statusFor(backend), route, defaultBackend, backend, upstreamPath,
      responseHeaders: answer.responseHeaders, steps, upstreamHost: answer.upstreamHost, upstreamHeaders: answer.headers, bodyLimit: answer.bodyLimit,
    };
    if (answer.dropAuthorization) m.upstreamClears = authorizationOnly;
    const protocol = backendProtocolOf(decision.location.annotations?.backendProtocol, request.scheme ?? 'http');
    if (protocol !== null) m.backendProtocol = protocol;
    if (affinity !== undefined) m.affinity = affinity;
    return m;
  };
  if (route !== null) {
    // balancer.lua route_to_alternative_balancer: the canary of the location's backend may take the request.
    const canary = decision.location.canary;
    const affinity = decision.location.affinity;
    const cookie = affinity === undefined ? undefined : headerOf(request, 'cookie');
    let steps = answer.steps;
    if (canary !== undefined) {
      // A session cookie naming the main backend, then one naming the canary, decides before any canary rule.
      const affinitized = affinity !== undefined && isAffinitized(affinity.config, affinity.upstream, cookie) ? 'main'
        : canary.affinity !== undefined && isAffinitized(canary.affinity.config, canary.affinity.upstream, cookie) ? 'canary' : null;
      const chosen = decideCanary(canary.policy, { headers: request.headers ?? {} }, request.random ?? Math.random, affinitized);
      steps = [...steps, { by: 'canary', what: `${chosen.canary ? `to the canary ${formatBackend(canary.backend)} of Ingress ${canary.ingress}` : 'to the main backend'}: ${chosen.why}` }];
      if (chosen.canary) return forward(canary.backend, null, canary.affinity === undefined ? steps : [...steps, affinityStep(canary.affinity, cookie)], canary.affinity);
    }
    const matched = forward(route.backend, null, affinity === undefined ? steps : [...steps, affinityStep(affinity, cookie)], affinity);
    const fallback = decision.location.annotations?.defaultBackend;
    if (fallback === null || fallback === undefined || route.backend.kind !== 'service') return matched;
    // nginx.tmpl, for a custom-default-backend upstream: X-Code 503 and where the request was going.
    const b = route.backend;
    const headers: [string, string][] = [['X-Code', '503'], ['X-Format', headerOf(request, 'accept') ?? ''], ['X-Namespace', route.ingress.namespace], ['X-Ingress-Name', route.ingress.name], ['X-Service-Name', b.service], ['X-Service-Port', String(b.port ?? b.portName ?? '')]];
    return { ...matched, fallback: { backend: fallback, headers } };
  }
  const root = server.rootBackend;
  if (root === null) return { ...base, ...told, status: 404, route: null, backend: null, upstreamPath: null };
  return forward(root.backend, root, answer.steps);
}

const authorizationOnly: readonly string[] = ['authorization'];

/** The port of a Host header (`app:8080` → 8080, `[::1]:80` → 80); null without one. */
function hostPort(host: string | null): number | null {
  const m = host === null ? null : /:(\d{1,5})$/.exec(host);
  if (m === null || (host?.includes(']') === false && (host.match(/:/g) ?? []).length > 1)) return null;
  return Number(m[1]);
}

/**
 * How specifically the Ingresses claim the host: 0 a rule of this exact host, 1 a wildcard rule,
 * 2 host-less rules or a defaultBackend, 3 nothing. An HTTPRoute takes the request only when it
 * claims the host more specifically (a tie goes to the Ingress; check warns of both).
 */
function claimRank(table: RouteTable, hostRoutes: HostRoutes | null, hostMatch: HostMatch): number {
  if (hostMatch.kind === 'exact') return 0;
  if (hostMatch.kind === 'wildcard') return 1;
  if ((hostRoutes !== null && hostRoutes.routes.length > 0) || table.defaultBackend !== null || (hostRoutes?.nginx?.rootBackend ?? null) !== null) return 2;
  return 3;
}

/** The Gateway API's answer, when one of its routes claims the host more specifically than the Ingresses. */
function matchGatewayRoutes(gateway: GatewayTable, host: string, request: MatchRequest, ingressRank: number): Match | null {
  const index = listenerIndexOf(gateway, request.scheme);
  if (index === null) return null;
  const group = selectListenerGroup(index, host);
  if (group === null) return null;
  // The most specific hostname of a route entry that takes the host.
  let rank = 3;
  for (const list of candidateLists(group.entries, host)) {
    const first = list.find((e) => e.hostname === null || e.hostname === host || hostnameMatches(e.hostname, host));
    if (first === undefined) continue;
    rank = first.hostname === null ? 2 : isWildcard(first.hostname) ? 1 : 0;
    break;
  }
  if (rank === 3 || rank >= ingressRank) return null;
  const scheme = request.scheme ?? 'http';
  // "The Gateway Listener port" of a redirect: the port the client addressed (its Host header's,
  // else the scheme's), so a browser on `app.localhost:8080` comes back to 8080, and `curl -H
  // 'Host: app'` gets the cluster's answer.
  const port = hostPort(request.host) ?? (scheme === 'https' ? 443 : 80);
  const decision = decideGateway(group, request, { host, scheme, port, httpsPort: request.httpsPort ?? null, httpPort: request.httpPort ?? null });
  const entry = decision.entry;
  const hostMatch: HostMatch = { kind: rank === 0 ? 'exact' : rank === 1 ? 'wildcard' : 'any', host: entry?.hostname ?? group.hostname };
  const base = { profile: 'gateway' as const, host, hostMatch, route: null, defaultBackend: null, nginx: null, gateway: decision, steps: decision.steps };
  const outcome = decision.outcome;
  switch (outcome.kind) {
    case 'forward':
      return { ...base, status: 200, backend: outcome.backend, upstreamPath: outcome.upstreamPath, redirect: null, ...(outcome.upstreamHost === null ? {} : { upstreamHost: outcome.upstreamHost }) };
    case 'redirect':
      return { ...base, status: outcome.status, backend: null, upstreamPath: null, redirect: { status: outcome.status, location: outcome.location, by: 'RequestRedirect' } };
    case 'fail':
      return { ...base, status: 500, backend: null, upstreamPath: null, redirect: null };
    case 'preflight':
      return { ...base, status: 204, backend: null, upstreamPath: null, redirect: null, reply: { status: 204, headers: outcome.headers, by: 'CORS', why: outcome.allowed ? 'the CORS filter answers the preflight' : 'the CORS filter answers the preflight of an origin it does not allow, without CORS headers' } };
    case 'no-match':
      return { ...base, status: 404, backend: null, upstreamPath: null, redirect: null };
  }
}

/**
 * What the sticky balancer will do, as far as it is known without the endpoints: the proxy
 * replaces this step with the endpoint it chose (src/proxy/route-request.ts).
 */
function affinityStep(affinity: NginxBackendAffinity, cookie: string | undefined): NginxStep {
  const { config } = affinity;
  const held = readStickyCookie(cookie, config.cookieName);
  const sets = affinity.setsCookie ? `a new session sets ${config.cookieName} (Path ${config.path ?? affinity.locationPath})` : `this path sets no ${config.cookieName} cookie (no Ingress with affinity: cookie has it for this host)`;
  const now = held.upstreamKey === null
    ? `no ${config.cookieName} cookie: one endpoint is picked and ${sets}`
    : config.mode === 'persistent'
      ? `cookie ${config.cookieName} names an endpoint: the request goes there while it exists, else ${sets}`
      : `cookie ${config.cookieName} leads to one endpoint on the hash ring: the request goes there`;
  return { by: 'affinity', what: `cookie affinity of ${affinity.upstream} (${config.mode}, from Ingress ${affinity.ingress}): ${now}` };
}

/**
 * The server ingress-nginx adds for from-to-www-redirect (nginx.tmpl; ngx_srv_redirect.lua):
 * `return <http-redirect-code> scheme://HOST:PORT<request_uri less one trailing slash>`, the
 * port always written (e2e fromtowwwredirect.go: `http://fromtowwwredirect.bar.com:80/foo`).
 */
function matchWwwRedirect(server: NginxServer, to: { readonly host: string; readonly because: string }, host: string, hostMatch: HostMatch, request: MatchRequest): Match {
  const scheme = request.scheme ?? 'http';
  const port = request.port ?? (scheme === 'https' ? 443 : 80);
  const uri = request.path.endsWith('/') ? request.path.slice(0, -1) : request.path;
  const location = `${scheme}://${to.host}:${port}${uri}`;
  const status = server.config.httpRedirectCode as Match['status'];
  return {
    profile: 'nginx', host, hostMatch, nginx: null, route: null, defaultBackend: null, backend: null, upstreamPath: null,
    status, redirect: { status, location, by: 'from-to-www-redirect' },
    steps: [{ by: 'from-to-www-redirect', what: `${host} is the twin of ${to.host} (${to.because}): every request is redirected there` }],
  };
}

/**
 * The same result as `matchRequest`, plus every route that did not win and why, for the
 * `explain` command and the request view. Not on the proxy's hot path.
 */
export function explainRequest(table: RouteTable, request: MatchRequest): Explanation {
  const match = matchRequest(table, request);
  if (match.gateway !== undefined) {
    // The listener that took the request is in `gateway` (explain and the request view name it).
    return { ...match, candidates: explainGateway(match.gateway, match.host, request), notes: [] };
  }
  if (match.profile === 'nginx') {
    const server = selectHostRoutes(table, match.host)?.nginx;
    if (server !== undefined) {
      const { candidates, notes } = explainNginxLosses(table, match, server);
      return { ...match, candidates, notes };
    }
  }
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

/** A request header (names are lower case); several are joined with ", ", as nginx 1.23+ joins them in $http_NAME. */
export function headerOf(request: MatchRequest, name: string): string | undefined {
  const value = request.headers?.[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** template.go buildProxyPass: HTTPS and GRPCS talk TLS to the backend; AUTO_HTTP the client's scheme. null: plain HTTP. */
function backendProtocolOf(protocol: string | undefined, scheme: 'http' | 'https'): string | null {
  if (protocol === undefined || protocol === 'HTTP') return null;
  if (protocol === 'AUTO_HTTP') return scheme === 'https' ? 'HTTPS' : null;
  return protocol;
}

export const localhostSuffix = '.localhost';

/**
 * `HOST.localhost` (which browsers resolve to loopback) is routed as `HOST` when no rule names
 * `HOST.localhost` itself: the full host is tried first, and the alias only when the full host
 * fell through to host-less rules or to nothing. `alias` is the host routed on, when it was used.
 * `route` is the matcher (matchRequest for the proxy, explainRequest for the views).
 */
export function routeWithAlias<T extends Match>(request: MatchRequest, route: (r: MatchRequest) => T): { match: T; alias: string | null } {
  const match = route(request);
  const kind = match.hostMatch.kind;
  if (kind === 'exact' || kind === 'wildcard' || !match.host.endsWith(localhostSuffix)) return { match, alias: null };
  const stripped = match.host.slice(0, -localhostSuffix.length);
  if (stripped === '') return { match, alias: null };
  // The alias keeps the port the client addressed (a Gateway API redirect names it).
  const port = /:\d{1,5}$/.exec(request.host ?? '')?.[0] ?? '';
  const aliased = route({ ...request, host: `${stripped}${port}` });
  const aliasedKind = aliased.hostMatch.kind;
  return aliasedKind === 'exact' || aliasedKind === 'wildcard' ? { match: aliased, alias: stripped } : { match, alias: null };
}

/** matchRequest, with the `.localhost` alias (see routeWithAlias). */
export function matchWithAlias(table: RouteTable, request: MatchRequest): { match: Match; alias: string | null } {
  return routeWithAlias(request, (r) => matchRequest(table, r));
}
