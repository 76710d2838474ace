import type { Diagnostic, SourcePosition } from '../diagnostics/diagnostic.js';

/** Where a resource or one of its fields was written. */
export type Located<T> = { readonly value: T; readonly at: SourcePosition };

export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string; // 'default' when not written
  readonly annotations: ReadonlyMap<string, Located<string>>;
  readonly labels: ReadonlyMap<string, string>;
  /** metadata.creationTimestamp as epoch milliseconds, when written and valid. */
  readonly creationTimestamp: number | null;
  readonly at: SourcePosition; // the document (its `kind:` line)
  readonly nameAt: SourcePosition;
  /** Order in which the resource was read: files sorted by path, documents in file order. */
  readonly order: number;
}

/** A reference from an Ingress backend to a Service port, as written. */
export interface ServiceBackendRef {
  readonly type: 'service';
  readonly name: Located<string>;
  /** Exactly one of number/name is set for a valid ref. */
  readonly port: Located<{ readonly number: number } | { readonly name: string }>;
}

export interface ResourceBackendRef {
  readonly type: 'resource';
  readonly apiGroup: string | null;
  readonly kind: string;
  readonly name: string;
  readonly at: SourcePosition;
}

export type BackendRef = ServiceBackendRef | ResourceBackendRef;

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface IngressPath {
  readonly path: Located<string>;
  readonly pathType: Located<PathType>;
  /** True when pathType was not written (the API server defaults it). */
  readonly pathTypeDefaulted: boolean;
  readonly backend: BackendRef;
  readonly at: SourcePosition; // the path item
}

export interface IngressRule {
  /** null for a rule without host; exactly as written (the model validates and lower-cases). */
  readonly host: Located<string> | null;
  readonly paths: readonly IngressPath[];
  readonly at: SourcePosition;
}

export interface IngressTLS {
  readonly hosts: readonly Located<string>[];
  readonly secretName: Located<string> | null;
  readonly at: SourcePosition;
}

export interface Ingress {
  readonly kind: 'Ingress';
  readonly apiVersion: string;
  readonly metadata: ObjectMeta;
  readonly ingressClassName: Located<string> | null;
  /** Legacy `kubernetes.io/ingress.class` annotation, when present. */
  readonly classAnnotation: Located<string> | null;
  readonly defaultBackend: BackendRef | null;
  readonly rules: readonly IngressRule[];
  readonly tls: readonly IngressTLS[];
}

export interface IngressClass {
  readonly kind: 'IngressClass';
  readonly metadata: ObjectMeta;
  readonly controller: string | null;
  readonly isDefault: boolean;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

export interface ServicePort {
  readonly name: string | null;
  readonly port: number;
  /** Number, or a container port name; defaults to `port` when not written. */
  readonly targetPort: number | string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly nodePort: number | null;
  readonly at: SourcePosition;
}

export interface Service {
  readonly kind: 'Service';
  readonly metadata: ObjectMeta;
  readonly type: ServiceType;
  readonly selector: ReadonlyMap<string, string>;
  readonly ports: readonly ServicePort[];
  readonly externalName: string | null;
  /** `clusterIP: None`: no Service address; its name resolves to the pods themselves. */
  readonly headless?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Gateway API (gateway.networking.k8s.io): recorded as written, with positions; the model
// applies the specification's defaults and rules (model/gateway/).

/** A reference to a parent (a Gateway, or a listener of one) as written in a route. */
export interface ParentRef {
  /** Defaults: group gateway.networking.k8s.io, kind Gateway, the route's namespace. */
  readonly group: string | null;
  readonly kind: string | null;
  readonly namespace: string | null;
  readonly name: Located<string>;
  readonly sectionName: Located<string> | null;
  readonly port: Located<number> | null;
  readonly at: SourcePosition;
}

export interface GatewayListener {
  readonly name: Located<string>;
  readonly hostname: Located<string> | null;
  readonly port: Located<number>;
  /** As written: HTTP, HTTPS, TLS, TCP, UDP, or a domain-prefixed one. */
  readonly protocol: Located<string>;
  /** `tls.mode` (Terminate by default) and `tls.certificateRefs`, for HTTPS. */
  readonly tls: {
    readonly mode: Located<string> | null;
    readonly certificateRefs: readonly { readonly group: string | null; readonly kind: string | null; readonly name: Located<string>; readonly namespace: string | null; readonly at: SourcePosition }[];
  } | null;
  readonly allowedRoutes: {
    /** `namespaces.from`: Same (the default), All or Selector. */
    readonly from: Located<string> | null;
    /** `namespaces.selector.matchLabels`; matchExpressions as written (In, NotIn, Exists, DoesNotExist). */
    readonly selector: {
      readonly matchLabels: ReadonlyMap<string, string>;
      readonly matchExpressions: readonly { readonly key: string; readonly operator: string; readonly values: readonly string[]; readonly at: SourcePosition }[];
      readonly at: SourcePosition;
    } | null;
    /** `kinds`: empty when not written (the protocol's route kinds are then allowed). */
    readonly kinds: readonly { readonly group: string | null; readonly kind: Located<string> }[];
  } | null;
  readonly at: SourcePosition;
}

export interface Gateway {
  readonly kind: 'Gateway';
  readonly apiVersion: string;
  readonly metadata: ObjectMeta;
  readonly gatewayClassName: Located<string> | null;
  readonly listeners: readonly GatewayListener[];
}

export interface GatewayClass {
  readonly kind: 'GatewayClass';
  readonly metadata: ObjectMeta;
  readonly controllerName: Located<string> | null;
}

export type StringMatchType = 'Exact' | 'PathPrefix' | 'RegularExpression';

export interface HTTPRouteMatch {
  /** Default: PathPrefix `/` when the match has no path. */
  readonly path: { readonly type: Located<string> | null; readonly value: Located<string> | null; readonly at: SourcePosition } | null;
  readonly headers: readonly { readonly type: Located<string> | null; readonly name: Located<string>; readonly value: Located<string>; readonly at: SourcePosition }[];
  readonly queryParams: readonly { readonly type: Located<string> | null; readonly name: Located<string>; readonly value: Located<string>; readonly at: SourcePosition }[];
  readonly method: Located<string> | null;
  readonly at: SourcePosition;
}

/** A header modifier's lists, as written (RequestHeaderModifier, ResponseHeaderModifier). */
export interface HeaderModifier {
  readonly set: readonly { readonly name: Located<string>; readonly value: Located<string> }[];
  readonly add: readonly { readonly name: Located<string>; readonly value: Located<string> }[];
  readonly remove: readonly Located<string>[];
}

/** `path` of RequestRedirect and URLRewrite. */
export interface PathModifier {
  readonly type: Located<string>;
  readonly replaceFullPath: Located<string> | null;
  readonly replacePrefixMatch: Located<string> | null;
  readonly at: SourcePosition;
}

export type HTTPRouteFilter =
  | { readonly type: 'RequestHeaderModifier' | 'ResponseHeaderModifier'; readonly modifier: HeaderModifier; readonly at: SourcePosition }
  | {
      readonly type: 'RequestRedirect';
      readonly scheme: Located<string> | null;
      readonly hostname: Located<string> | null;
      readonly path: PathModifier | null;
      readonly port: Located<number> | null;
      readonly statusCode: Located<number> | null;
      readonly at: SourcePosition;
    }
  | { readonly type: 'URLRewrite'; readonly hostname: Located<string> | null; readonly path: PathModifier | null; readonly at: SourcePosition }
  | { readonly type: 'RequestMirror'; readonly backendRef: GatewayBackendRef | null; readonly percent: number | null; readonly at: SourcePosition }
  | { readonly type: 'CORS'; readonly raw: unknown; readonly at: SourcePosition }
  | { readonly type: 'ExtensionRef'; readonly group: string | null; readonly kind: string | null; readonly name: string | null; readonly at: SourcePosition }
  /** A type this version does not know, or a filter missing the field its type needs. */
  | { readonly type: 'Unknown'; readonly written: Located<string> | null; readonly at: SourcePosition };

/** A backendRef of a route rule (or a mirror's): a Service port by default. */
export interface GatewayBackendRef {
  /** Defaults: group "" (core), kind Service, the route's namespace. */
  readonly group: string | null;
  readonly kind: string | null;
  readonly namespace: Located<string> | null;
  readonly name: Located<string>;
  readonly port: Located<number> | null;
  /** Default 1. */
  readonly weight: Located<number> | null;
  readonly filters: readonly HTTPRouteFilter[];
  readonly at: SourcePosition;
}

export interface HTTPRouteRule {
  readonly name: Located<string> | null;
  /** Empty when not written: one match of PathPrefix `/`. */
  readonly matches: readonly HTTPRouteMatch[];
  readonly filters: readonly HTTPRouteFilter[];
  readonly backendRefs: readonly GatewayBackendRef[];
  readonly timeouts: { readonly request: Located<string> | null; readonly backendRequest: Located<string> | null } | null;
  readonly at: SourcePosition;
}

export interface HTTPRoute {
  readonly kind: 'HTTPRoute';
  readonly apiVersion: string;
  readonly metadata: ObjectMeta;
  readonly parentRefs: readonly ParentRef[];
  readonly hostnames: readonly Located<string>[];
  readonly rules: readonly HTTPRouteRule[];
}

export interface GRPCRouteMatch {
  readonly method: { readonly type: Located<string> | null; readonly service: Located<string> | null; readonly method: Located<string> | null; readonly at: SourcePosition } | null;
  readonly headers: HTTPRouteMatch['headers'];
  readonly at: SourcePosition;
}

export interface GRPCRouteRule {
  readonly name: Located<string> | null;
  readonly matches: readonly GRPCRouteMatch[];
  readonly filters: readonly HTTPRouteFilter[];
  readonly backendRefs: readonly GatewayBackendRef[];
  readonly at: SourcePosition;
}

export interface GRPCRoute {
  readonly kind: 'GRPCRoute';
  readonly apiVersion: string;
  readonly metadata: ObjectMeta;
  readonly parentRefs: readonly ParentRef[];
  readonly hostnames: readonly Located<string>[];
  readonly rules: readonly GRPCRouteRule[];
}

export interface ReferenceGrant {
  readonly kind: 'ReferenceGrant';
  readonly apiVersion: string;
  readonly metadata: ObjectMeta;
  readonly from: readonly { readonly group: string; readonly kind: string; readonly namespace: string; readonly at: SourcePosition }[];
  readonly to: readonly { readonly group: string; readonly kind: string; readonly name: string | null; readonly at: SourcePosition }[];
}

/** A Namespace object: its labels select routes for a listener's `allowedRoutes.namespaces.selector`. */
export interface Namespace {
  readonly kind: 'Namespace';
  readonly metadata: ObjectMeta;
}

/** Kinds kept for later features (Deployments, Secrets, ...) with their raw content. */
export interface OtherResource {
  readonly kind: 'Other';
  readonly apiVersion: string;
  readonly resourceKind: string;
  readonly metadata: ObjectMeta;
  readonly raw: unknown;
}

export type Resource = Ingress | IngressClass | Service | GatewayClass | Gateway | HTTPRoute | GRPCRoute | ReferenceGrant | Namespace | OtherResource;

/** Everything read from a project folder. Plain data; the model compiles it. */
export interface ResourceSet {
  readonly ingresses: readonly Ingress[];
  readonly ingressClasses: readonly IngressClass[];
  readonly services: readonly Service[];
  readonly gatewayClasses: readonly GatewayClass[];
  readonly gateways: readonly Gateway[];
  readonly httpRoutes: readonly HTTPRoute[];
  readonly grpcRoutes: readonly GRPCRoute[];
  readonly referenceGrants: readonly ReferenceGrant[];
  readonly namespaces: readonly Namespace[];
  readonly others: readonly OtherResource[];
}

export interface SourceFile {
  /** Path relative to the project folder, with forward slashes. */
  readonly file: string;
  readonly text: string;
}

export interface LoadResult {
  readonly resources: ResourceSet;
  readonly diagnostics: readonly Diagnostic[];
  /** The texts read, for code frames. */
  readonly sources: ReadonlyMap<string, string>;
  readonly files: readonly string[];
}

export const emptyResourceSet: ResourceSet = { ingresses: [], ingressClasses: [], services: [], gatewayClasses: [], gateways: [], httpRoutes: [], grpcRoutes: [], referenceGrants: [], namespaces: [], others: [] };
