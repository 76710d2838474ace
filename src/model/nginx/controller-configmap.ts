import type { SourcePosition } from '../../diagnostics/diagnostic.js';
import type { OtherResource } from '../../manifest/types.js';
import type { ConfigMapLookup } from './config.js';

/**
 * The controller ConfigMap of ingress-nginx, when the folder holds the controller's manifests
 * (the static deploy.yaml or a rendered Helm chart). The controller reads the ConfigMap its
 * `--configmap=NAMESPACE/NAME` argument names (deploy/static/provider/cloud/deploy.yaml:
 * `--configmap=$(POD_NAMESPACE)/ingress-nginx-controller`); without such a Deployment in the
 * folder, the ConfigMap the chart and deploy.yaml create: `ingress-nginx-controller`, or one
 * labelled `app.kubernetes.io/name: ingress-nginx` and `app.kubernetes.io/component: controller`.
 */
export interface ControllerConfigMap {
  /** `ingress-nginx/ingress-nginx-controller`. */
  readonly name: string;
  /** How it was found, for `routes`: `--configmap of Deployment ingress-nginx/ingress-nginx-controller`. */
  readonly why: string;
  readonly at: SourcePosition;
  /** Its data, as the controller reads it (every value a string). */
  readonly entries: readonly { readonly key: string; readonly value: string; readonly at: SourcePosition }[];
}

const workloadKinds: ReadonlySet<string> = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);

export function findControllerConfigMap(others: readonly OtherResource[]): ControllerConfigMap | null {
  const configMaps = others.filter((o) => o.resourceKind === 'ConfigMap' && o.apiVersion === 'v1');
  if (configMaps.length === 0) return null;
  const byName = new Map(configMaps.map((c) => [`${c.metadata.namespace}/${c.metadata.name}`, c]));
  for (const workload of others) {
    if (!workloadKinds.has(workload.resourceKind)) continue;
    const named = configMapArgument(workload);
    if (named === null) continue;
    const found = byName.get(named);
    if (found !== undefined) return readConfigMap(found, `--configmap of ${workload.resourceKind} ${workload.metadata.namespace}/${workload.metadata.name}`);
  }
  const labelled = configMaps.find((c) => c.metadata.labels.get('app.kubernetes.io/name') === 'ingress-nginx' && c.metadata.labels.get('app.kubernetes.io/component') === 'controller');
  if (labelled !== undefined) return readConfigMap(labelled, 'labelled app.kubernetes.io/name: ingress-nginx, component: controller');
  const conventional = configMaps.find((c) => c.metadata.name === 'ingress-nginx-controller');
  return conventional === undefined ? null : readConfigMap(conventional, 'named ingress-nginx-controller, as deploy.yaml and the Helm chart name it');
}

/** `--configmap=NS/NAME` (or `--configmap NS/NAME`) of an ingress-nginx controller container, `$(POD_NAMESPACE)` resolved. */
function configMapArgument(workload: OtherResource): string | null {
  const containers = (workload.raw as { spec?: { template?: { spec?: { containers?: unknown } } } } | null)?.spec?.template?.spec?.containers;
  if (!Array.isArray(containers)) return null;
  for (const container of containers as { args?: unknown }[]) {
    const args = Array.isArray(container?.args) ? container.args.filter((a): a is string => typeof a === 'string') : [];
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string;
      const value = arg.startsWith('--configmap=') ? arg.slice('--configmap='.length) : arg === '--configmap' ? (args[i + 1] ?? null) : null;
      if (value === null) continue;
      const resolved = value.replaceAll('$(POD_NAMESPACE)', workload.metadata.namespace);
      return resolved.includes('/') ? resolved : `${workload.metadata.namespace}/${resolved}`;
    }
  }
  return null;
}

function readConfigMap(configMap: OtherResource, why: string): ControllerConfigMap {
  const data = (configMap.raw as { data?: unknown } | null)?.data;
  const entries: ControllerConfigMap['entries'][number][] = [];
  if (data !== null && typeof data === 'object') {
    for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
      // The API server keeps only strings in data; a YAML number or boolean here is refused by kubectl.
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') entries.push({ key, value: String(value), at: configMap.metadata.at });
    }
  }
  return { name: `${configMap.metadata.namespace}/${configMap.metadata.name}`, why, at: configMap.metadata.at, entries };
}

/** The folder's ConfigMaps by `NAMESPACE/NAME` (add-headers, proxy-set-headers and custom-headers name one). */
export function configMapLookup(others: readonly OtherResource[]): ConfigMapLookup {
  const byName = new Map<string, OtherResource>();
  for (const o of others) if (o.resourceKind === 'ConfigMap' && o.apiVersion === 'v1') byName.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
  return (ref) => {
    const found = byName.get(ref);
    return found === undefined ? null : new Map(readConfigMap(found, '').entries.map((e) => [e.key, e.value]));
  };
}
