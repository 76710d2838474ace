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
}

/** Kinds kept for later features (Deployments, Secrets, ...) with their raw content. */
export interface OtherResource {
  readonly kind: 'Other';
  readonly apiVersion: string;
  readonly resourceKind: string;
  readonly metadata: ObjectMeta;
  readonly raw: unknown;
}

export type Resource = Ingress | IngressClass | Service | OtherResource;

/** Everything read from a project folder. Plain data; the model compiles it. */
export interface ResourceSet {
  readonly ingresses: readonly Ingress[];
  readonly ingressClasses: readonly IngressClass[];
  readonly services: readonly Service[];
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

export const emptyResourceSet: ResourceSet = { ingresses: [], ingressClasses: [], services: [], others: [] };
