import { ingressClassApiVersions } from './ingress-class.js';
import { ingressApiVersions } from './ingress.js';
import { editDistance } from './suggest.js';

/**
 * The resource types ingress-dev reads, and the near misses of them that Kubernetes would refuse
 * (`kind: ingress`, `Ingress` in `apiVersion: v1`); every other type is kept unread.
 */

export type Classified =
  | { readonly type: 'ingress'; readonly legacy: boolean }
  | { readonly type: 'ingress-class'; readonly legacy: boolean }
  | { readonly type: 'service' }
  | { readonly type: 'other' }
  | { readonly type: 'unknown'; readonly message: string; readonly hint: string; readonly onApiVersion: boolean };

/** Kinds of the API groups where a near-miss of Ingress, IngressClass or Service is a typo. */
const groupKinds: Readonly<Record<string, readonly string[]>> = {
  '': ['Pod', 'Service', 'ServiceAccount', 'Secret', 'ConfigMap', 'Namespace', 'Endpoints', 'PersistentVolume', 'PersistentVolumeClaim', 'Node', 'Event', 'LimitRange', 'ResourceQuota', 'ReplicationController', 'PodTemplate', 'Binding', 'ComponentStatus'],
  'networking.k8s.io': ['Ingress', 'IngressClass', 'NetworkPolicy', 'IPAddress', 'ServiceCIDR'],
  extensions: ['Ingress', 'NetworkPolicy', 'Deployment', 'DaemonSet', 'ReplicaSet', 'PodSecurityPolicy'],
};

const typedKinds: Readonly<Record<string, { readonly apiVersions: readonly string[]; readonly group: readonly string[] }>> = {
  Ingress: { apiVersions: ingressApiVersions, group: ['networking.k8s.io', 'extensions'] },
  IngressClass: { apiVersions: ingressClassApiVersions, group: ['networking.k8s.io'] },
  Service: { apiVersions: ['v1'], group: [''] },
};

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** Which reader an object goes to, by apiVersion and kind. */
export function classify(apiVersion: string, kind: string): Classified {
  const typed = Object.hasOwn(typedKinds, kind) ? typedKinds[kind] : undefined;
  if (typed !== undefined) {
    if (!typed.apiVersions.includes(apiVersion)) {
      return {
        type: 'unknown',
        message: `${kind} is not served in apiVersion ${apiVersion}; the object is ignored`,
        hint: `Write apiVersion: ${typed.apiVersions[0] ?? 'v1'}`,
        onApiVersion: true,
      };
    }
    if (kind === 'Service') return { type: 'service' };
    const legacy = apiVersion !== 'networking.k8s.io/v1';
    return kind === 'Ingress' ? { type: 'ingress', legacy } : { type: 'ingress-class', legacy };
  }
  const group = groupOf(apiVersion);
  const known = Object.hasOwn(groupKinds, group) ? groupKinds[group] : undefined;
  if (known !== undefined && !known.includes(kind)) {
    const meant = Object.entries(typedKinds).find(
      ([name, info]) => info.group.includes(group) && (name.toLowerCase() === kind.toLowerCase() || editDistance(name.toLowerCase(), kind.toLowerCase(), 2) <= 2),
    );
    if (meant !== undefined) {
      return {
        type: 'unknown',
        message: `kind ${kind} is not a resource type of ${apiVersion}; the object is ignored`,
        hint: `Did you mean kind: ${meant[0]}? Kinds are case-sensitive`,
        onApiVersion: false,
      };
    }
  }
  return { type: 'other' };
}

const kindForGroup: Readonly<Record<string, string>> = { 'networking.k8s.io': 'Ingress', extensions: 'Ingress', '': 'Service', apps: 'Deployment' };

/** For the hint when apiVersion is missing: the apiVersion of a kind ingress-dev reads. */
export function expectedApiVersion(kind: string | null): string | null {
  return kind !== null && Object.hasOwn(typedKinds, kind) ? (typedKinds[kind]?.apiVersions[0] ?? null) : null;
}

/** For the hint when kind is missing: the kind most often meant with this apiVersion. */
export function expectedKind(apiVersion: string | null): string | null {
  const group = apiVersion === null ? null : groupOf(apiVersion);
  return group !== null && Object.hasOwn(kindForGroup, group) ? (kindForGroup[group] ?? null) : null;
}
