import type { NginxConfig } from '../model/nginx/config.js';
import type { NginxLocation, NginxServer } from '../model/types.js';
import { checkAccess } from './nginx-access.js';
import { answerCors } from './nginx-cors.js';
import type { NginxStep } from './types.js';

/**
 * How nginx 1.27 (the one ingress-nginx v1.15 ships) picks a location of a server, on the
 * request's normalised URI. Sources: ngx_http_core_module.c (ngx_http_core_find_location,
 * ngx_http_core_find_static_location, the auto_redirect of proxy_pass locations),
 * ngx_http_parse.c (ngx_http_parse_complex_uri with merge_slashes on), and the location
 * directive's documentation (https://nginx.org/en/docs/http/ngx_http_core_module.html#location).
 */

/** What nginx decided for one request on one server. */
export type NginxDecision =
  | {
      readonly kind: 'location';
      readonly location: NginxLocation;
      /** The URI matched: decoded, slashes merged, dot segments resolved. */
      readonly uri: string;
      /** The rewrite-target applied: the URI before and after (the query string follows it upstream). */
      readonly rewrite: { readonly from: string; readonly to: string; readonly groups: readonly string[] } | null;
    }
  /** A request for `/foo` where a location `/foo/` exists: 301 to it (the location's name, plus `?args`). */
  | { readonly kind: 'redirect'; readonly uri: string; readonly location: NginxLocation; readonly to: string }
  /** A path nginx refuses before routing: a bad `%` escape, `%00`, `..` above the root. */
  | { readonly kind: 'bad-request'; readonly why: string };

/**
 * The URI nginx matches locations against (ngx_http_parse_complex_uri): `%XX` decoded (a
 * decoded `/` or `.` takes part in what follows), `//` merged (merge_slashes is on), `/./`
 * removed and `/../` resolved. null with the reason when nginx answers 400.
 */
export function normalizeNginxUri(path: string): { readonly uri: string } | { readonly error: string } {
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch !== '%') {
      decoded += ch;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { error: `"${path.slice(i, i + 3)}" is not a percent-escape` };
    const code = Number.parseInt(hex, 16);
    if (code === 0) return { error: '%00 in the path' };
    decoded += String.fromCharCode(code);
    i += 2;
  }
  const out: string[] = [];
  const parts = decoded.split('/');
  // parts[0] is '' for an absolute path; every later part is one element.
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as string;
    const last = i === parts.length - 1;
    if (part === '' && !last) continue; // `//` merged
    if (part === '.') {
      if (last) out.push('');
      continue;
    }
    if (part === '..') {
      if (out.length === 0) return { error: '".." above the root' };
      out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(part);
  }
  return { uri: `/${out.join('/')}` };
}

/**
 * The location nginx uses for `target` (path and query as received): an exact `=` location
 * equal to the URI; else a 301 when a location is named the URI plus `/` (proxy_pass sets
 * auto_redirect on locations whose name ends in `/`); else the first regex in order that
 * matches; else the longest prefix. ingress-nginx makes a server's locations all regexes or
 * none, and its root location `/` always matches, so there is always a decision.
 */
export function matchNginxServer(server: NginxServer, target: string): NginxDecision {
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const args = queryAt === -1 ? '' : target.slice(queryAt);
  const normalized = normalizeNginxUri(rawPath);
  if ('error' in normalized) return { kind: 'bad-request', why: normalized.error };
  const uri = normalized.uri;
  const found = server.regex ? firstRegex(server.locations, uri) : findStatic(server.locations, uri);
  if (found === null) return { kind: 'bad-request', why: 'no location matches' }; // cannot happen: the root always matches
  if ('redirect' in found) return { kind: 'redirect', uri, location: found.redirect, to: `${found.redirect.name}${args}` };
  return { kind: 'location', location: found, uri, rewrite: rewriteOf(found, uri) };
}

function findStatic(locations: readonly NginxLocation[], uri: string): NginxLocation | { readonly redirect: NginxLocation } | null {
  let longest: NginxLocation | null = null;
  let redirect: NginxLocation | null = null;
  for (const l of locations) {
    if (l.modifier === '=' && l.name === uri) return l;
    if (redirect === null && l.name === `${uri}/`) redirect = l;
    if (l.modifier === '' && uri.startsWith(l.name) && (longest === null || l.name.length > longest.name.length)) longest = l;
  }
  if (redirect !== null) return { redirect };
  return longest;
}

function firstRegex(locations: readonly NginxLocation[], uri: string): NginxLocation | null {
  for (const l of locations) if (l.regex?.test(uri) === true) return l;
  return null;
}

/**
 * `rewrite "(?i)PATH" TARGET break;`: when the (unanchored) path regex matches the URI, the
 * whole URI becomes TARGET with `$1`… filled from it; nginx appends the request's arguments.
 */
function rewriteOf(location: NginxLocation, uri: string): { from: string; to: string; groups: string[] } | null {
  if (location.rewrite === null) return null;
  const m = location.rewrite.regex.exec(uri);
  if (m === null) return null;
  const groups = m.slice(1).map((g) => g ?? '');
  const to = location.rewrite.target.replace(/\$(\d)/g, (_, n: string) => groups[Number(n) - 1] ?? '');
  return { from: uri, to, groups };
}

/** What ingress-nginx does with a request once nginx chose its location. */
export type NginxAnswer = (
  | {
      readonly kind: 'redirect';
      readonly status: number;
      readonly location: string;
      /** `app-root`, `permanent-redirect`, `temporal-redirect`, `ssl-redirect`, `force-ssl-redirect`. */
      readonly by: string;
    }
  /** nginx answers itself: a CORS preflight's 204, basic auth's 401, a source range's 403, a denied location's 503. */
  | { readonly kind: 'reply'; readonly status: 204 | 401 | 403 | 503; readonly headers: readonly (readonly [string, string])[]; readonly by: string; readonly why: string }
  | {
      readonly kind: 'forward';
      /** The Host header the backend gets instead of the request's (upstream-vhost). */
      readonly upstreamHost: string | null;
      /** Headers added for the backend (X-Forwarded-Prefix). */
      readonly headers: readonly (readonly [string, string])[];
      /** The largest request body, in bytes (proxy-body-size); null: no limit. */
      readonly bodyLimit: number | null;
      /** Basic auth's `proxy_set_header Authorization "";`: the backend does not get the credentials. */
      readonly dropAuthorization: boolean;
    }
) & {
  /** Set on whatever response goes back (CORS's more_set_headers). */
  readonly responseHeaders: readonly (readonly [string, string])[];
  /** What each annotation did, in nginx's order. */
  readonly steps: readonly NginxStep[];
};

export interface NginxRequest {
  /** The Host header as received (port included), or null. */
  readonly host: string | null;
  /** The request target as received: path and query. */
  readonly target: string;
  readonly scheme: 'http' | 'https';
  readonly method: string;
  /** Lower-case names, as node's. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** `$remote_addr`: the client address after the realip module. */
  readonly remoteAddress: string;
  /** The local HTTPS port, when ingress-dev listens for HTTPS: the https:// redirect names it unless it is 443. */
  readonly httpsPort?: number | null;
}

/**
 * The phases of ingress-nginx's location for one request, in nginx's order (nginx.tmpl and
 * lua_ingress.lua): at server level, `app-root` for `/`; in the location's rewrite phase, a
 * denied location's `return 503`, the CORS section (a preflight answered 204; other requests of
 * an allowed origin get the Access-Control-* headers on whatever answer follows), the `return`
 * of permanent/temporal-redirect, then the https:// redirect (rewrite_by_lua); in the access
 * phase, the source ranges and basic auth (satisfy); else the request goes upstream, with
 * upstream-vhost's Host and, with a rewrite, X-Forwarded-Prefix.
 */
export function applyNginxPolicy(server: NginxServer, decision: Extract<NginxDecision, { kind: 'location' }>, request: NginxRequest): NginxAnswer {
  const a = decision.location.annotations;
  const config = server.config;
  const steps: NginxStep[] = [];
  const rawHost = request.host ?? '';
  const hostOnly = rawHost.startsWith('[') ? rawHost.slice(0, rawHost.indexOf(']') + 1) : (rawHost.split(':')[0] ?? '');
  if (server.appRoot !== null && decision.uri === '/') {
    // `return 302 $scheme://$http_host<app-root>`: the Host header as sent, port included.
    steps.push({ by: 'app-root', what: `/ is answered with 302 to ${server.appRoot}` });
    return { kind: 'redirect', status: 302, location: `${request.scheme}://${rawHost}${server.appRoot}`, by: 'app-root', responseHeaders: [], steps };
  }
  if (a?.access.denied !== null && a?.access.denied !== undefined) {
    steps.push({ by: a.access.denied.split(/[ :]/)[0] ?? 'annotation', what: `the location is denied (${a.access.denied}): nginx answers 503` });
    return { kind: 'reply', status: 503, headers: [], by: 'location denied', why: a.access.denied, responseHeaders: [], steps };
  }
  let responseHeaders: readonly (readonly [string, string])[] = [];
  if (a?.cors !== null && a?.cors !== undefined) {
    const origin = request.headers['origin'];
    const cors = answerCors(a.cors, { method: request.method, origin: Array.isArray(origin) ? origin.join(', ') : origin });
    steps.push({ by: 'enable-cors', what: cors.why.replace(/^CORS: /, '') });
    if (cors.kind === 'preflight') return { kind: 'reply', status: 204, headers: cors.headers, by: 'enable-cors', why: cors.why, responseHeaders: [], steps };
    if (cors.kind === 'headers') responseHeaders = cors.headers;
  }
  if (a !== null && a.customHeaders.length > 0) {
    responseHeaders = [...responseHeaders, ...a.customHeaders];
    steps.push({ by: 'custom-headers', what: `sets ${a.customHeaders.map(([n]) => n).join(', ')} on the response` });
  }
  if (a?.redirect !== null && a?.redirect !== undefined) {
    const url = a.redirect.url;
    // nginx makes a relative Location absolute (absolute_redirect on; no port, port_in_redirect off).
    const relative = a.relativeRedirects || config.relativeRedirects;
    const location = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url) || relative ? url : `${request.scheme}://${hostOnly.toLowerCase()}${url.startsWith('/') ? '' : '/'}${url}`;
    const by = a.redirect.code === 302 || a.redirect.code === 307 ? 'temporal-redirect' : 'permanent-redirect';
    steps.push({ by, what: `the location answers ${a.redirect.code} with ${location}` });
    return { kind: 'redirect', status: a.redirect.code, location, by, responseHeaders, steps };
  }
  if (request.scheme === 'http' && !config.noTlsRedirectLocations.some((p) => decision.location.ingressPath.startsWith(p))) {
    const forced = a?.forceSslRedirect ?? config.forceSslRedirect;
    const ssl = a?.sslRedirect ?? config.sslRedirect;
    if (forced || (ssl && server.tls)) {
      // lua_ingress.lua: https://HOST (without the port) + $request_uri, one trailing slash removed.
      // The cluster's HTTPS port is 443; locally it is ingress-dev's HTTPS port, named when it is not 443.
      const preserve = a?.preserveTrailingSlash ?? config.preserveTrailingSlash;
      const uri = !preserve && request.target.endsWith('/') ? request.target.slice(0, -1) : request.target;
      const by = forced ? 'force-ssl-redirect' : 'ssl-redirect';
      const port = request.httpsPort === undefined || request.httpsPort === null || request.httpsPort === 443 ? '' : `:${request.httpsPort}`;
      steps.push({ by, what: `${forced ? 'plain HTTP is redirected to https://' : 'the host has spec.tls: plain HTTP is redirected to https://'}${port === '' ? '' : ` (on the local HTTPS port ${request.httpsPort}; 443 in the cluster)`}` });
      return { kind: 'redirect', status: config.httpRedirectCode, location: `https://${hostOnly}${port}${uri}`, by, responseHeaders, steps };
    }
  }
  let dropAuthorization = false;
  if (a !== null && (a.access.allowlist !== null || a.access.denylist !== null || a.access.auth !== null)) {
    // no-auth-locations: no auth_basic there (the source ranges still apply).
    const exempt = a.access.auth !== null && config.noAuthLocations.some((p) => decision.location.ingressPath.startsWith(p));
    const access = exempt ? { ...a.access, auth: null } : a.access;
    const authorization = request.headers['authorization'];
    const verdict = checkAccess(access, { address: request.remoteAddress, authorization: Array.isArray(authorization) ? authorization[0] : authorization }, a.authUsers);
    const by = access.auth !== null ? 'auth-type' : access.allowlist !== null ? 'allowlist-source-range' : 'denylist-source-range';
    steps.push({ by, what: verdict.why });
    if (verdict.kind === 'deny') return { kind: 'reply', status: 403, headers: [], by, why: verdict.why, responseHeaders, steps };
    if (verdict.kind === 'auth') return { kind: 'reply', status: 401, headers: [['WWW-Authenticate', `Basic realm="${verdict.realm}"`]], by, why: verdict.why, responseHeaders, steps };
    dropAuthorization = access.auth !== null;
  }
  const headers: [string, string][] = [];
  if (decision.rewrite !== null) steps.push({ by: 'rewrite-target', what: `${decision.rewrite.from} → ${decision.rewrite.to}` });
  if (decision.rewrite !== null && a?.xForwardedPrefix !== null && a?.xForwardedPrefix !== undefined) headers.push(['X-Forwarded-Prefix', a.xForwardedPrefix]);
  if (a?.upstreamVhost !== null && a?.upstreamVhost !== undefined) steps.push({ by: 'upstream-vhost', what: `the backend gets Host: ${a.upstreamVhost}` });
  const limit = a?.proxyBodySize ?? config.proxyBodySize;
  return { kind: 'forward', upstreamHost: a?.upstreamVhost ?? null, headers, bodyLimit: limit === 0 ? null : limit, dropAuthorization, responseHeaders, steps };
}

/**
 * `$remote_addr` as ingress-nginx's nginx sees it. With `use-forwarded-headers` or
 * `enable-real-ip`, nginx.tmpl turns on the realip module: `real_ip_header X-Forwarded-For;
 * real_ip_recursive on; set_real_ip_from 0.0.0.0/0;` (proxy-real-ip-cidr's default, IPv4 only).
 * So a peer with an IPv4 address is trusted, and the address is the rightmost one of the
 * client's X-Forwarded-For that is not trusted, else its leftmost (ngx_http_realip_module).
 */
export function nginxRemoteAddress(config: Pick<NginxConfig, 'useForwardedHeaders' | 'enableRealIp'>, peer: string, forwardedFor: string | undefined): string {
  if (!(config.useForwardedHeaders || config.enableRealIp) || forwardedFor === undefined || !isIPv4(peer)) return peer;
  let address = peer;
  const hops = forwardedFor.split(',').map((h) => h.trim()).filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!isIPv4(hop) && !isIPv6(hop)) return address;
    address = hop;
    if (!isIPv4(hop)) return address;
  }
  return address;
}

function isIPv4(text: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(text);
}

function isIPv6(text: string): boolean {
  return text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text);
}
