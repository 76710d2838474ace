import { gatewayApiVersions, grpcRouteApiVersions, referenceGrantApiVersions } from './gateway.js';
import { ingressClassApiVersions } from './ingress-class.js';
import { ingressApiVersions } from './ingress.js';
import { suggestWord } from './suggest.js';

/**
 * The resource types ingress-dev reads, and the kinds of their API groups that Kubernetes would
 * refuse (`kind: ingress`, `kind: Deploymnt`, `Ingress` in `apiVersion: v1`); every other type is
 * kept unread.
 */

export type Classified =
  | { readonly type: 'ingress'; readonly legacy: boolean }
  | { readonly type: 'ingress-class'; readonly legacy: boolean }
  | { readonly type: 'service' }
  /** Gateway API kinds; `legacy`: an older apiVersion, read as v1. */
  | { readonly type: 'gateway-class' | 'gateway' | 'http-route' | 'grpc-route'; readonly legacy: boolean }
  | { readonly type: 'reference-grant' }
  | { readonly type: 'namespace' }
  | { readonly type: 'other' }
  | { readonly type: 'unknown'; readonly message: string; readonly hint: string; readonly onApiVersion: boolean };

/**
 * The kinds Kubernetes serves in the API groups ingress-dev reads (the Gateway API's standard and
 * experimental channels included). In these groups any other kind is a mistake the API server
 * would refuse; a kind of another group (a CRD) is none of our business.
 */
const groupKinds: Readonly<Record<string, readonly string[]>> = {
  '': ['Pod', 'Service', 'ServiceAccount', 'Secret', 'ConfigMap', 'Namespace', 'Endpoints', 'PersistentVolume', 'PersistentVolumeClaim', 'Node', 'Event', 'LimitRange', 'ResourceQuota', 'ReplicationController', 'PodTemplate', 'Binding', 'ComponentStatus'],
  apps: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ControllerRevision'],
  'networking.k8s.io': ['Ingress', 'IngressClass', 'NetworkPolicy', 'IPAddress', 'ServiceCIDR', 'ClusterCIDR'],
  'gateway.networking.k8s.io': ['Gateway', 'GatewayClass', 'HTTPRoute', 'GRPCRoute', 'ReferenceGrant', 'TLSRoute', 'TCPRoute', 'UDPRoute', 'BackendTLSPolicy', 'BackendLBPolicy', 'ListenerSet'],
  extensions: ['Ingress', 'NetworkPolicy', 'Deployment', 'DaemonSet', 'ReplicaSet', 'PodSecurityPolicy'],
};

/** The apiVersion to write for a kind of a group (extensions is served nowhere any more). */
const groupApiVersions: Readonly<Record<string, string>> = {
  '': 'v1',
  apps: 'apps/v1',
  'networking.k8s.io': 'networking.k8s.io/v1',
  'gateway.networking.k8s.io': 'gateway.networking.k8s.io/v1',
};

const typedKinds: Readonly<Record<string, { readonly apiVersions: readonly string[]; readonly group: readonly string[] }>> = {
  Ingress: { apiVersions: ingressApiVersions, group: ['networking.k8s.io', 'extensions'] },
  IngressClass: { apiVersions: ingressClassApiVersions, group: ['networking.k8s.io'] },
  Service: { apiVersions: ['v1'], group: [''] },
  Namespace: { apiVersions: ['v1'], group: [''] },
  GatewayClass: { apiVersions: gatewayApiVersions, group: ['gateway.networking.k8s.io'] },
  Gateway: { apiVersions: gatewayApiVersions, group: ['gateway.networking.k8s.io'] },
  HTTPRoute: { apiVersions: gatewayApiVersions, group: ['gateway.networking.k8s.io'] },
  GRPCRoute: { apiVersions: grpcRouteApiVersions, group: ['gateway.networking.k8s.io'] },
  ReferenceGrant: { apiVersions: referenceGrantApiVersions, group: ['gateway.networking.k8s.io'] },
};

const gatewayTypes: Readonly<Record<string, 'gateway-class' | 'gateway' | 'http-route' | 'grpc-route'>> = {
  GatewayClass: 'gateway-class',
  Gateway: 'gateway',
  HTTPRoute: 'http-route',
  GRPCRoute: 'grpc-route',
};

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** Which reader an object goes to, by apiVersion and kind. */
export function classify(apiVersion: string, kind: string): Classified {
  const group = groupOf(apiVersion);
  const typed = Object.hasOwn(typedKinds, kind) ? typedKinds[kind] : undefined;
  // A kind of the same name in another group is someone else's (Istio's networking.istio.io
  // Gateway, Knative's serving.knative.dev Service): it falls to the group rules below.
  if (typed !== undefined && typed.group.includes(group)) {
    if (!typed.apiVersions.includes(apiVersion)) {
      return {
        type: 'unknown',
        message: `${kind} is not served in apiVersion ${apiVersion}; the object is ignored`,
        hint: `Write apiVersion: ${typed.apiVersions[0] ?? 'v1'}`,
        onApiVersion: true,
      };
    }
    if (kind === 'Service') return { type: 'service' };
    if (kind === 'Namespace') return { type: 'namespace' };
    if (kind === 'ReferenceGrant') return { type: 'reference-grant' };
    const gatewayType = Object.hasOwn(gatewayTypes, kind) ? gatewayTypes[kind] : undefined;
    if (gatewayType !== undefined) return { type: gatewayType, legacy: apiVersion !== typed.apiVersions[0] };
    const legacy = apiVersion !== 'networking.k8s.io/v1';
    return kind === 'Ingress' ? { type: 'ingress', legacy } : { type: 'ingress-class', legacy };
  }
  const known = Object.hasOwn(groupKinds, group) ? groupKinds[group] : undefined;
  if (known === undefined || known.includes(kind)) return { type: 'other' };
  const home = Object.entries(groupApiVersions).find(([g]) => groupKinds[g]?.includes(kind) === true);
  if (home !== undefined) {
    return { type: 'unknown', message: `${kind} is not served in apiVersion ${apiVersion}; the object is ignored`, hint: `Write apiVersion: ${home[1]}`, onApiVersion: true };
  }
  // Kinds are short words: a truncation is not a typo (kubeconfig files are kind: Config in v1).
  const meant = suggestWord(kind, known, { truncations: false });
  if (meant !== null) {
    return {
      type: 'unknown',
      message: `kind ${kind} is not a resource type of ${apiVersion}; the object is ignored`,
      hint: `Did you mean kind: ${meant}? Kinds are case-sensitive`,
      onApiVersion: false,
    };
  }
  // v1 documents that are no API object (a kubeconfig's kind: Config) stay quiet; other groups are ours.
  if (group === '') return { type: 'other' };
  return {
    type: 'unknown',
    message: `kind ${kind} is not a resource type of ${apiVersion}; the object is ignored`,
    hint: `Kinds of ${group}: ${known.join(', ')}. Kinds are case-sensitive`,
    onApiVersion: false,
  };
}

const kindForGroup: Readonly<Record<string, string>> = { 'networking.k8s.io': 'Ingress', extensions: 'Ingress', '': 'Service', apps: 'Deployment', 'gateway.networking.k8s.io': 'HTTPRoute' };

/** For the hint when apiVersion is missing: the apiVersion of a kind ingress-dev reads. */
export function expectedApiVersion(kind: string | null): string | null {
  return kind !== null && Object.hasOwn(typedKinds, kind) ? (typedKinds[kind]?.apiVersions[0] ?? null) : null;
}

/** For the hint when kind is missing: the kind most often meant with this apiVersion. */
export function expectedKind(apiVersion: string | null): string | null {
  const group = apiVersion === null ? null : groupOf(apiVersion);
  return group !== null && Object.hasOwn(kindForGroup, group) ? (kindForGroup[group] ?? null) : null;
}
