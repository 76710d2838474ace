import type { Diagnostic, SourcePosition } from '../diagnostics/diagnostic.js';
import type { PathType } from '../manifest/types.js';
import type { NginxAnnotations } from './nginx/registry.js';
import type { NginxConfig } from './nginx/config.js';
import type { NginxCanary } from './nginx/canary.js';
import type { NginxAffinity } from './nginx/affinity.js';
import type { GatewayTable } from './gateway/types.js';

export type { PathType } from '../manifest/types.js';

/**
 * Which controller's behaviour to reproduce: `spec` is the Kubernetes Ingress specification,
 * `nginx` is ingress-nginx v1.15 with its default ConfigMap. Chosen per Ingress by its class
 * (model/profile.ts); each host is matched by its profile's matcher.
 */
export type Profile = 'spec' | 'nginx';
export const profiles: readonly Profile[] = ['spec', 'nginx'];

/** Whose rules decided a request: an Ingress profile, or the Gateway API (HTTPRoutes). */
export type RoutingProfile = Profile | 'gateway';

/** The profile that routes an Ingress, and why, in words a user can check against the manifest. */
export interface ProfileChoice {
  readonly profile: Profile;
  /** `IngressClass nginx (controller k8s.io/ingress-nginx)`, `--profile nginx`, `no class: the Kubernetes specification`. */
  readonly why: string;
}

/** The intent of a backend: a Service port. `backends/` turns it into an address at request time. */
export interface ServiceBackend {
  readonly kind: 'service';
  readonly service: string;
  readonly namespace: string;
  /** The service port number, when it is known (written, or found by name on the Service). */
  readonly port: number | null;
  /** The service port name, when it is known. */
  readonly portName: string | null;
  /** Why the backend cannot be reached, when the Service or its port is missing. */
  readonly problem: string | null;
}

export interface ResourceBackend {
  readonly kind: 'resource';
  readonly apiGroup: string | null;
  readonly resourceKind: string;
  readonly name: string;
  readonly namespace: string;
  readonly problem: string;
}

export type Backend = ServiceBackend | ResourceBackend;

export type HostKind = 'exact' | 'wildcard' | 'any';

export interface IngressRef {
  readonly namespace: string;
  readonly name: string;
}

export interface Route {
  /** Stable, readable id: `ingress:NAMESPACE/NAME#rRULE.pPATH`. */
  readonly id: string;
  readonly ingress: IngressRef;
  /** The profile of its Ingress. */
  readonly profile: Profile;
  /** Lower-cased host as written (`*.example.com` for a wildcard), or null for any host. */
  readonly host: string | null;
  readonly hostKind: HostKind;
  readonly path: string;
  readonly pathType: PathType;
  /** How this profile treats pathType: ImplementationSpecific behaves as Prefix in `spec`. */
  readonly matchAs: 'Exact' | 'Prefix';
  /** Path segments for Prefix matching (empty for `/`), precomputed at compile time. */
  readonly segments: readonly string[];
  /**
   * The length that decides "longest match wins" (the path without a trailing slash for Prefix).
   * Prefix paths with the same elements tie here; the longer path string (`/foo/`) then wins.
   */
  readonly matchLength: number;
  readonly backend: Backend;
  readonly source: SourcePosition;
  /** Age rank: lower is older (creationTimestamp, then file order). Breaks ties between equivalent paths. */
  readonly age: number;
}

export interface DefaultBackendRoute {
  readonly id: string; // `ingress:NAMESPACE/NAME#default`
  readonly ingress: IngressRef;
  readonly backend: Backend;
  readonly source: SourcePosition;
  readonly age: number;
}

/**
 * One nginx `location` ingress-nginx generates for a host (controller.go getBackendServers,
 * location.go updateServerLocations, template.go buildLocation).
 */
export interface NginxLocation {
  /** `=` exact, `` prefix (both case-sensitive), `~*` a case-insensitive regex anchored at the start. */
  readonly modifier: '=' | '' | '~*';
  /** The location's name: `/foo/` for Prefix `/foo`, the path as written for a regex. */
  readonly name: string;
  /** `location = "/foo"`, as nginx.conf would read. */
  readonly directive: string;
  /** The path rule it comes from; null for the host's root location (its default backend). */
  readonly route: Route | null;
  /** For `~*`: the compiled `^name`, case-insensitive. */
  readonly regex: RegExp | null;
  /** `rewrite "(?i)PATH" TARGET break;` of its Ingress's rewrite-target, when the target differs from the path. */
  readonly rewrite: { readonly regex: RegExp; readonly target: string } | null;
  /** Why the location exists when it is not a rule's own: `the exact twin of Prefix /foo`. */
  readonly note: string | null;
  /** The emulated annotations of its Ingress (the root location takes the first Ingress's). */
  readonly annotations: NginxAnnotations | null;
  /** The Ingress path it was made from (`no-tls-redirect-locations` compares it). */
  readonly ingressPath: string;
  /** The canary of its backend (controller.go mergeAlternativeBackends): a canary Ingress with the same host, path and pathType. */
  readonly canary?: NginxCanaryBackend;
  /** The cookie affinity of its backend, when an Ingress using that backend has `affinity: cookie`. */
  readonly affinity?: NginxBackendAffinity;
}

/**
 * ingress-nginx's session affinity of one backend (controller.go getBackendServers): it belongs
 * to the Service port, so every location of that backend follows the cookie, but only the paths
 * of Ingresses with `affinity: cookie` for the host set it (sticky.lua should_set_cookie).
 */
export interface NginxBackendAffinity {
  /** The cookie settings of the last Ingress (in ingress-nginx's order) with `affinity: cookie` for the backend; the mode of the first that writes one. */
  readonly config: NginxAffinity;
  /** controller.go upstreamName, `namespace-service-port`: it salts the cookie's value. */
  readonly upstream: string;
  /** This location's Ingress path is among those of the host's Ingresses with `affinity: cookie` for the backend. */
  readonly setsCookie: boolean;
  /** `$location_path`: the location's Ingress path as written ("/" when empty), the cookie's default Path. */
  readonly locationPath: string;
  /** `NAMESPACE/NAME` of the Ingress whose cookie settings apply. */
  readonly ingress: string;
}

/** A canary Ingress's backend, attached to the main backend it shadows. */
export interface NginxCanaryBackend {
  readonly backend: Backend;
  readonly policy: NginxCanary;
  /** `NAMESPACE/NAME` of the canary Ingress. */
  readonly ingress: string;
  readonly source: SourcePosition;
  /** affinity-canary-behavior sticky (the default): the main backend's affinity, salted with the canary's upstream name; legacy: none. */
  readonly affinity?: NginxBackendAffinity;
}

/** How ingress-nginx serves one host: its locations in nginx.conf order, and whether they are regexes. */
export interface NginxServer {
  /** Every location is a `~*` regex: use-regex or rewrite-target on one of the host's Ingresses. */
  readonly regex: boolean;
  /** What made it so: `Ingress default/api has nginx.ingress.kubernetes.io/use-regex: "true"`. */
  readonly regexBecause: string | null;
  readonly locations: readonly NginxLocation[];
  /** The root location's backend: the first Ingress's defaultBackend, or null for ingress-nginx's default backend (404). */
  readonly rootBackend: DefaultBackendRoute | null;
  /** `app-root` of the first location (in order) that has one: `/` answers 302 there. */
  readonly appRoot: string | null;
  /** An Ingress naming the host has `spec.tls`: plain-HTTP requests are redirected to https:// (ssl-redirect). */
  readonly tls: boolean;
  /** The controller ConfigMap's keys that shape redirects. */
  readonly config: NginxConfig;
  /** A server ingress-nginx adds for from-to-www-redirect: every request is redirected to this host. */
  readonly redirectTo?: { readonly host: string; readonly because: string };
}

/** All paths of one host, ordered at compile time so the first that matches wins. */
export interface HostRoutes {
  readonly host: string | null;
  readonly kind: HostKind;
  /** Whose matcher serves the host: the profile of its Ingresses (ingress-nginx's when they differ). */
  readonly profile: Profile;
  readonly routes: readonly Route[];
  /** For the `nginx` profile: the locations ingress-nginx makes of these routes. */
  readonly nginx?: NginxServer;
}

/**
 * The compiled, immutable routing table. A reload builds a new one and swaps one reference.
 * Lookups go through the host index: an exact map, then wildcard suffixes, then the host-less
 * rules; never a scan over every route.
 */
export interface RouteTable {
  /**
   * The profile of requests no host serves (their 404 page): the override, else ingress-nginx's
   * when every Ingress of the folder is routed by it, else the specification.
   */
  readonly profile: Profile;
  /** Each Ingress's profile and why, by `NAMESPACE/NAME`, in file order. */
  readonly ingressProfiles: ReadonlyMap<string, ProfileChoice>;
  readonly exactHosts: ReadonlyMap<string, HostRoutes>;
  /** Keyed by the suffix after `*.`: `*.example.com` → `example.com`. */
  readonly wildcardHosts: ReadonlyMap<string, HostRoutes>;
  readonly anyHost: HostRoutes | null;
  readonly defaultBackend: DefaultBackendRoute | null;
  /** Every route in display order (host, then match order), for listings and explanations. */
  readonly routes: readonly Route[];
  /** Default backends that lost to an older one, for explanations. */
  readonly shadowedDefaultBackends: readonly DefaultBackendRoute[];
  /** The folder's ingress-nginx controller ConfigMap, when the nginx profile reads one. */
  readonly nginxConfigMap?: { readonly name: string; readonly why: string; readonly at: SourcePosition } | null;
  /** The Gateway API routes (Gateways, HTTPRoutes), when the folder has any. */
  readonly gateway?: GatewayTable | null;
}

export interface Compiled<T> {
  readonly value: T;
  readonly diagnostics: readonly Diagnostic[];
}

export interface CompileOptions {
  /** A profile for every Ingress (`--profile`, `profile:` in ingress-dev.yaml), or `auto`: each by its class. */
  readonly profile: Profile | 'auto';
  /** What set an override, for explanations: `--profile nginx`, `profile: nginx in ingress-dev.yaml`. */
  readonly profileSource?: string;
  /** Serve HTTPRoutes whose Gateway is not in the folder on an implicit Gateway (`--implicit-gateway`). */
  readonly implicitGateway?: boolean;
  /** `nginx:` of ingress-dev.yaml: the controller ConfigMap's keys, as written, for the nginx profile. */
  readonly nginxConfig?: readonly { readonly key: string; readonly value: string; readonly at: SourcePosition }[];
}
