import type { Diagnostic, SourcePosition } from '../diagnostics/diagnostic.js';
import type { PathType } from '../manifest/types.js';

export type { PathType } from '../manifest/types.js';

/**
 * Which controller's behaviour to reproduce. `spec` is the Kubernetes Ingress specification;
 * later profiles (`nginx`, `gateway`) add their own matcher per host.
 */
export type Profile = 'spec';
export const profiles: readonly Profile[] = ['spec'];

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

/** All paths of one host, ordered at compile time so the first that matches wins. */
export interface HostRoutes {
  readonly host: string | null;
  readonly kind: HostKind;
  readonly routes: readonly Route[];
}

/**
 * The compiled, immutable routing table. A reload builds a new one and swaps one reference.
 * Lookups go through the host index: an exact map, then wildcard suffixes, then the host-less
 * rules; never a scan over every route.
 */
export interface RouteTable {
  readonly profile: Profile;
  readonly exactHosts: ReadonlyMap<string, HostRoutes>;
  /** Keyed by the suffix after `*.`: `*.example.com` → `example.com`. */
  readonly wildcardHosts: ReadonlyMap<string, HostRoutes>;
  readonly anyHost: HostRoutes | null;
  readonly defaultBackend: DefaultBackendRoute | null;
  /** Every route in display order (host, then match order), for listings and explanations. */
  readonly routes: readonly Route[];
  /** Default backends that lost to an older one, for explanations. */
  readonly shadowedDefaultBackends: readonly DefaultBackendRoute[];
}

export interface Compiled<T> {
  readonly value: T;
  readonly diagnostics: readonly Diagnostic[];
}

export interface CompileOptions {
  readonly profile: Profile;
}
