import type { NginxLocation, NginxServer } from '../model/types.js';

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
