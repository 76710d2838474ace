import type { Backend, DefaultBackendRoute, HostKind, NginxBackendAffinity, Route, RoutingProfile } from '../model/types.js';
import type { GatewayDecision } from './gateway.js';
import type { NginxConfig } from '../model/nginx/config.js';
import type { NginxDecision } from './nginx.js';

export interface MatchRequest {
  /** The Host header (or URL authority) as received, possibly with a port; null when absent. */
  readonly host: string | null;
  /** The request target's path, possibly with a query string: `/get?x=1`. */
  readonly path: string;
  readonly method?: string;
  /** Lower-case names, as node's `req.headers`. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  /** How the request arrived (default http): ingress-nginx redirects plain HTTP to https://. */
  readonly scheme?: 'http' | 'https';
  /** The port the client connected to (ingress-nginx's www redirect keeps it); default 80, or 443 for https. */
  readonly port?: number;
  /** The client's address as the proxy sees it (ingress-nginx's source ranges check it); default 127.0.0.1. */
  readonly clientAddress?: string;
  /** A number in [0, 1) for ingress-nginx's canary-weight; default Math.random. */
  readonly random?: () => number;
  /** ingress-dev's HTTPS port, when it listens for HTTPS: ingress-nginx's https:// redirects point there (when it is not 443). */
  readonly httpsPort?: number | null;
  /** ingress-dev's HTTP port: a Gateway API redirect to http:// points there. */
  readonly httpPort?: number | null;
}

/** How the request's host was matched against the host index. */
export interface HostMatch {
  readonly kind: HostKind | 'none';
  /** The rule host that matched (`*.example.com` for a wildcard), null for host-less or none. */
  readonly host: string | null;
}

/**
 * The routing outcome: 200 means the request is forwarded to `backend` (the backend's own
 * answer is not known offline); 503 means a route matched but its backend cannot be reached
 * (missing Service or port, resource backend); 404 means nothing matched and there is no
 * defaultBackend.
 */
export interface Match {
  /**
   * 301: ingress-nginx redirects (see `redirect`); 400: nginx refuses the path before routing
   * (a bad percent-escape, `..` above the root).
   */
  readonly status: 200 | 204 | 300 | 301 | 302 | 303 | 304 | 305 | 306 | 307 | 308 | 400 | 401 | 403 | 404 | 500 | 503;
  /** The profile whose matcher decided: the host's, else the table's; `gateway` for the Gateway API's routes. */
  readonly profile: RoutingProfile;
  /** The normalised host used for matching: lower case, no port, no trailing dot. */
  readonly host: string;
  readonly hostMatch: HostMatch;
  /** The winning path rule; null when a defaultBackend served the request or nothing matched. */
  readonly route: Route | null;
  /** Set when the request fell through to the Ingress defaultBackend. */
  readonly defaultBackend: DefaultBackendRoute | null;
  readonly backend: Backend | null;
  /** The request target the backend receives (path and query), null for 404. */
  readonly upstreamPath: string | null;
  /** A redirect ingress-nginx answers (`Location` as nginx writes it), and which rule made it. */
  readonly redirect: { readonly status: Match['status']; readonly location: string; readonly by: string } | null;
  /** The Host header the backend receives instead of the request's (ingress-nginx's upstream-vhost). */
  readonly upstreamHost?: string | null;
  /** Headers added for the backend (ingress-nginx's X-Forwarded-Prefix). */
  readonly upstreamHeaders?: readonly (readonly [string, string])[];
  /** The largest request body the backend may receive, in bytes (ingress-nginx's proxy-body-size); a larger one gets 413. */
  readonly bodyLimit?: number | null;
  /** For a host of the `nginx` profile: the location nginx chose, the URI it matched, the rewrite. */
  readonly nginx: NginxDecision | null;
  /**
   * An answer ingress-nginx writes itself instead of the backend's (a CORS preflight's 204, 401
   * of basic auth, 403 of a source range), with its headers.
   */
  readonly reply?: { readonly status: Match['status']; readonly headers: readonly (readonly [string, string])[]; readonly by: string; readonly why: string } | null;
  /** ingress-nginx's default-backend annotation: the Service that answers when the backend has no endpoints, with the headers nginx.tmpl adds. */
  readonly fallback?: { readonly backend: Backend; readonly headers: readonly (readonly [string, string])[] };
  /** ingress-nginx's backend-protocol of the location (HTTPS: TLS to the backend). */
  readonly backendProtocol?: string;
  /** Request headers the backend does not get (ingress-nginx's basic auth clears Authorization). */
  readonly upstreamClears?: readonly string[];
  /** Headers ingress-nginx adds to the backend's response (CORS), replacing the backend's of the same name. */
  readonly responseHeaders?: readonly (readonly [string, string])[];
  /** For the `nginx` profile: the controller ConfigMap's settings and the client address nginx computed (`$remote_addr`). */
  readonly nginxContext?: { readonly config: NginxConfig; readonly remoteAddress: string };
  /** What each ingress-nginx annotation did to this request, in the order nginx ran them: `canary-by-header: X-Canary is "always"`. */
  readonly steps?: readonly NginxStep[];
  /** ingress-nginx's cookie affinity of the chosen backend: the proxy picks the endpoint with it (routing/nginx-sticky.ts). */
  readonly affinity?: NginxBackendAffinity;
  /** A request the Gateway API's routes took: the listener, the route match, the filters and the backendRef. */
  readonly gateway?: GatewayDecision;
}

/** One annotation that acted on a request, for explain and the request view. */
export interface NginxStep {
  /** The annotation (without the prefix) or ConfigMap key: `canary-weight`, `enable-cors`. */
  readonly by: string;
  readonly what: string;
}

export type LossReason =
  | 'other-host' //             the rule is for another host
  | 'host-rule-matched' //      a host-less rule, but the host matched a host rule
  | 'exact-host-preferred' //   a wildcard rule, but an exact host rule matched
  | 'wildcard-one-label' //     `*.example.com` matches exactly one label
  | 'path-mismatch' //          the path does not match at all
  | 'exact-mismatch' //         Exact: case-sensitive, whole path, trailing slash counts
  | 'element-boundary' //       Prefix /foo vs /foobar: matches strings, not path elements
  | 'shorter-match' //          matched, but a longer path won (also /foo/ over /foo: same elements, longer string)
  | 'exact-preferred' //        matched with the same length, Exact beats Prefix
  | 'duplicate-older-wins' //   the same host and path, matched alike; the older definition wins
  | 'default-backend-shadowed' // another (older) Ingress's defaultBackend is used
  | 'nginx-no-match' //          nginx: the location does not match the URI
  | 'nginx-later-regex' //       nginx: a regex that matches too, but an earlier one in the order matched
  | 'nginx-shorter-prefix' //    nginx: a prefix location that matches, but a longer (or exact) one wins
  | 'gateway-no-match' //        Gateway API: the match does not take the request (path, method, header, query)
  | 'gateway-precedence'; //     Gateway API: the match takes it, but one before it in precedence order won

export interface Candidate {
  readonly id: string;
  readonly host: string | null;
  readonly path: string | null;
  readonly pathType: string | null;
  readonly reason: LossReason;
  /** One sentence a user can read: why this candidate lost. */
  readonly detail: string;
}

export interface Explanation extends Match {
  /** Every route that did not win, with the reason; the winner is not in the list. */
  readonly candidates: readonly Candidate[];
  /** Profile notes that shaped the result, e.g. "ImplementationSpecific is treated as Prefix". */
  readonly notes: readonly string[];
}
