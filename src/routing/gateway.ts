import { hostnameMatches, wildcardSuffixes } from '../model/gateway/hostname.js';
import { prefixSegments } from '../model/path.js';
import type { CompiledBackendRef, CompiledFilter, CompiledMatch, CorsPolicy, EntryIndex, GatewayTable, HeaderEdits, ListenerGroup, ListenerIndex, RouteEntry } from '../model/gateway/types.js';
import type { Backend } from '../model/types.js';
import type { Candidate, MatchRequest } from './types.js';

/**
 * Gateway API routing of one request (pure): the listener group whose hostname is the most
 * specific match for the host, then the first of its route matches, in the specification's
 * precedence (the entries are sorted at compile time, by effective hostname: precise names,
 * then wildcards from the longest, then routes for any host), then the rule's filters and a
 * backendRef chosen by weight with the random number passed in.
 */

export type GatewayOutcome =
  | {
      readonly kind: 'forward';
      readonly backend: Backend;
      /** The request target the backend receives (URLRewrite's path, the query kept). */
      readonly upstreamPath: string;
      /** URLRewrite's hostname: the Host header the backend receives. */
      readonly upstreamHost: string | null;
      readonly requestEdits: readonly HeaderEdits[];
      readonly responseEdits: readonly HeaderEdits[];
      /** RequestMirror filters: a copy of the request goes to each (its answer is discarded), for `percent` of requests. */
      readonly mirrors: readonly { readonly backend: Backend; readonly percent: number }[];
      /** The rule's timeouts: how long the backend may take to answer (0: no limit); null: the proxy's own. */
      readonly timeoutMs: number | null;
    }
  | { readonly kind: 'redirect'; readonly status: 301 | 302 | 303 | 307 | 308; readonly location: string; readonly responseEdits: readonly HeaderEdits[] }
  /** The CORS filter answers a preflight itself: 204, with its headers when the origin is allowed. */
  | { readonly kind: 'preflight'; readonly headers: readonly (readonly [string, string])[]; readonly allowed: boolean }
  /** 500, as the specification requires: a rule that cannot be applied, no backendRefs, an invalid backendRef's share. */
  | { readonly kind: 'fail'; readonly why: string }
  | { readonly kind: 'no-match' };

export interface GatewayDecision {
  readonly group: ListenerGroup;
  readonly entry: RouteEntry | null;
  /** The backendRef chosen by weight (index in the rule's list), when the rule forwards. */
  readonly backendRef: number | null;
  readonly outcome: GatewayOutcome;
  /** What the filters did, in order, for explain and the request view. */
  readonly steps: readonly { readonly by: string; readonly what: string }[];
}

/** The listener group of the request's scheme that takes the host: the most specific listener hostname. */
export function selectListenerGroup(index: ListenerIndex, host: string): ListenerGroup | null {
  const exact = index.exact.get(host);
  if (exact !== undefined) return exact;
  for (const suffix of wildcardSuffixes(host)) {
    const group = index.wildcard.get(suffix);
    if (group !== undefined) return group;
  }
  return index.any;
}

/** The listener index of the request's scheme, or null when the folder has no Gateway API routes. */
export function listenerIndexOf(gateway: GatewayTable | undefined | null, scheme: 'http' | 'https' | undefined): ListenerIndex | null {
  if (gateway === undefined || gateway === null) return null;
  return scheme === 'https' ? gateway.https : gateway.http;
}

/** Entry lists of a group the host can match, most specific hostname first. */
export function candidateLists(entries: EntryIndex, host: string): (readonly RouteEntry[])[] {
  const lists: (readonly RouteEntry[])[] = [];
  const exact = entries.exact.get(host);
  if (exact !== undefined) lists.push(exact);
  for (const suffix of wildcardSuffixes(host)) {
    const list = entries.wildcard.get(suffix);
    if (list !== undefined) lists.push(list);
  }
  if (entries.any.length > 0) lists.push(entries.any);
  return lists;
}

export interface ParsedTarget {
  readonly path: string;
  readonly query: string;
  readonly params: URLSearchParams;
}

export function parseTarget(target: string): ParsedTarget {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q + 1);
  // Parsed only when a query parameter match asks (most routes have none).
  let params: URLSearchParams | null = null;
  return {
    path,
    query,
    get params() {
      params ??= new URLSearchParams(query);
      return params;
    },
  };
}

/** A gRPC call: `content-type: application/grpc` (with `+proto`, `+json`, …). */
export function isGrpcRequest(request: MatchRequest): boolean {
  return headerValue(request, 'content-type')?.startsWith('application/grpc') === true;
}

/** Why a match does not take the request; null when it does. */
export function matchFailure(match: CompiledMatch, request: MatchRequest, target: ParsedTarget): string | null {
  const p = match.path;
  if (p.type === 'Exact' && target.path !== p.value) return `path ${target.path} is not Exact ${p.value}`;
  if (p.type === 'PathPrefix' && !prefixMatches(p.segments, target.path)) return `path ${target.path} is not under PathPrefix ${p.value} (element by element)`;
  if (p.type === 'RegularExpression' && !p.regex.test(target.path)) return `path ${target.path} does not match RegularExpression ${p.value}`;
  if (match.method !== null && (request.method ?? 'GET') !== match.method) return `method ${request.method ?? 'GET'} is not ${match.method}`;
  for (const h of match.headers) {
    const value = headerValue(request, h.name);
    if (value === undefined) return `header ${h.name} is missing`;
    if (h.regex === null ? value !== h.value : !h.regex.test(value)) return `header ${h.name}: ${value} does not match ${h.type === 'Exact' ? `"${h.value}"` : `/${h.value}/`}`;
  }
  for (const q of match.queryParams) {
    const value = target.params.get(q.name);
    if (value === null) return `query parameter ${q.name} is missing`;
    if (q.regex === null ? value !== q.value : !q.regex.test(value)) return `query parameter ${q.name}=${value} does not match ${q.type === 'Exact' ? `"${q.value}"` : `/${q.value}/`}`;
  }
  return null;
}

function prefixMatches(segments: readonly string[], path: string): boolean {
  if (segments.length === 0) return true;
  const got = prefixSegments(path);
  if (got.length < segments.length) return false;
  for (let i = 0; i < segments.length; i++) if (got[i] !== segments[i]) return false;
  return true;
}

function headerValue(request: MatchRequest, name: string): string | undefined {
  const value = request.headers?.[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The first entry of the group that takes the request, in precedence order. */
export function findEntry(group: ListenerGroup, host: string, request: MatchRequest, target: ParsedTarget): RouteEntry | null {
  // grpcroute_types.go: GRPCRoutes and HTTPRoutes are never merged, and never share a hostname on
  // a listener (cross serving). A gRPC call goes to the GRPCRoutes, else to an HTTPRoute (it is
  // an HTTP/2 POST like any other); every other request only to HTTPRoutes.
  if (isGrpcRequest(request)) return findEntryOf(group, host, request, target, true) ?? findEntryOf(group, host, request, target, false);
  return findEntryOf(group, host, request, target, false);
}

function findEntryOf(group: ListenerGroup, host: string, request: MatchRequest, target: ParsedTarget, grpc: boolean): RouteEntry | null {
  for (const list of candidateLists(group.entries, host)) {
    for (const entry of list) {
      if ((entry.rule.grpc === true) !== grpc) continue;
      // A wildcard or any-host entry serves the host only when its own hostname takes it.
      if (entry.hostname !== null && entry.hostname !== host && !hostnameMatches(entry.hostname, host)) continue;
      if (matchFailure(entry.match, request, target) === null) return entry;
    }
  }
  return null;
}

export interface GatewayRequestContext {
  /** The request's host, lower case without the port. */
  readonly host: string;
  readonly scheme: 'http' | 'https';
  /** The port the request came to (the listener's, locally). */
  readonly port: number;
  /** The HTTPS listener's port, for a redirect to https:// (443 when there is none). */
  readonly httpsPort: number | null;
  /** The HTTP listener's port, for a redirect to http://. */
  readonly httpPort: number | null;
}

/**
 * The request target as Envoy-based Gateway API implementations (Istio, Envoy Gateway,
 * kgateway) see it: `.` and `..` segments removed (RFC 3986 section 5.2.4) before matching and
 * in the path forwarded; slashes are not merged. The specification leaves normalization to the
 * implementation; the Kubernetes blog "Before You Migrate: Five Surprising Ingress-NGINX
 * Behaviors" (section 5) describes these defaults.
 */
export function normalizeGatewayTarget(target: string): string {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  if (!/(^|\/)\.\.?(\/|$)/.test(path)) return target;
  const out: string[] = [];
  const segments = path.split('/');
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '.') {
      if (last) out.push('');
    } else if (segment === '..') {
      if (out.length > 1) out.pop();
      if (last) out.push('');
    } else out.push(segment);
  });
  const normalized = out.join('/');
  return `${normalized.startsWith('/') ? normalized : `/${normalized}`}${q === -1 ? '' : target.slice(q)}`;
}

export function decideGateway(group: ListenerGroup, original: MatchRequest, ctx: GatewayRequestContext): GatewayDecision {
  const request = { ...original, path: normalizeGatewayTarget(original.path) };
  const target = parseTarget(request.path);
  const entry = findEntry(group, ctx.host, request, target);
  if (entry === null) return { group, entry: null, backendRef: null, outcome: { kind: 'no-match' }, steps: [] };
  const rule = entry.rule;
  const steps: { by: string; what: string }[] = [];
  if (rule.fails !== null) return { group, entry, backendRef: null, outcome: { kind: 'fail', why: rule.fails }, steps };
  const redirect = rule.filters.find((f) => f.type === 'RequestRedirect');
  const responseEdits = editsOf(rule.filters, 'ResponseHeaderModifier');
  if (redirect !== undefined && redirect.type === 'RequestRedirect') {
    const location = redirectLocation(redirect, entry.match, target, ctx);
    steps.push({ by: 'RequestRedirect', what: `answers ${redirect.statusCode} with Location ${location}` });
    return { group, entry, backendRef: null, outcome: { kind: 'redirect', status: redirect.statusCode, location, responseEdits }, steps };
  }
  const cors = rule.filters.find((f) => f.type === 'CORS');
  const origin = headerValue(request, 'origin');
  let corsEdits: HeaderEdits | null = null;
  if (cors !== undefined && cors.type === 'CORS' && origin !== undefined) {
    const allowed = corsOriginAllowed(cors, origin);
    const requestMethod = headerValue(request, 'access-control-request-method');
    if ((request.method ?? 'GET') === 'OPTIONS' && requestMethod !== undefined) {
      const headers = allowed ? corsPreflightHeaders(cors, origin, requestMethod, headerValue(request, 'access-control-request-headers')) : [];
      steps.push({ by: 'CORS', what: allowed ? `the preflight from ${origin} is answered 204 with the CORS headers` : `origin ${origin} is not allowed: the preflight is answered 204 without CORS headers` });
      return { group, entry, backendRef: null, outcome: { kind: 'preflight', headers, allowed }, steps };
    }
    if (allowed) {
      corsEdits = { set: corsResponseHeaders(cors, origin), add: [], remove: [] };
      steps.push({ by: 'CORS', what: `origin ${origin} is allowed: the response gets Access-Control-Allow-Origin` });
    } else steps.push({ by: 'CORS', what: `origin ${origin} is not allowed: the response gets no CORS headers` });
  }
  const chosen = chooseBackend(rule.backendRefs, request.random ?? Math.random);
  if (chosen === null) return { group, entry, backendRef: null, outcome: { kind: 'fail', why: 'every backendRef has weight 0' }, steps };
  const ref = rule.backendRefs[chosen] as CompiledBackendRef;
  if (rule.backendRefs.length > 1) steps.push({ by: 'weight', what: `backendRef ${chosen} (weight ${ref.weight} of ${rule.backendRefs.reduce((n, b) => n + b.weight, 0)})` });
  if (ref.backend === null || ref.invalid !== null) return { group, entry, backendRef: chosen, outcome: { kind: 'fail', why: ref.invalid ?? 'invalid backendRef' }, steps };
  const filters = [...rule.filters, ...ref.filters];
  let upstreamPath = request.path;
  let upstreamHost: string | null = null;
  for (const f of filters) {
    if (f.type === 'URLRewrite') {
      if (f.hostname !== null) upstreamHost = f.hostname;
      if (f.path !== null) upstreamPath = rewritePath(f.path, entry.match, target);
      steps.push({ by: 'URLRewrite', what: `${f.hostname === null ? '' : `Host ${f.hostname}`}${f.hostname !== null && f.path !== null ? ', ' : ''}${f.path === null ? '' : `path ${target.path} → ${upstreamPath.split('?')[0] ?? ''}`}` });
    } else if (f.type === 'RequestHeaderModifier') {
      steps.push({ by: 'RequestHeaderModifier', what: describeEdits(f.edits) });
    } else if (f.type === 'ResponseHeaderModifier') {
      steps.push({ by: 'ResponseHeaderModifier', what: describeEdits(f.edits) });
    }
  }
  const mirrors = filters.flatMap((f) => (f.type === 'RequestMirror' ? [{ backend: f.backend, percent: f.percent }] : []));
  return {
    group,
    entry,
    backendRef: chosen,
    outcome: { kind: 'forward', backend: ref.backend, upstreamPath, upstreamHost, requestEdits: editsOf(filters, 'RequestHeaderModifier'), responseEdits: corsEdits === null ? editsOf(filters, 'ResponseHeaderModifier') : [...editsOf(filters, 'ResponseHeaderModifier'), corsEdits], mirrors, timeoutMs: rule.timeoutMs },
    steps,
  };
}

function editsOf(filters: readonly CompiledFilter[], type: 'RequestHeaderModifier' | 'ResponseHeaderModifier'): HeaderEdits[] {
  return filters.flatMap((f) => (f.type === type ? [f.edits] : []));
}

function describeEdits(edits: HeaderEdits): string {
  const parts = [
    ...edits.set.map(([n, v]) => `set ${n}: ${v}`),
    ...edits.add.map(([n, v]) => `add ${n}: ${v}`),
    ...edits.remove.map((n) => `remove ${n}`),
  ];
  return parts.join(', ');
}

/** A backendRef by weight: random in [0, 1) over the sum of the weights; null when they are all 0. */
export function chooseBackend(refs: readonly CompiledBackendRef[], random: () => number): number | null {
  const total = refs.reduce((n, b) => n + b.weight, 0);
  if (total <= 0) return null;
  let pick = random() * total;
  for (const [i, b] of refs.entries()) {
    if (b.weight <= 0) continue;
    if (pick < b.weight) return i;
    pick -= b.weight;
  }
  // Rounding: the last backendRef with weight.
  for (let i = refs.length - 1; i >= 0; i--) if ((refs[i]?.weight ?? 0) > 0) return i;
  return null;
}

/**
 * httproute_types.go HTTPPathModifier: ReplaceFullPath replaces the whole path;
 * ReplacePrefixMatch replaces the part the PathPrefix match matched, element-wise, a trailing
 * `/` of the prefix and of the replacement ignored (the table of HTTPPathModifier's doc:
 * `/foo/bar` with `/foo` → `/xyz` is `/xyz/bar`, `/foo/` → `/xyz/`, `/foo` → `` is `/`). The
 * query is kept.
 */
export function rewritePath(rewrite: { readonly type: 'ReplaceFullPath' | 'ReplacePrefixMatch'; readonly value: string }, match: CompiledMatch, target: ParsedTarget): string {
  const query = target.query === '' ? '' : `?${target.query}`;
  if (rewrite.type === 'ReplaceFullPath') return `${rewrite.value}${query}`;
  const prefix = match.path.type === 'PathPrefix' ? match.path.value.replace(/\/+$/, '') : '';
  const rest = target.path.slice(prefix.length); // '' or '/…'
  const replacement = rewrite.value.replace(/\/+$/, '');
  let path = `${replacement}${rest}`;
  if (path === '') path = '/';
  else if (!path.startsWith('/')) path = `/${path}`;
  return `${path}${query}`;
}

/**
 * httproute_types.go HTTPRequestRedirectFilter: the scheme, hostname and path of the request
 * unless the filter sets them. The port: the filter's; else the one of the scheme it sets (80
 * for http, 443 for https: locally the HTTP and HTTPS listeners' ports, so the browser comes
 * back to ingress-dev); else the listener's (the port the request came to). No port is written
 * for http on 80 and https on 443.
 */
export function redirectLocation(f: Extract<CompiledFilter, { type: 'RequestRedirect' }>, match: CompiledMatch, target: ParsedTarget, ctx: GatewayRequestContext): string {
  const scheme = f.scheme ?? ctx.scheme;
  const host = f.hostname ?? ctx.host;
  let port: number;
  if (f.port !== null) port = f.port;
  else if (f.scheme !== null) port = f.scheme === ctx.scheme ? ctx.port : f.scheme === 'https' ? (ctx.httpsPort ?? 443) : (ctx.httpPort ?? 80);
  else port = ctx.port;
  const defaultPort = (scheme === 'http' && port === 80) || (scheme === 'https' && port === 443);
  const path = f.path === null ? `${target.path}${target.query === '' ? '' : `?${target.query}`}` : rewritePath(f.path, match, target);
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}${defaultPort ? '' : `:${port}`}${path}`;
}

/**
 * The route matches of the listener that did not win, and why, in precedence order (for
 * `explain`, the request view and the 404 page).
 */
export function explainGateway(decision: GatewayDecision, host: string, request: MatchRequest): Candidate[] {
  const target = parseTarget(normalizeGatewayTarget(request.path));
  const out: Candidate[] = [];
  let passedWinner = false;
  // In findEntry's order: a gRPC call's GRPCRoutes, then its HTTPRoutes.
  const kinds = isGrpcRequest(request) ? [true, false] : [false];
  for (const grpc of kinds) for (const list of candidateLists(decision.group.entries, host)) {
    for (const entry of list) {
      if ((entry.rule.grpc === true) !== grpc) continue;
      if (entry.hostname !== null && entry.hostname !== host && !hostnameMatches(entry.hostname, host)) continue;
      if (entry === decision.entry) {
        passedWinner = true;
        continue;
      }
      const failure = matchFailure(entry.match, request, target);
      const id = `${entry.rule.id}.m${entry.match.index}`;
      const base = { id, host: entry.hostname, path: entry.match.path.value, pathType: entry.match.path.type };
      if (failure !== null) out.push({ ...base, reason: 'gateway-no-match', detail: failure });
      else if (passedWinner) out.push({ ...base, reason: 'gateway-precedence', detail: `it matches too, but ${decision.entry === null ? 'another match' : `${decision.entry.rule.id}.m${decision.entry.match.index}`} comes first in the Gateway API's precedence order` });
    }
  }
  return out;
}

/**
 * httproute_types.go HTTPCORSFilter.AllowOrigins: `*` alone allows every origin; otherwise the
 * scheme and port must be equal (80 for http, 443 for https when not written) and the host equal,
 * or, with a `*` in it, end with what follows the `*` (a greedy match of any labels to its left).
 */
export function corsOriginAllowed(cors: CorsPolicy, origin: string): boolean {
  const o = parseOrigin(origin);
  if (o === null) return false;
  for (const pattern of cors.allowOrigins) {
    if (pattern === '*') return true;
    const p = parseOrigin(pattern);
    if (p === null || p.scheme !== o.scheme || p.port !== o.port) continue;
    const star = p.host.indexOf('*');
    if (star === -1 ? p.host === o.host : o.host.endsWith(p.host.slice(star + 1)) && o.host.length > p.host.length - star - 1) return true;
  }
  return false;
}

function parseOrigin(origin: string): { scheme: string; host: string; port: number } | null {
  const m = /^(https?):\/\/([^/:]+)(?::(\d+))?\/?$/i.exec(origin.trim());
  if (m === null) return null;
  const scheme = (m[1] ?? '').toLowerCase();
  return { scheme, host: (m[2] ?? '').toLowerCase(), port: m[3] === undefined ? (scheme === 'https' ? 443 : 80) : Number(m[3]) };
}

/** The preflight's answer: the origin echoed, the methods and headers allowed (a `*` echoes the request's when credentials are allowed), max age. */
function corsPreflightHeaders(cors: CorsPolicy, origin: string, requestMethod: string, requestHeaders: string | undefined): [string, string][] {
  const out: [string, string][] = [['Access-Control-Allow-Origin', cors.allowOrigins.includes('*') && !cors.allowCredentials ? '*' : origin]];
  if (cors.allowCredentials) out.push(['Access-Control-Allow-Credentials', 'true']);
  if (cors.allowMethods.length > 0) out.push(['Access-Control-Allow-Methods', cors.allowMethods.includes('*') ? (cors.allowCredentials ? requestMethod : '*') : cors.allowMethods.join(',')]);
  if (requestHeaders !== undefined && cors.allowHeaders.length > 0) {
    out.push(['Access-Control-Allow-Headers', cors.allowHeaders.includes('*') ? (cors.allowCredentials ? requestHeaders : '*') : cors.allowHeaders.join(',')]);
  }
  if (cors.exposeHeaders.length > 0) out.push(['Access-Control-Expose-Headers', cors.exposeHeaders.join(',')]);
  out.push(['Access-Control-Max-Age', String(cors.maxAge)]);
  return out;
}

/** What an allowed origin's actual request gets on its response. */
function corsResponseHeaders(cors: CorsPolicy, origin: string): [string, string][] {
  const out: [string, string][] = [['Access-Control-Allow-Origin', cors.allowOrigins.includes('*') && !cors.allowCredentials ? '*' : origin]];
  if (cors.allowCredentials) out.push(['Access-Control-Allow-Credentials', 'true']);
  if (cors.exposeHeaders.length > 0) out.push(['Access-Control-Expose-Headers', cors.exposeHeaders.join(',')]);
  return out;
}
