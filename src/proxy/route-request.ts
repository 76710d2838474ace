import type { EchoStandIn } from '../backends/echo.js';
import type { BackendResolver, TargetResolution, UnavailableResolution } from '../backends/types.js';
import type { Backend, NginxBackendAffinity, RouteTable, RoutingProfile, ServiceBackend } from '../model/types.js';
import type { HeaderEdits } from '../model/gateway/types.js';
import { stickyChoice, stickyFailover, type StickyContext } from '../routing/nginx-sticky.js';
import { localhostSuffix, matchWithAlias } from '../routing/match.js';
import type { NginxConfig } from '../model/nginx/config.js';
import type { Match, NginxStep } from '../routing/types.js';
import { normalizeHost } from '../routing/host.js';
import {
  badRequestError,
  gatewayRedirectError,
  gatewayRuleError,
  nginxReplyError,
  brokenBackendError,
  redirectError,
  noEndpointError,
  noRouteError,
  routeRefOf,
  type ProxyError,
  type RequestLine,
  type RouteRef,
} from './errors.js';
import type { HttpTarget } from './forward.js';

/**
 * Where one request goes: the HTTP adapter around the pure matcher, shared by plain requests
 * and `Upgrade` requests. Works out the host to route on (Host header, absolute-form URL, or
 * the `.localhost` alias), matches, and resolves the Service to a target.
 */

export interface RequestInput {
  readonly method: string;
  /** The request target as received: `/path?q`, or `http://host/path?q` (absolute form). */
  readonly url: string;
  readonly hostHeader: string | undefined;
  /** The port the client connected to. */
  readonly localPort: number;
  /** The request's headers (ingress-nginx's canary, CORS and basic auth read them). */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  /** The client's address (ingress-nginx's source ranges check it). */
  readonly clientAddress?: string;
  /** `https` when the request came over TLS (default http). */
  readonly scheme?: 'http' | 'https';
  /** The HTTPS listener's port, when there is one (ingress-nginx's https:// redirects point there). */
  readonly httpsPort?: number | null;
  /** The HTTP listener's port (a Gateway API redirect to http:// points there). */
  readonly httpPort?: number | null;
}

export interface RoutingBase {
  /** The profile of the table that routed the request: it decides what the proxy adds (`Server`). */
  readonly profile: RoutingProfile;
  /** The host as received (Host header or URL authority, port included), for events. */
  readonly receivedHost: string | null;
  readonly line: RequestLine;
  /** The route id, or the defaultBackend's id; null for no route. */
  readonly routeId: string | null;
  readonly route: RouteRef | null;
  /** For the `nginx` profile: the controller ConfigMap's settings and `$remote_addr` (the realip module's client address). */
  readonly nginx?: { readonly config: NginxConfig; readonly remoteAddress: string };
  /** Headers set on whatever response goes back, as `more_set_headers` does (ingress-nginx's CORS, add-headers). */
  readonly responseHeaders?: readonly (readonly [string, string])[];
  /** What each ingress-nginx annotation did, for the request view. */
  readonly steps?: readonly NginxStep[];
}

export interface ForwardRouting extends RoutingBase {
  readonly kind: 'forward';
  /** The Service port, to ask the resolver for another endpoint when this one failed. */
  readonly backend: ServiceBackend;
  readonly target: HttpTarget;
  readonly via: string;
  /** The Host header the backend receives. */
  readonly upstreamHost: string;
  readonly upstreamPath: string;
  /** The client's host, for X-Forwarded-Host, when the backend gets another Host (upstream-vhost). */
  readonly forwardedHost?: string;
  /** Headers the profile adds for the backend (X-Forwarded-Prefix). */
  readonly upstreamHeaders?: readonly (readonly [string, string])[];
  /** The largest request body, in bytes (ingress-nginx's proxy-body-size). */
  readonly bodyLimit?: number | null;
  /** Request headers the backend does not get (ingress-nginx's basic auth clears Authorization). */
  readonly upstreamClears?: readonly string[];
  /** ingress-nginx's cookie affinity chose the endpoint: what its retries and Set-Cookie need. */
  readonly sticky?: StickyState;
  /** Gateway API RequestHeaderModifier filters, applied in order to what the backend receives. */
  readonly headerEdits?: readonly HeaderEdits[];
  /** Gateway API ResponseHeaderModifier filters, applied in order to the backend's response. */
  readonly responseEdits?: readonly HeaderEdits[];
  /** A GRPCRoute's backend: forwarded over HTTP/2 (h2c to http:// targets). */
  readonly grpc?: boolean;
  /** Gateway API `timeouts`: how long the backend may take to answer, instead of the proxy's read timeout (0: no limit). */
  readonly readTimeoutMs?: number;
  /** Gateway API RequestMirror: where copies of the request go (drawn by percent already); their answers are discarded. */
  readonly mirrors?: readonly { readonly backend: ServiceBackend; readonly target: HttpTarget }[];
}

export interface EchoRouting extends RoutingBase {
  readonly kind: 'echo';
  readonly standIn: EchoStandIn;
  readonly upstreamHost: string;
  readonly upstreamPath: string;
  readonly forwardedHost?: string;
  readonly upstreamHeaders?: readonly (readonly [string, string])[];
  readonly sticky?: StickyState;
  readonly headerEdits?: readonly HeaderEdits[];
  readonly responseEdits?: readonly HeaderEdits[];
}

export interface ErrorRouting extends RoutingBase {
  readonly kind: 'error';
  readonly error: ProxyError;
  readonly upstreamPath: string | null;
}

export type Routing = ForwardRouting | EchoRouting | ErrorRouting;

export function routeRequest(table: RouteTable, resolver: BackendResolver, input: RequestInput): Routing {
  const { host: receivedHost, path } = parseRequestTarget(input.url, input.hostHeader);
  const { match, alias } = matchWithAlias(table, { host: receivedHost, path, method: input.method, port: input.localPort, ...(input.headers === undefined ? {} : { headers: input.headers }), ...(input.clientAddress === undefined ? {} : { clientAddress: input.clientAddress }), ...(input.scheme === undefined ? {} : { scheme: input.scheme }), ...(input.httpsPort === undefined ? {} : { httpsPort: input.httpsPort }), ...(input.httpPort === undefined ? {} : { httpPort: input.httpPort }) });
  const line: RequestLine = { method: input.method, host: match.host, path, port: input.localPort, ...(input.scheme === 'https' ? { scheme: 'https' as const } : {}) };
  const winner = match.route ?? match.defaultBackend;
  const gatewayEntry = match.gateway?.entry ?? null;
  const routeId = gatewayEntry === null ? (winner?.id ?? null) : `${gatewayEntry.rule.id}.m${gatewayEntry.match.index}`;
  const route = gatewayEntry === null ? routeRefOf(winner) : { id: routeId ?? '', file: gatewayEntry.match.source.file, line: gatewayEntry.match.source.line };
  const backend = match.backend;
  const upstreamPath = match.upstreamPath;
  const profile = match.profile;
  // ingress-nginx's answers look like its own; the spec profile's explain themselves.
  const nginx = match.nginxContext === undefined ? {} : { nginx: match.nginxContext };
  const responseHeaders = [...(match.nginxContext?.config.addHeaders ?? []), ...(match.responseHeaders ?? [])];
  const extra = { ...nginx, ...(responseHeaders.length === 0 ? {} : { responseHeaders }), ...(match.steps === undefined || match.steps.length === 0 ? {} : { steps: match.steps }) };
  const fail = (error: ProxyError, at: string | null = upstreamPath): ErrorRouting => ({ kind: 'error', profile, receivedHost, line, routeId, route, ...extra, error: profile === 'nginx' ? { ...error, profile } : error, upstreamPath: at });
  const gateway = match.gateway;
  if (gateway !== undefined) {
    if (gateway.outcome.kind === 'fail') return fail(gatewayRuleError(line, route, gateway.outcome.why), null);
    if (gateway.outcome.kind === 'preflight') return fail({ ...nginxReplyError(line, route, { status: 204, headers: gateway.outcome.headers, by: 'CORS', why: 'the HTTPRoute\'s CORS filter answers the preflight' }), title: 'CORS preflight answered by the HTTPRoute\'s CORS filter', hint: 'The CORS filter answers an OPTIONS request with Origin and Access-Control-Request-Method itself; the backend never sees it', profile: 'gateway' }, null);
    if (gateway.outcome.kind === 'redirect') {
      // Reached through `HOST.localhost`, a redirect that keeps the host keeps the alias, so the browser stays here.
      const location = alias === null ? gateway.outcome.location : gateway.outcome.location.replace(new RegExp(`^(https?://)${alias.replaceAll('.', '\\.')}(?=[:/]|$)`), `$1${alias}${localhostSuffix}`);
      return fail(gatewayRedirectError(line, route, gateway.outcome.status, location), null);
    }
  }
  const decision = match.nginx;
  if (decision?.kind === 'redirect') {
    // nginx writes the Host it received (lower case, without the port: port_in_redirect off).
    const location = `http://${normalizeHost(receivedHost)}${decision.to}`;
    return fail(redirectError(line, route, 301, location, `nginx answers ${decision.uri} with a 301 to its location ${decision.location.directive}, whose name ends in /`), null);
  }
  if (decision?.kind === 'bad-request') return fail(badRequestError(line, decision.why), null);
  if (match.reply !== undefined && match.reply !== null) return fail(nginxReplyError(line, route, match.reply), null);
  if (match.redirect !== null) {
    // The www twin's redirect names the host it redirects to; reached through `.localhost`, it stays there.
    const location = alias !== null && match.redirect.by === 'from-to-www-redirect' ? match.redirect.location.replace(/^(https?:\/\/[^/:]+)/, `$1${localhostSuffix}`) : match.redirect.location;
    return fail(redirectError(line, route, match.redirect.status, location, `ingress-nginx answers with a redirect (${match.redirect.by})`), null);
  }
  if (match.status === 404 || backend === null || upstreamPath === null) return fail(noRouteError(table, line, input.headers), null);
  const chosen = resolveWithFallback(resolver, match, backend, input);
  if ('broken' in chosen) {
    if (match.status === 503 || backend.kind === 'resource') return fail(brokenBackendError(line, route, backend));
    return fail(noEndpointError(line, route, backend as ServiceBackend, chosen.broken.reason, chosen.broken.hint));
  }
  const { resolution, served, extraHeaders, sticky } = chosen;
  const edits = gateway?.outcome.kind === 'forward' ? gatewayEdits(gateway.outcome.requestEdits, gateway.outcome.responseEdits) : {};
  const mirrors = gateway?.outcome.kind === 'forward' ? mirrorTargets(resolver, gateway.outcome.mirrors) : [];
  // The matcher's affinity step says what it could know; the sticky balancer's choice replaces it.
  const routedSteps = sticky === undefined ? extra : { ...extra, steps: [...(match.steps ?? []).filter((step) => step.by !== 'affinity'), { by: 'affinity', what: sticky.why }] };
  // The backend sees the host it would see in the cluster: the alias without `.localhost`, or upstream-vhost's.
  const clientHost = alias ?? receivedHost ?? '';
  const upstreamHost = match.upstreamHost ?? clientHost;
  const profileHeaders = match.upstreamHost !== null && match.upstreamHost !== undefined ? { forwardedHost: clientHost } : {};
  // backend-protocol HTTPS (or GRPCS): nginx talks TLS to the same address.
  const tls = (match.backendProtocol === 'HTTPS' || match.backendProtocol === 'GRPCS') && resolution.target.kind === 'http' && resolution.target.protocol === 'http:';
  const target = tls && resolution.target.kind === 'http' ? { ...resolution.target, protocol: 'https:' as const, origin: resolution.target.origin.replace(/^http:/, 'https:') } : resolution.target;
  if (target.kind === 'echo') {
    const { service, namespace, port, portName } = served;
    const standIn: EchoStandIn = { service, namespace, port, portName, route: routeId };
    return { kind: 'echo', profile, receivedHost, line, routeId, route, ...routedSteps, ...(sticky === undefined ? {} : { sticky: sticky.state }), standIn, upstreamHost, upstreamPath, ...profileHeaders, ...(extraHeaders.length === 0 ? {} : { upstreamHeaders: extraHeaders }), ...edits };
  }
  const mirrored = mirrors.length === 0 ? routedSteps : { ...routedSteps, steps: [...(routedSteps.steps ?? []), ...mirrors.map((m) => ({ by: 'RequestMirror', what: `a copy goes to ${m.backend.service}:${m.backend.port ?? ''} (${m.target.origin}); its answer is discarded` }))] };
  return { kind: 'forward', profile, receivedHost, line, routeId, route, ...mirrored, ...(sticky === undefined ? {} : { sticky: sticky.state }), backend: served, target, via: resolution.via, upstreamHost, upstreamPath, ...profileHeaders, ...(extraHeaders.length === 0 ? {} : { upstreamHeaders: extraHeaders }), ...(match.bodyLimit === undefined || match.bodyLimit === null ? {} : { bodyLimit: match.bodyLimit }), ...(match.upstreamClears === undefined ? {} : { upstreamClears: match.upstreamClears }), ...edits, ...(mirrors.length === 0 ? {} : { mirrors }), ...(gateway?.outcome.kind === 'forward' && gateway.outcome.timeoutMs !== null ? { readTimeoutMs: gateway.outcome.timeoutMs } : {}), ...(gateway?.entry?.rule.grpc === true ? { grpc: true } : {}) };
}

/** The mirrors this request goes to (each by its percent), resolved; an echo or unreachable one is skipped. */
function mirrorTargets(resolver: BackendResolver, mirrors: readonly { readonly backend: Backend; readonly percent: number }[]): { backend: ServiceBackend; target: HttpTarget }[] {
  const out: { backend: ServiceBackend; target: HttpTarget }[] = [];
  for (const m of mirrors) {
    if (m.backend.kind !== 'service' || (m.percent < 100 && Math.random() * 100 >= m.percent)) continue;
    const resolution = resolver.resolve(m.backend);
    if (resolution.kind === 'target' && resolution.target.kind === 'http') out.push({ backend: m.backend, target: resolution.target });
  }
  return out;
}

function gatewayEdits(request: readonly HeaderEdits[], response: readonly HeaderEdits[]): { headerEdits?: readonly HeaderEdits[]; responseEdits?: readonly HeaderEdits[] } {
  return { ...(request.length === 0 ? {} : { headerEdits: request }), ...(response.length === 0 ? {} : { responseEdits: response }) };
}

/**
 * The target of the matched backend; with ingress-nginx's default-backend annotation, when the
 * backend cannot be reached (no endpoints, or no Service), that Service's, if it can
 * (controller.go: the custom default backend is used only when it has endpoints), with the
 * X-Code headers for the backend.
 */
function resolveWithFallback(resolver: BackendResolver, match: Match, backend: Backend, input: RequestInput):
  | { readonly resolution: TargetResolution; readonly served: ServiceBackend; readonly extraHeaders: readonly (readonly [string, string])[]; readonly sticky?: { readonly state: StickyState; readonly why: string } }
  | { readonly broken: { readonly reason: string; readonly hint: string } } {
  if (match.affinity !== undefined && backend.kind === 'service' && match.status !== 503 && resolver.endpoints !== undefined) {
    const found = stickyResolve(resolver.endpoints(backend), match.affinity, input);
    if (!('kind' in found)) return { resolution: found.resolution, served: backend, extraHeaders: match.upstreamHeaders ?? [], sticky: { state: found.state, why: found.why } };
    if (match.fallback === undefined) return { broken: { reason: found.reason, hint: found.hint } };
  }
  const own = match.status === 503 || backend.kind === 'resource' ? null : resolver.resolve(backend);
  if (own !== null && own.kind === 'target' && backend.kind === 'service') return { resolution: own, served: backend, extraHeaders: match.upstreamHeaders ?? [] };
  const fallback = match.fallback;
  if (fallback !== undefined && fallback.backend.kind === 'service') {
    const other = resolver.resolve(fallback.backend);
    if (other.kind === 'target') return { resolution: other, served: fallback.backend, extraHeaders: [...(match.upstreamHeaders ?? []), ...fallback.headers] };
  }
  return { broken: own !== null && own.kind === 'unavailable' ? { reason: own.reason, hint: own.hint } : { reason: '', hint: '' } };
}

/** What ingress-nginx's sticky balancer knows of one request, for its retries (handle-request.ts) and its Set-Cookie. */
export interface StickyState {
  readonly affinity: NginxBackendAffinity;
  /** The request's Cookie header and User-Agent (SameSite=None is left out for some browsers). */
  readonly cookie: string | undefined;
  readonly userAgent: string | undefined;
  /** The cookie is Secure on https requests. */
  readonly scheme: 'http' | 'https';
  readonly endpoints: readonly TargetResolution[];
  /** Endpoints (`address:port`) this request could not be sent to. */
  readonly failed: readonly string[];
  /** The Set-Cookie values the balancer set during the request, sent before the backend's headers. */
  readonly setCookies: readonly string[];
}

/** An endpoint as sticky.lua names it: `address:port` (util.get_nodes); the echo is one endpoint. */
export function endpointKey(target: TargetResolution['target']): string {
  return target.kind === 'echo' ? 'echo' : `${target.host}:${target.port}`;
}

/** sticky.lua balance() for a first try: the cookie's endpoint, or a new one (and the cookie set, where this path sets it). */
function stickyResolve(found: readonly TargetResolution[] | UnavailableResolution, affinity: NginxBackendAffinity, input: RequestInput): { readonly resolution: TargetResolution; readonly state: StickyState; readonly why: string } | UnavailableResolution {
  if ('kind' in found) return found;
  const cookie = headerText(input.headers?.['cookie'], '; ');
  const userAgent = headerText(input.headers?.['user-agent'], ', ');
  const keys = found.map((r) => endpointKey(r.target));
  const choice = stickyChoice(affinity.config, keys, cookie, stickyContextOf(affinity, userAgent, input.scheme ?? 'http'), Math.random);
  const resolution = found[choice.endpoint === null ? -1 : keys.indexOf(choice.endpoint)];
  if (resolution === undefined) return { kind: 'unavailable', cause: 'docker', reason: choice.why, hint: 'Start a container of the Service' };
  const state: StickyState = { affinity, cookie, userAgent, scheme: input.scheme ?? 'http', endpoints: found, failed: [], setCookies: choice.setCookie === null ? [] : [choice.setCookie] };
  return { resolution, state, why: `${affinity.upstream} (${affinity.config.mode}): ${choice.why}` };
}

/**
 * sticky.lua balance() after a failed try (proxy_next_upstream): another endpoint when
 * session-cookie-change-on-failure is on or the cookie leads nowhere, with the cookie set to
 * it; null when the retry would go to the endpoint that failed, or none is left.
 */
export function stickyRetry(state: StickyState, failed: TargetResolution['target']): { readonly resolution: TargetResolution; readonly state: StickyState; readonly why: string } | null {
  const failedKeys = [...state.failed, endpointKey(failed)];
  const keys = state.endpoints.map((r) => endpointKey(r.target));
  const choice = stickyFailover(state.affinity.config, keys, state.cookie, failedKeys, stickyContextOf(state.affinity, state.userAgent, state.scheme), Math.random);
  if (choice.endpoint === null || failedKeys.includes(choice.endpoint)) return null;
  const resolution = state.endpoints[keys.indexOf(choice.endpoint)];
  if (resolution === undefined) return null;
  return {
    resolution,
    state: { ...state, failed: failedKeys, setCookies: choice.setCookie === null ? state.setCookies : [...state.setCookies, choice.setCookie] },
    why: `${state.affinity.upstream} (${state.affinity.config.mode}): ${choice.why}`,
  };
}

function stickyContextOf(affinity: NginxBackendAffinity, userAgent: string | undefined, scheme: 'http' | 'https'): StickyContext {
  return { scheme, locationPath: affinity.locationPath, upstream: affinity.upstream, setsCookie: affinity.setsCookie, ...(userAgent === undefined ? {} : { userAgent }) };
}

function headerText(value: string | string[] | undefined, separator: string): string | undefined {
  return Array.isArray(value) ? value.join(separator) : value;
}

/**
 * The host and path a request is routed on. An absolute-form target (the proxy used as an HTTP
 * proxy: `GET http://app.example.com/get`) carries its host, which wins over the Host header
 * (RFC 9112 section 3.2.2); its path and query are kept byte for byte.
 */
export function parseRequestTarget(url: string, hostHeader: string | undefined): { host: string | null; path: string } {
  if (url.startsWith('/')) return { host: hostHeader ?? null, path: url };
  const scheme = /^https?:\/\//i.exec(url);
  if (scheme === null) return { host: hostHeader ?? null, path: url };
  const rest = url.slice(scheme[0].length);
  const end = rest.search(/[/?]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  const after = end === -1 ? '' : rest.slice(end);
  const at = authority.lastIndexOf('@');
  return {
    host: at === -1 ? authority : authority.slice(at + 1),
    path: after === '' ? '/' : after.startsWith('?') ? `/${after}` : after,
  };
}

