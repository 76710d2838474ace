import type { NginxCanary } from '../model/nginx/canary.js';

/**
 * Whether ingress-nginx sends one request to the canary backend attached to the main backend of
 * its location: balancer.lua route_to_alternative_balancer, run in the rewrite phase. Only the
 * first canary merged into a backend is ever consulted (`alternative_backends[1]`).
 */

export type CanaryRequest = { readonly headers: Readonly<Record<string, string | string[] | undefined>> };

/**
 * Which backend the request's session cookie already names (sticky.lua is_affinitized: the
 * cookie's part after `|` equals the backend's key); null when it names neither or there is no
 * sticky session. Worked out with isAffinitized (nginx-sticky.ts).
 */
export type CanaryAffinity = 'main' | 'canary' | null;

export interface CanaryDecision {
  readonly canary: boolean;
  readonly why: string;
}

/**
 * The decision, in balancer.lua's order: a session cookie of the main backend keeps the request
 * there, one of the canary sends it there; then canary-by-header (with canary-by-header-value an
 * exact match, else with canary-by-header-pattern a regex match, else "always"/"never"); then
 * canary-by-cookie ("always"/"never"); then canary-weight, drawn as Lua's
 * `math.random(total) <= weight` with total = canary-weight-total when above 100, else 100.
 * `random` returns a number in [0, 1), as Math.random does.
 */
export function decideCanary(canary: NginxCanary, request: CanaryRequest, random: () => number, affinitized: CanaryAffinity = null): CanaryDecision {
  if (affinitized === 'main') return { canary: false, why: 'the session cookie names the main backend (affinity is kept before any canary rule)' };
  if (affinitized === 'canary') return { canary: true, why: 'the session cookie names the canary backend (affinity is kept before any canary rule)' };

  const header = canary.header === '' ? undefined : nginxHeaderVariable(request.headers, canary.header);
  if (header !== undefined) {
    if (canary.headerValue !== '') {
      if (header === canary.headerValue) return { canary: true, why: `canary-by-header: ${canary.header} is "${header}", the canary-by-header-value` };
    } else if (canary.headerPattern !== '') {
      const matched = matchPattern(header, canary.headerPattern);
      if (matched === 'error') return { canary: false, why: `canary-by-header-pattern: "${canary.headerPattern}" is not a regular expression, so the request stays on the main backend (no cookie or weight rule is tried)` };
      if (matched) return { canary: true, why: `canary-by-header: ${canary.header} is "${header}", which matches canary-by-header-pattern ${canary.headerPattern}` };
    } else if (header === 'always') {
      return { canary: true, why: `canary-by-header: ${canary.header} is "always"` };
    } else if (header === 'never') {
      return { canary: false, why: `canary-by-header: ${canary.header} is "never"` };
    }
  }

  const cookie = canary.cookie === '' ? undefined : nginxCookieVariable(request.headers['cookie'], canary.cookie);
  if (cookie === 'always') return { canary: true, why: `canary-by-cookie: cookie ${canary.cookie} is "always"` };
  if (cookie === 'never') return { canary: false, why: `canary-by-cookie: cookie ${canary.cookie} is "never"` };

  const total = canary.weightTotal > 100 ? canary.weightTotal : 100;
  const drawn = Math.min(total, Math.floor(random() * total) + 1);
  const before = header !== undefined || cookie !== undefined ? 'no header or cookie rule decided; ' : '';
  return drawn <= canary.weight
    ? { canary: true, why: `${before}canary-weight: ${drawn} of ${total} drawn, within the weight ${canary.weight}` }
    : { canary: false, why: `${before}canary-weight: ${drawn} of ${total} drawn, above the weight ${canary.weight}` };
}

/**
 * nginx's `$http_NAME`: the header whose name, lower-cased with `-` as `_`, is NAME; several
 * lines are joined with ", " (nginx ≥ 1.23). A header whose name holds `_` never reaches nginx
 * variables (ingress-nginx keeps underscores_in_headers off and ignore_invalid_headers on).
 */
export function nginxHeaderVariable(headers: CanaryRequest['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase().replaceAll('-', '_');
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || key.includes('_')) continue;
    if (key.toLowerCase().replaceAll('-', '_') !== wanted) continue;
    return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

/**
 * nginx's `$cookie_NAME` (ngx_http_parse_multi_header_lines): the first cookie whose name
 * equals NAME ignoring case, its value from after `=` (spaces skipped) up to `;`.
 */
export function nginxCookieVariable(cookieHeader: string | string[] | undefined, name: string): string | undefined {
  const lines = cookieHeader === undefined ? [] : Array.isArray(cookieHeader) ? cookieHeader : [cookieHeader];
  for (const line of lines) {
    let at = 0;
    while (at < line.length) {
      if (line.slice(at, at + name.length).toLowerCase() === name.toLowerCase()) {
        let i = at + name.length;
        while (line[i] === ' ') i++;
        if (line[i] === '=') {
          i++;
          while (line[i] === ' ') i++;
          const end = line.indexOf(';', i);
          return line.slice(i, end === -1 ? line.length : end);
        }
        // nginx has consumed the character that was not `=` before it skips to the next `;`.
        at = Math.min(i + 1, line.length);
      }
      while (at < line.length) {
        const ch = line[at++];
        if (ch === ';' || ch === ',') break;
      }
      while (line[at] === ' ') at++;
    }
  }
  return undefined;
}

/**
 * ngx.re.match(header, pattern) with no options: an unanchored, case-sensitive PCRE search.
 * JavaScript's RegExp stands in for PCRE; a pattern it cannot compile counts as the error
 * balancer.lua logs (the request is then "not matching" and stays on the main backend).
 */
function matchPattern(value: string, pattern: string): boolean | 'error' {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return 'error';
  }
}
