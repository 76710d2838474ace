import type { NginxCors } from '../model/nginx/cors.js';

/**
 * What the "CORS" section of ingress-nginx's nginx.tmpl does with one request on a location with
 * enable-cors. The section, in the location's rewrite phase:
 *
 *     if ($http_origin ~* ((https://a\.example\.com)|(https://[A-Za-z0-9\-]+\.example\.com))$ ) { set $cors 'true'; }
 *       (or, for cors-allow-origin `*`:  set $http_origin *;  set $cors 'true';)
 *     if ($request_method = 'OPTIONS') { set $cors ${cors}options; }
 *     if ($cors = "true")        { more_set_headers 'Access-Control-Allow-Origin: $http_origin'; ... }
 *     if ($cors = "trueoptions") { more_set_headers ...; 'Content-Type: text/plain charset=UTF-8'; 'Content-Length: 0'; return 204; }
 *
 * (buildCorsOriginRegex and buildOriginRegex in internal/ingress/controller/template/template.go.)
 * more_set_headers replaces a header of the same name and applies whatever the status.
 */

export type NginxCorsHeaders = readonly (readonly [string, string])[];

export type NginxCorsAnswer =
  /** OPTIONS from an allowed origin: nginx answers 204 itself (no body); the backend never sees it. Headers as sent, after Server, Date and Connection. */
  | { readonly kind: 'preflight'; readonly status: 204; readonly headers: NginxCorsHeaders; readonly why: string }
  /**
   * Any other method from an allowed origin: set on whatever response the location gives (the
   * backend's, a redirect, an error nginx makes there): a header of the same name, in any case, is
   * replaced in place (its duplicates removed), otherwise the header is appended.
   */
  | { readonly kind: 'headers'; readonly headers: NginxCorsHeaders; readonly why: string }
  /** Origin missing or not allowed: no header is added, and OPTIONS goes to the backend like any request. */
  | { readonly kind: 'none'; readonly why: string };

export interface NginxCorsRequest {
  /** As received: nginx compares `$request_method = 'OPTIONS'` exactly. */
  readonly method: string;
  /** The Origin header as received ($http_origin); undefined when absent. */
  readonly origin: string | undefined;
}

/**
 * buildOriginRegex: regexp.QuoteMeta of the entry, its first `\*` made `[A-Za-z0-9\-]+` (one
 * DNS label), in a group. buildCorsOriginRegex joins the groups with `|` and anchors them with
 * `$` only: the match is case-insensitive (`~*`) and not anchored at the start, so an Origin
 * that merely ends with an allowed one is allowed too.
 */
function originRegexSource(origin: string): string {
  return `(${origin.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&').replace('\\*', '[A-Za-z0-9\\-]+')})`;
}

const compiled = new WeakMap<readonly string[], readonly (readonly [string, RegExp])[]>();

/** Each entry with the regex of its alternative in `if ($http_origin ~* (...)$ )`. */
function originMatchers(origins: readonly string[]): readonly (readonly [string, RegExp])[] {
  let matchers = compiled.get(origins);
  if (matchers === undefined) {
    matchers = origins.map((o) => [o, new RegExp(`${originRegexSource(o)}$`, 'i')] as const);
    compiled.set(origins, matchers);
  }
  return matchers;
}

/** The cors-allow-origin entry that lets `origin` in (the first in order), or null. */
export function matchCorsOrigin(allowOrigins: readonly string[], origin: string | undefined): string | null {
  if (allowOrigins.length === 1 && allowOrigins[0] === '*') return '*';
  // An absent Origin is $http_origin "": no entry's pattern matches the empty string.
  if (origin === undefined) return null;
  for (const [entry, re] of originMatchers(allowOrigins)) if (re.test(origin)) return entry;
  return null;
}

/** The headers of one `if ($cors = ...)` block, in the template's order. */
function corsHeaders(cors: NginxCors, allowOrigin: string): [string, string][] {
  const headers: [string, string][] = [['Access-Control-Allow-Origin', allowOrigin]];
  if (cors.allowCredentials) headers.push(['Access-Control-Allow-Credentials', 'true']);
  headers.push(['Access-Control-Allow-Methods', cors.allowMethods], ['Access-Control-Allow-Headers', cors.allowHeaders]);
  if (cors.exposeHeaders !== '') headers.push(['Access-Control-Expose-Headers', cors.exposeHeaders]);
  headers.push(['Access-Control-Max-Age', String(cors.maxAge)]);
  return headers;
}

/** What nginx does about CORS for this request (see the section quoted above). */
export function answerCors(cors: NginxCors, request: NginxCorsRequest): NginxCorsAnswer {
  const preflight = request.method === 'OPTIONS';
  const entry = matchCorsOrigin(cors.allowOrigins, request.origin);
  if (entry === null) {
    const passed = preflight ? '; the OPTIONS request goes to the backend' : '';
    if (cors.allowOrigins.length === 0) return { kind: 'none', why: `CORS: cors-allow-origin has no valid origin, so nginx adds no CORS headers${passed}` };
    if (request.origin === undefined) return { kind: 'none', why: `CORS: the request has no Origin header, so nginx adds no CORS headers${passed}` };
    return { kind: 'none', why: `CORS: origin ${request.origin} is not allowed by ${cors.allowOrigins.join(', ')}, so nginx adds no CORS headers${passed}` };
  }
  // For `*`, the template sets $http_origin to `*`: the header says `*`, whatever the request sent.
  const allowOrigin = entry === '*' ? '*' : (request.origin ?? '');
  const headers = corsHeaders(cors, allowOrigin);
  const allowed = entry === '*' ? 'CORS: cors-allow-origin is *, so every request is allowed' : `CORS: origin ${request.origin ?? ''} is allowed by ${entry}`;
  if (preflight) {
    // The template also sets 'Content-Type: text/plain charset=UTF-8', but headers-more keeps it
    // only in r->headers_out.content_type, which ngx_http_header_filter empties for a 204; the
    // 'Content-Length: 0' it adds as a list entry survives (after the Access-Control-* ones).
    headers.push(['Content-Length', '0']);
    return { kind: 'preflight', status: 204, headers, why: `${allowed}; nginx answers the OPTIONS preflight itself with 204` };
  }
  return { kind: 'headers', headers, why: `${allowed}; nginx sets the Access-Control-* headers on the response` };
}
