import type { SourcePosition } from '../../diagnostics/diagnostic.js';
import type { Backend } from '../types.js';

/**
 * Gateway API routes, compiled (model/gateway/compile.ts): every HTTPRoute rule attached to a
 * listener, indexed the way a request finds them. A request on the HTTP port is matched against
 * the listeners of protocol HTTP of every Gateway, one on the HTTPS port against the HTTPS ones:
 * locally each kind of listener shares one port, whatever port the Gateway names.
 */

export interface GatewayRef {
  readonly namespace: string;
  readonly name: string;
}

export interface RouteRefName {
  readonly kind: 'HTTPRoute' | 'GRPCRoute';
  readonly namespace: string;
  readonly name: string;
}

export interface CompiledListener {
  readonly gateway: GatewayRef;
  readonly name: string;
  readonly protocol: 'HTTP' | 'HTTPS';
  /** The port the Gateway names (80, 443, 8080): the local HTTP or HTTPS port serves it. */
  readonly port: number;
  /** Lower-case, `*.example.com` for a wildcard; null for any host. */
  readonly hostname: string | null;
  readonly source: SourcePosition;
}

export type GatewayPathMatch =
  | { readonly type: 'Exact'; readonly value: string }
  /** Element-wise: `/foo` matches `/foo`, `/foo/`, `/foo/bar`, never `/foobar`; a trailing `/` in the value is ignored. */
  | { readonly type: 'PathPrefix'; readonly value: string; readonly segments: readonly string[] }
  /** Anchored at both ends (the whole path must match), case-sensitive. */
  | { readonly type: 'RegularExpression'; readonly value: string; readonly regex: RegExp };

export interface GatewayValueMatch {
  /** Header names lower case (they are case-insensitive); query parameter names as written (case-sensitive). */
  readonly name: string;
  readonly type: 'Exact' | 'RegularExpression';
  readonly value: string;
  readonly regex: RegExp | null;
}

export interface CompiledMatch {
  /** `#m0`: its index in the rule (a rule without matches has one, PathPrefix `/`). */
  readonly index: number;
  readonly path: GatewayPathMatch;
  readonly headers: readonly GatewayValueMatch[];
  readonly queryParams: readonly GatewayValueMatch[];
  readonly method: string | null;
  readonly source: SourcePosition;
  /** A GRPCRoute's method match as written (its precedence counts their characters). */
  readonly grpc?: { readonly service: string | null; readonly method: string | null };
}

export interface HeaderEdits {
  readonly set: readonly (readonly [string, string])[];
  readonly add: readonly (readonly [string, string])[];
  /** Lower case. */
  readonly remove: readonly string[];
}

export type CompiledFilter =
  | { readonly type: 'RequestHeaderModifier' | 'ResponseHeaderModifier'; readonly edits: HeaderEdits; readonly source: SourcePosition }
  | {
      readonly type: 'RequestRedirect';
      readonly scheme: 'http' | 'https' | null;
      readonly hostname: string | null;
      readonly port: number | null;
      readonly path: PathRewrite | null;
      readonly statusCode: 301 | 302 | 303 | 307 | 308;
      readonly source: SourcePosition;
    }
  | { readonly type: 'URLRewrite'; readonly hostname: string | null; readonly path: PathRewrite | null; readonly source: SourcePosition }
  | { readonly type: 'RequestMirror'; readonly backend: Backend; readonly percent: number; readonly source: SourcePosition }
  | ({ readonly type: 'CORS'; readonly source: SourcePosition } & CorsPolicy);

/** httproute_types.go HTTPCORSFilter, with its defaults applied. */
export interface CorsPolicy {
  /** `*`, `https://app.example.com`, `https://*.example.com` (the `*` matches any labels to its left). */
  readonly allowOrigins: readonly string[];
  readonly allowCredentials: boolean;
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  /** Seconds; 5 by default. */
  readonly maxAge: number;
}

export type PathRewrite = { readonly type: 'ReplaceFullPath'; readonly value: string } | { readonly type: 'ReplacePrefixMatch'; readonly value: string };

/** One backendRef of a rule: a Service port, or why it cannot be one (its share of requests answers 500). */
export interface CompiledBackendRef {
  readonly backend: Backend | null;
  /** Why the reference is invalid (ResolvedRefs false): the share of requests it gets answers 500. */
  readonly invalid: string | null;
  readonly weight: number;
  readonly filters: readonly CompiledFilter[];
  readonly source: SourcePosition;
}

export interface CompiledRule {
  /** `httproute:NAMESPACE/NAME#r0`. */
  readonly id: string;
  readonly route: RouteRefName;
  readonly index: number;
  readonly name: string | null;
  readonly matches: readonly CompiledMatch[];
  readonly filters: readonly CompiledFilter[];
  readonly backendRefs: readonly CompiledBackendRef[];
  /** Set when the rule answers 500 whatever its backends (an unsupported filter, a filter that cannot be applied, no backendRefs). */
  readonly fails: string | null;
  /** Route age rank: creationTimestamp, then `namespace/name` (the spec's tie-breakers). */
  readonly age: number;
  readonly source: SourcePosition;
  /**
   * The rule's `timeouts` (request, backendRequest), as the wait for the backend's answer: the
   * shorter of the two; 0 when they disable it (`0s`); null when not written (the proxy's read timeout).
   */
  readonly timeoutMs: number | null;
  /** A GRPCRoute's rule: only gRPC requests (content-type application/grpc) match it, and it is forwarded over HTTP/2. */
  readonly grpc?: boolean;
}

/** A match of a rule as one listener serves it, under one effective hostname. */
export interface RouteEntry {
  readonly rule: CompiledRule;
  readonly match: CompiledMatch;
  /** The intersection of the route's hostname with the listener's; null when neither has one. */
  readonly hostname: string | null;
  readonly listener: CompiledListener;
}

/** Entries indexed by effective hostname; each list in the specification's precedence order. */
export interface EntryIndex {
  readonly exact: ReadonlyMap<string, readonly RouteEntry[]>;
  /** By the suffix after `*.`. */
  readonly wildcard: ReadonlyMap<string, readonly RouteEntry[]>;
  readonly any: readonly RouteEntry[];
}

/** Listeners with the same hostname (of one or more Gateways): a request is taken by the most specific. */
export interface ListenerGroup {
  readonly hostname: string | null;
  readonly listeners: readonly CompiledListener[];
  readonly entries: EntryIndex;
}

export interface ListenerIndex {
  readonly exact: ReadonlyMap<string, ListenerGroup>;
  readonly wildcard: ReadonlyMap<string, ListenerGroup>;
  readonly any: ListenerGroup | null;
}

/** Why a route does not serve a listener, as a controller's status says it. */
export interface RouteParentStatus {
  readonly route: RouteRefName;
  readonly parent: string;
  readonly accepted: boolean;
  /** Accepted, NotAllowedByListeners, NoMatchingListenerHostname, NoMatchingParent, UnsupportedValue. */
  readonly reason: string;
  readonly message: string;
  readonly source: SourcePosition;
}

/** A Gateway's status as a controller would write it: each listener, served or why not, and how many routes attach. */
export interface GatewayStatus {
  readonly gateway: GatewayRef;
  readonly source: SourcePosition;
  readonly listeners: readonly {
    readonly name: string;
    readonly protocol: string;
    readonly port: number;
    readonly hostname: string | null;
    /** Accepted (served here), or the reason it is not: UnsupportedProtocol, HostnameConflict, Invalid… */
    readonly reason: string;
    readonly served: boolean;
    readonly attachedRoutes: number;
  }[];
}

/** A route's ResolvedRefs condition: True, or False with the reason of its first unresolved backendRef. */
export interface RouteRefsStatus {
  readonly route: RouteRefName;
  readonly source: SourcePosition;
  readonly resolved: boolean;
  readonly reason: string;
}

export interface GatewayTable {
  readonly http: ListenerIndex;
  readonly https: ListenerIndex;
  readonly listeners: readonly CompiledListener[];
  /** Every rule of every route attached somewhere, in display order. */
  readonly rules: readonly CompiledRule[];
  /** Every (route, parentRef) and whether it is accepted, for `check` and `routes`. */
  readonly statuses: readonly RouteParentStatus[];
  /** Every Gateway of the folder and its listeners, for `check`. */
  readonly gateways: readonly GatewayStatus[];
  /** Every route's ResolvedRefs, for `check`. */
  readonly refs: readonly RouteRefsStatus[];
}
