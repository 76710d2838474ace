import { formatBackend } from '../model/format.js';
import { entryId, formatRuleBackends, hostLists } from '../model/gateway/format.js';
import { authority } from '../model/url.js';
import type { Backend, DefaultBackendRoute, Route, RouteTable, RoutingProfile } from '../model/types.js';
import { explainRequest } from '../routing/match.js';
import type { Candidate } from '../routing/types.js';
import type { ForwardError } from './forward.js';

/**
 * What went wrong with one request, as a value: the error pages render it (HTML, text, JSON),
 * and the request event carries its one-line `error`. Every error says what happened, where the
 * request was going, and what to do.
 */

export type ProxyErrorKind =
  | 'no-route'
  | 'no-endpoint'
  | 'refused'
  | 'reset'
  | 'connect-timeout'
  | 'read-timeout'
  | 'send-timeout'
  | 'bad-gateway'
  | 'bad-response'
  | 'connect-not-supported'
  | 'redirect'
  | 'bad-request'
  | 'body-too-large'
  | 'unauthorized'
  | 'forbidden'
  | 'location-denied'
  | 'preflight'
  | 'gateway-rule'
  | 'internal';

export interface RequestLine {
  readonly method: string;
  /** The host the request was routed on, without the port. */
  readonly host: string;
  readonly path: string;
  /** The port the client connected to, for URLs in hints. */
  readonly port: number;
  /** Set when the request came over TLS: hints then give https:// URLs. */
  readonly scheme?: 'https';
}

export interface RouteRef {
  readonly id: string;
  readonly file: string;
  readonly line: number;
}

export interface RouteListing {
  readonly host: string | null;
  readonly pathType: string;
  readonly path: string;
  readonly backend: string;
  readonly id: string;
}

export interface ProxyError {
  readonly kind: ProxyErrorKind;
  readonly status: number;
  /** One line: what happened. */
  readonly title: string;
  readonly request: RequestLine;
  readonly route: RouteRef | null;
  readonly target: string | null;
  /** What mapped the Service to the target: `--map web=3000`. */
  readonly via: string | null;
  /** The error itself: `connect ECONNREFUSED 127.0.0.1:3000`. */
  readonly error: string;
  readonly hint: string;
  /** For 404: the routes that exist (at most `maxListedRoutes`), and how many there are. */
  readonly routes?: readonly RouteListing[];
  readonly routeCount?: number;
  /** For 404: the nearest routes and why each did not match. */
  readonly candidates?: readonly Pick<Candidate, 'id' | 'host' | 'path' | 'pathType' | 'detail'>[];
  /** For a redirect: where to. */
  readonly location?: string;
  /** Headers of the answer itself (`WWW-Authenticate`, a CORS preflight's Access-Control-*). */
  readonly headers?: readonly (readonly [string, string])[];
  /**
   * The profile that answered: `nginx` pages look like ingress-nginx's (its status line and
   * body), with the explanation in a header; `spec` (the default) pages explain in the body.
   */
  readonly profile?: RoutingProfile;
}

export const maxListedRoutes = 50;

const maxCandidates = 3;

/**
 * 404: nothing matched and there is no defaultBackend. Only here, on the error path, is the
 * request explained (explaining costs a scan over every route).
 */
export function noRouteError(table: RouteTable, request: RequestLine, headers?: Readonly<Record<string, string | string[] | undefined>>): ProxyError {
  const explanation = explainRequest(table, { host: request.host, path: request.path, method: request.method, scheme: request.scheme ?? 'http', ...(headers === undefined ? {} : { headers }) });
  const candidates = explanation.candidates
    .filter((c) => c.reason !== 'default-backend-shadowed')
    .slice(0, maxCandidates)
    .map(({ id, host, path, pathType, detail }) => ({ id, host, path, pathType, detail }));
  const gatewayRoutes = gatewayListings(table);
  const routes = [...table.routes.map(listRoute), ...gatewayRoutes].slice(0, maxListedRoutes);
  const where = `${request.host === '' ? '(no host)' : request.host}${request.path}`;
  return {
    kind: 'no-route',
    status: 404,
    title: `${explanation.gateway !== undefined ? 'No HTTPRoute rule' : gatewayRoutes.length > 0 ? 'No Ingress or HTTPRoute rule' : 'No Ingress rule'} matches ${where}`,
    request,
    route: null,
    target: null,
    via: null,
    error: explanation.hostMatch.kind === 'none' ? `no rule serves host ${request.host || '(none)'}` : `no path of this host matches ${pathOnly(request.path)}`,
    hint: noRouteHint(table, request, explanation.hostMatch.kind === 'none', candidates[0]?.detail),
    routes,
    routeCount: table.routes.length + gatewayRoutes.length,
    candidates,
  };
}

/** The Gateway API's route matches, one listing each (the first listener that serves them). */
function gatewayListings(table: RouteTable): RouteListing[] {
  const gateway = table.gateway;
  if (gateway === undefined || gateway === null) return [];
  const seen = new Set<string>();
  const out: RouteListing[] = [];
  for (const { hostname, entries } of hostLists(gateway)) {
    for (const e of entries) {
      const id = entryId(e);
      if (seen.has(`${id}@${hostname ?? ''}`)) continue;
      seen.add(`${id}@${hostname ?? ''}`);
      out.push({ host: hostname, pathType: e.match.path.type, path: e.match.path.value, backend: formatRuleBackends(e.rule), id });
    }
  }
  return out;
}

function noRouteHint(table: RouteTable, request: RequestLine, hostUnknown: boolean, nearest: string | undefined): string {
  if (table.routes.length === 0) {
    return 'No Ingress rules are loaded: add an Ingress to the project folder (`ingress-dev check` shows why one was left out).';
  }
  if (hostUnknown) {
    const example = table.routes.find((route) => route.hostKind === 'exact') ?? table.routes[0];
    const host = example?.host ?? 'HOST';
    const path = example?.path ?? '/';
    if (request.scheme === 'https') {
      return `Send a host that a rule names, e.g. curl --cacert "$(ingress-dev trust --print)" -H 'Host: ${host}' https://${authority('https', '127.0.0.1', request.port)}${path} or open https://${authority('https', `${host}.localhost`, request.port)}${path}`;
    }
    return `Send a host that a rule names, e.g. curl -H 'Host: ${host}' http://${authority('http', '127.0.0.1', request.port)}${path} or open http://${authority('http', `${host}.localhost`, request.port)}${path}`;
  }
  const nearestText = nearest === undefined ? '' : ` Nearest: ${nearest}.`;
  return `Use one of the paths below, or add a path for ${pathOnly(request.path)} to the Ingress.${nearestText}`;
}

/** 503: the route's backend has no endpoint (unmapped Service, missing Service or port). */
export function noEndpointError(request: RequestLine, route: RouteRef | null, backend: Backend, reason: string, hint: string): ProxyError {
  return {
    kind: 'no-endpoint',
    status: 503,
    title: `No endpoint for ${formatBackend(backend, false)}`,
    request,
    route,
    target: null,
    via: null,
    error: reason,
    hint,
  };
}

/** A backend's `problem` (its Service or port is missing), found when the table was compiled. */
export function brokenBackendError(request: RequestLine, route: RouteRef | null, backend: Backend): ProxyError {
  const reason = backend.problem ?? `${formatBackend(backend, false)} cannot be reached`;
  const hint =
    backend.kind === 'resource'
      ? 'Resource backends are not served by ingress-dev; route this path to a Service.'
      : 'Fix the Service reference in the Ingress, or add the Service; `ingress-dev check` shows where.';
  return noEndpointError(request, route, backend, reason, hint);
}

const upstreamTitles: Readonly<Record<Exclude<ForwardError['kind'], 'client-aborted'>, readonly [ProxyErrorKind, number, string]>> = {
  refused: ['refused', 502, 'The backend refused the connection'],
  reset: ['reset', 502, 'The backend closed the connection without a complete response'],
  'connect-timeout': ['connect-timeout', 504, 'Connecting to the backend timed out'],
  'read-timeout': ['read-timeout', 504, 'The backend did not answer in time'],
  'send-timeout': ['send-timeout', 504, 'Sending the request body to the backend timed out'],
  'body-too-large': ['body-too-large', 413, 'The request body is larger than the location allows'],
  'bad-response': ['bad-response', 502, 'The backend sent a response that is not valid HTTP'],
  other: ['bad-gateway', 502, 'The request could not be forwarded to the backend'],
};

/** 502 or 504: the forwarder's error, with a hint for its kind. */
export function upstreamError(request: RequestLine, route: RouteRef | null, target: string, via: string | null, error: ForwardError): ProxyError {
  const kind = error.kind === 'client-aborted' ? 'other' : error.kind;
  const [errorKind, status, title] = upstreamTitles[kind];
  return { kind: errorKind, status, title, request, route, target, via, error: error.message, hint: upstreamHint(kind, target, via, error.message) };
}

function upstreamHint(kind: keyof typeof upstreamTitles, target: string, via: string | null, message: string): string {
  const mapped = via === null ? '' : ` (mapped by ${via})`;
  switch (kind) {
    case 'refused':
      return `Nothing listens at ${target}${mapped}: start the service there, or map the Service to where it runs.`;
    case 'reset':
      return `Check the backend's logs: it crashed, or speaks another protocol (an https backend needs an https:// target).`;
    case 'connect-timeout':
      return `${target}${mapped} did not accept the connection in time: check the host and port, and that the service is up.`;
    case 'read-timeout':
      return 'The backend accepted the request but was too slow; ingress-nginx waits 60 s (proxy-read-timeout), so it would time out in the cluster too.';
    case 'body-too-large':
      return 'ingress-nginx limits request bodies to proxy-body-size (1m by default): raise it with nginx.ingress.kubernetes.io/proxy-body-size (0 is no limit).';
    case 'send-timeout':
      return 'The backend stopped reading the request body (or the client stopped sending it); ingress-nginx gives up after 60 s (proxy-send-timeout).';
    case 'bad-response':
      return `The backend at ${target}${mapped} broke HTTP/1.1 framing or sent characters a proxy must not pass on (ingress-nginx answers 502 too): check what it writes, e.g. with curl -v ${target}.`;
    case 'other':
      if (message.includes('ENOTFOUND') || message.includes('EAI_AGAIN')) return `The host name of ${target} does not resolve: check the mapping${mapped}.`;
      if (/SSL|TLS|EPROTO/i.test(message)) return `TLS failed: if the backend speaks plain HTTP, map it as http:// or a bare port; if it speaks HTTPS, as https://.`;
      return `Check the target${mapped} and the backend's logs.`;
  }
}

/** 501: `CONNECT` (https through the forward proxy) would need TLS termination for the host. */
/**
 * `CONNECT` that ingress-dev does not terminate: never a blind tunnel to the internet. `why`:
 * `off` (no HTTPS listener), `port` (only :443 is terminated), `host` (no rule serves the host).
 */
export function connectNotSupportedError(request: RequestLine, why: 'off' | 'port' | 'host' | 'tunnel' = 'off'): ProxyError {
  const host = request.host.replace(/:\d+$/, '');
  const titles = {
    off: 'CONNECT is not supported: the HTTPS listener is off (--no-https), so https:// through the proxy cannot be answered',
    port: `CONNECT ${request.host} refused: ingress-dev terminates https:// on port 443 only`,
    host: `CONNECT ${request.host} refused: no rule serves ${host}, and ingress-dev opens no tunnel to the internet`,
    tunnel: `CONNECT ${request.host} refused: an HTTP/2 CONNECT asks for a tunnel, and ingress-dev opens none`,
  } as const;
  const hints = {
    off: `Use http:// URLs through the proxy (curl -x http://${authority('http', '127.0.0.1', request.port)} http://${host}/), or start up without --no-https.`,
    port: `Ask for https://${host}/ (port 443), or send the request to the HTTPS port directly.`,
    host: 'Add a rule for this host, or configure the browser to use the proxy for the Ingress hosts only.',
    tunnel: `Send the requests themselves on this connection (https://${host}/); WebSockets over HTTP/2 use CONNECT with :protocol (RFC 8441), which is served.`,
  } as const;
  return {
    kind: 'connect-not-supported',
    status: why === 'host' ? 403 : 501,
    title: titles[why],
    request,
    route: null,
    target: null,
    via: null,
    error: `CONNECT ${request.host}`,
    hint: hints[why],
  };
}

/** 500 of a Gateway API rule that cannot be applied, as the specification requires (httproute_types.go BackendRefs, Filters). */
export function gatewayRuleError(request: RequestLine, route: RouteRef | null, why: string): ProxyError {
  return { kind: 'gateway-rule', status: 500, title: 'The HTTPRoute rule cannot be applied: the Gateway API answers 500', request, route, target: null, via: null, error: why, hint: '`ingress-dev check` shows the rule\'s problem at its line (the status a controller would write: ResolvedRefs, Accepted)' };
}

/** A Gateway API RequestRedirect. */
export function gatewayRedirectError(request: RequestLine, route: RouteRef | null, status: number, location: string): ProxyError {
  return { kind: 'redirect', status, title: `redirected to ${location}`, request, route, target: null, via: null, error: 'RequestRedirect filter of the HTTPRoute rule', hint: 'The rule\'s RequestRedirect filter answers every request it matches', location };
}

/** 500: a bug in ingress-dev (or in a resolver); the request fails, the proxy keeps serving. */
/** ingress-nginx redirects: nginx's 301 from `/foo` to the location `/foo/`. */
export function redirectError(request: RequestLine, route: RouteRef | null, status: number, location: string, why: string): ProxyError {
  return { kind: 'redirect', status, title: `redirected to ${location}`, request, route, target: null, via: null, error: why, hint: 'This is what ingress-nginx answers: request the path with the trailing slash, or add an Exact or Prefix path without it', location, profile: 'nginx' };
}

/** nginx refuses the request's path before routing it (a bad percent-escape, `..` above the root). */
/** 413 before anything is sent: the declared Content-Length is over the location's proxy-body-size. */
export function bodyTooLargeError(request: RequestLine, route: RouteRef | null, length: number, limit: number): ProxyError {
  return { kind: 'body-too-large', status: 413, title: 'The request body is larger than the location allows', request, route, target: null, via: null, error: `Content-Length ${length} is over proxy-body-size ${limit} bytes`, hint: 'ingress-nginx limits request bodies to proxy-body-size (1m by default): raise it with nginx.ingress.kubernetes.io/proxy-body-size (0 is no limit).', profile: 'nginx' };
}

/**
 * An answer ingress-nginx writes itself in the location: a CORS preflight's 204, basic auth's
 * 401 (with WWW-Authenticate), a source range's 403, a denied location's 503.
 */
export function nginxReplyError(request: RequestLine, route: RouteRef | null, reply: { readonly status: number; readonly headers: readonly (readonly [string, string])[]; readonly by: string; readonly why: string }): ProxyError {
  const base = { request, route, target: null, via: null, error: reply.why, headers: reply.headers, profile: 'nginx' as const };
  switch (reply.status) {
    case 204:
      return { ...base, kind: 'preflight', status: 204, title: 'CORS preflight answered by ingress-nginx', hint: 'nginx answers an OPTIONS request from an allowed origin itself (enable-cors); the backend never sees it' };
    case 401:
      return { ...base, kind: 'unauthorized', status: 401, title: 'Basic authentication required', hint: 'Send the user and password of the auth-secret\'s htpasswd file: curl -u USER:PASSWORD' };
    case 403:
      return { ...base, kind: 'forbidden', status: 403, title: 'The client address is not allowed', hint: 'ingress-nginx checks the client address against denylist-source-range and allowlist-source-range (whitelist-source-range); with explain, --client-ip tries another address' };
    default:
      return { ...base, kind: 'location-denied', status: reply.status, title: 'ingress-nginx denies this location', hint: 'An annotation of the Ingress has a value ingress-nginx refuses (ingress-dev check says which): every path of the Ingress answers 503 until it is fixed' };
  }
}

export function badRequestError(request: RequestLine, why: string): ProxyError {
  return { kind: 'bad-request', status: 400, title: 'nginx refuses this path', request, route: null, target: null, via: null, error: why, hint: 'nginx decodes %XX escapes and resolves dot segments before it routes; fix the URL', profile: 'nginx' };
}

export function internalError(request: RequestLine, err: unknown): ProxyError {
  return {
    kind: 'internal',
    status: 500,
    title: 'ingress-dev failed to handle this request',
    request,
    route: null,
    target: null,
    via: null,
    error: err instanceof Error ? err.message : String(err),
    hint: 'This is a bug in ingress-dev: please report it with the request and the manifests that caused it.',
  };
}

export function routeRefOf(winner: Route | DefaultBackendRoute | null): RouteRef | null {
  return winner === null ? null : { id: winner.id, file: winner.source.file, line: winner.source.line };
}

function listRoute(route: Route): RouteListing {
  return { host: route.host, pathType: route.pathType, path: route.path, backend: formatBackend(route.backend, false), id: route.id };
}

function pathOnly(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
