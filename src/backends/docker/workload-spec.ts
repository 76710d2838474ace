import { createHash } from 'node:crypto';
import { createDiagnostic, type Diagnostic, type SourcePosition } from '../../diagnostics/diagnostic.js';
import type { DiagnosticCode } from '../../diagnostics/catalogue.js';
import type { OtherResource, ResourceSet, Service } from '../../manifest/types.js';
import { formatPortNames, runLabels } from './labels.js';
import { resolveFenceposts, type UpdateStrategy } from './rollout.js';

/**
 * Deployments, StatefulSets and Pods of the folder → the containers that run them (`up --run`).
 * Pure: plain objects in, plain objects out (the body of the engine's create call, without the
 * network and the labels of the run), so what a manifest turns into is unit-tested without an
 * engine. Nothing a user writes throws: a workload that cannot run becomes a diagnostic.
 */

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'Pod';

export interface PlanContext {
  /** `projectIdOf(projectDir)`. */
  readonly projectId: string;
  /** Container names start with it: `shop-web-1`. */
  readonly projectSlug: string;
  readonly projectDir: string;
  /**
   * Publish the container ports on 127.0.0.1 (random host ports): needed where container
   * addresses are not reachable from this process (Docker Desktop, colima, rootless engines).
   */
  readonly publishPorts: boolean;
  /** More labels for every container (tests mark theirs). */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * The ids of images built from the project, by the name the workloads use: part of the spec,
   * so that a new build of an image replaces the containers that run the old one.
   */
  readonly imageIds?: ReadonlyMap<string, string>;
  /**
   * The address of each Service's relay (`namespace/name` → IP on the project network), when
   * Services have one: their names then belong to the relay (containers call a Service on its
   * port, as in a cluster), and each pod gets the Service variables kubelet sets.
   */
  readonly serviceAddresses?: ReadonlyMap<string, string>;
}

/** The body of `POST /containers/create` that a plan fixes (the runner adds the network and the run's labels). */
export interface ContainerSpec {
  readonly Image: string;
  readonly Hostname: string;
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Env: readonly string[];
  readonly WorkingDir?: string;
  readonly User?: string;
  readonly Tty: boolean;
  readonly OpenStdin: boolean;
  readonly Labels: Readonly<Record<string, string>>;
  readonly ExposedPorts: Readonly<Record<string, Record<string, never>>>;
  readonly StopTimeout?: number;
  readonly HostConfig: {
    readonly RestartPolicy: { readonly Name: 'always' | 'on-failure' | 'no' };
    readonly PortBindings: Readonly<Record<string, readonly { readonly HostIp: string; readonly HostPort: string }[]>>;
  };
}

export type Probe =
  | { readonly kind: 'http'; readonly port: number; readonly path: string; readonly scheme: 'http' | 'https'; readonly host: string | null; readonly headers: readonly (readonly [string, string])[] }
  | { readonly kind: 'tcp'; readonly port: number }
  | { readonly kind: 'exec'; readonly command: readonly string[] }
  /** A probe that can never pass as written (a port name the container does not have), as in a cluster. */
  | { readonly kind: 'never'; readonly why: string };

export interface ReadinessPlan {
  /** null: ready as soon as it runs (no probe, and no Service port to connect to). */
  readonly probe: Probe | null;
  /** `readinessProbe httpGet /healthz`, `TCP connect to port 8080`, `no readiness check`. */
  readonly description: string;
  readonly initialDelayMs: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export interface ReplicaPlan {
  /** 1, 2, … (0, 1, … for a StatefulSet). */
  readonly index: number;
  /** `web-1`: the pod name, also the container's hostname. */
  readonly podName: string;
  /** `shop-web-1`: the container name. */
  readonly containerName: string;
  /** Network aliases: every name of every Service that selects the pod (and a StatefulSet pod's own). */
  readonly aliases: readonly string[];
  readonly spec: ContainerSpec;
  /** Hash of `spec`: a container whose label differs is recreated. */
  readonly hash: string;
}

export interface WorkloadPlan {
  /** `Deployment/default/web`: the value of the workload label. */
  readonly key: string;
  /** `Deployment default/web`: how messages name it. */
  readonly title: string;
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  readonly at: SourcePosition;
  /** With a tag: `nginx:latest`, `ghcr.io/acme/api:1.2`, or a digest. */
  readonly image: string;
  readonly pullPolicy: 'IfNotPresent' | 'Always' | 'Never';
  readonly replicas: readonly ReplicaPlan[];
  /** How a change of its pod spec reaches its containers (`spec.strategy`, `spec.updateStrategy`). */
  readonly strategy: UpdateStrategy;
  /** How long a container that leaves may finish the requests it was sent (terminationGracePeriodSeconds, 30 s by default). */
  readonly drainMs: number;
  readonly readiness: ReadinessPlan;
  /** `default/web`: the Services that select the pods. */
  readonly services: readonly string[];
}

/** A workload of the folder that cannot run as written; its containers (if any run) are left as they are. */
export interface WorkloadFailure {
  readonly key: string;
  readonly title: string;
  readonly at: SourcePosition;
  readonly error: string;
}

export interface WorkloadPlans {
  /** In file order. */
  readonly workloads: readonly WorkloadPlan[];
  readonly failed: readonly WorkloadFailure[];
  readonly diagnostics: readonly Diagnostic[];
}

type Json = Record<string, unknown>;

/** Every workload of the folder, with the containers it becomes. */
export function planWorkloads(resources: ResourceSet, context: PlanContext): WorkloadPlans {
  const diagnostics: Diagnostic[] = [];
  const configs = collectConfigs(resources.others, diagnostics);
  const workloads: WorkloadPlan[] = [];
  const failed: WorkloadFailure[] = [];
  for (const resource of resources.others) {
    const kind = workloadKind(resource);
    if (kind === null) continue;
    const controller = ingressControllerImage(resource);
    if (controller !== null) {
      diagnostics.push(createDiagnostic('I_CONTROLLER_NOT_RUN', 'info',
        `${kind} ${resource.metadata.namespace}/${resource.metadata.name} runs ${controller}, the ingress-nginx controller: ingress-dev does not run it, it routes in its place (profile nginx)`,
        resource.metadata.at, 'Nothing to do: its ConfigMap, if the folder holds it, is read as the nginx profile\'s controller ConfigMap (ingress-dev routes shows it).'));
      continue;
    }
    const result = planWorkload(resource, kind, resources.services, configs, context, diagnostics);
    if ('error' in result) failed.push(result);
    else workloads.push(result);
  }
  return { workloads, failed, diagnostics };
}

/**
 * The image of an ingress-nginx controller container (registry.k8s.io/ingress-nginx/controller,
 * as deploy.yaml and the Helm chart run it), or null: the folder's copy of the controller is
 * what ingress-dev stands in for.
 */
function ingressControllerImage(resource: OtherResource): string | null {
  const containers = (resource.raw as { spec?: { containers?: unknown; template?: { spec?: { containers?: unknown } } } } | null)?.spec;
  const list = containers?.template?.spec?.containers ?? containers?.containers;
  if (!Array.isArray(list)) return null;
  for (const c of list as { image?: unknown }[]) {
    if (typeof c?.image === 'string' && /(^|\/)ingress-nginx\/controller(-chroot)?([:@]|$)/.test(c.image)) return c.image;
  }
  return null;
}

/** Which workload kind an object is, when it is one this tool runs. */
export function workloadKind(resource: OtherResource): WorkloadKind | null {
  const { resourceKind: kind, apiVersion } = resource;
  if (kind === 'Pod' && apiVersion === 'v1') return 'Pod';
  if ((kind === 'Deployment' || kind === 'StatefulSet') && apiVersion.startsWith('apps/')) return kind;
  if (kind === 'Deployment' && apiVersion === 'extensions/v1beta1') return 'Deployment';
  return null;
}

// ---------------------------------------------------------------------------------------------
// ConfigMaps and Secrets

interface ConfigSource {
  readonly kind: 'ConfigMap' | 'Secret';
  readonly data: ReadonlyMap<string, string>;
}

/** ConfigMaps and Secrets by `Kind/namespace/name`, their values decoded. */
function collectConfigs(others: readonly OtherResource[], diagnostics: Diagnostic[]): Map<string, ConfigSource> {
  const configs = new Map<string, ConfigSource>();
  for (const r of others) {
    if (r.apiVersion !== 'v1' || (r.resourceKind !== 'ConfigMap' && r.resourceKind !== 'Secret')) continue;
    const raw = asObject(r.raw) ?? {};
    const data = new Map<string, string>();
    const subject = `${r.resourceKind} ${r.metadata.namespace}/${r.metadata.name}`;
    if (r.resourceKind === 'ConfigMap') {
      for (const [k, v] of Object.entries(asObject(raw['data']) ?? {})) {
        const text = scalarText(v);
        if (text !== null) data.set(k, text);
      }
      for (const [k, v] of Object.entries(asObject(raw['binaryData']) ?? {})) {
        const decoded = decodeBase64(v);
        if (decoded !== null) data.set(k, decoded);
      }
    } else {
      for (const [k, v] of Object.entries(asObject(raw['data']) ?? {})) {
        const decoded = decodeBase64(v);
        if (decoded === null) {
          diagnostics.push(
            createDiagnostic('E_FIELD_TYPE', 'error', `${subject}: data.${k} is not base64, so the key is left out`, r.metadata.at, `Encode the value (echo -n VALUE | base64), or write it under stringData, which takes plain text`),
          );
        } else data.set(k, decoded);
      }
      // The API server merges stringData into data, stringData winning.
      for (const [k, v] of Object.entries(asObject(raw['stringData']) ?? {})) {
        const text = scalarText(v);
        if (text !== null) data.set(k, text);
      }
    }
    configs.set(`${r.resourceKind}/${r.metadata.namespace}/${r.metadata.name}`, { kind: r.resourceKind, data });
  }
  return configs;
}

function decodeBase64(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const compact = value.replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) return null;
  return Buffer.from(compact, 'base64').toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// One workload

function planWorkload(
  resource: OtherResource,
  kind: WorkloadKind,
  services: readonly Service[],
  configs: ReadonlyMap<string, ConfigSource>,
  context: PlanContext,
  diagnostics: Diagnostic[],
): WorkloadPlan | WorkloadFailure {
  const { name, namespace, at } = resource.metadata;
  const key = `${kind}/${namespace}/${name}`;
  const title = `${kind} ${namespace}/${name}`;
  const raw = asObject(resource.raw) ?? {};
  const spec = asObject(raw['spec']) ?? {};
  const fail = (code: DiagnosticCode, message: string, hint: string): WorkloadFailure => {
    diagnostics.push(createDiagnostic(code, 'error', `${title}: ${message}; it is not run`, at, hint));
    return { key, title, at, error: message };
  };
  const warn = (code: DiagnosticCode, message: string, hint: string): void => {
    diagnostics.push(createDiagnostic(code, 'warning', `${title}: ${message}`, at, hint));
  };

  const template = kind === 'Pod' ? raw : asObject(spec['template']);
  if (template === null) return fail('E_WORKLOAD_INVALID', 'spec.template is missing', 'A Deployment or StatefulSet describes its pods under spec.template: {metadata: {labels}, spec: {containers}}');
  const podMeta = asObject(template['metadata']) ?? {};
  const podSpec = asObject(kind === 'Pod' ? raw['spec'] : template['spec']);
  if (podSpec === null) return fail('E_WORKLOAD_INVALID', 'the pod spec is missing', 'Write spec.template.spec.containers (spec.containers for a Pod)');
  const containers = asArray(podSpec['containers']).map(asObject);
  const container = containers[0];
  if (container === null || container === undefined) return fail('E_WORKLOAD_INVALID', 'the pod has no containers', 'List at least one container with a name and an image');
  const containerName = stringOf(container['name']) ?? 'container';
  const imageText = stringOf(container['image'])?.trim() ?? '';
  if (imageText === '') return fail('E_WORKLOAD_INVALID', `container "${containerName}" has no image`, 'Write image: NAME:TAG, for example image: nginx:1.27-alpine');

  const others = containers.slice(1).map((c) => `"${stringOf(c?.['name']) ?? '?'}"`);
  const inits = asArray(podSpec['initContainers']).map((c) => `"${stringOf(asObject(c)?.['name']) ?? '?'}"`);
  if (others.length > 0 || inits.length > 0) {
    const parts = [others.length > 0 ? `sidecar${others.length > 1 ? 's' : ''} ${others.join(', ')}` : null, inits.length > 0 ? `init container${inits.length > 1 ? 's' : ''} ${inits.join(', ')}` : null];
    warn('W_SIDECARS_NOT_RUN', `only the first container, "${containerName}", is run; ${parts.filter((p) => p !== null).join(' and ')} ${others.length + inits.length > 1 ? 'are' : 'is'} not`, 'Run what the other containers do yourself (and map it with --map), or move the main container first');
  }
  const mounts = asArray(container['volumeMounts']).map((m) => stringOf(asObject(m)?.['mountPath'])).filter((p): p is string => p !== null);
  if (mounts.length > 0) {
    warn('W_VOLUMES_NOT_MOUNTED', `volumes are not mounted: ${mounts.join(', ')} ${mounts.length > 1 ? 'are' : 'is'} whatever the image has there`, 'Put configuration in env (or envFrom a ConfigMap); volumes are not emulated');
  }

  const replicaCount = kind === 'Pod' ? 1 : replicasOf(spec['replicas']);
  if (replicaCount === null) return fail('E_WORKLOAD_INVALID', `spec.replicas must be a whole number of 0 or more`, 'Write replicas: 2');
  const strategy = strategyOf(kind, spec, replicaCount);
  if ('error' in strategy) return fail('E_WORKLOAD_INVALID', strategy.error, strategy.hint);
  // The pod's labels: a Service selects containers by them, as it selects pods.
  const labels = stringMap(podMeta['labels']);

  // Ports, and their names (a Service targetPort by name resolves through them).
  const ports: { port: number; protocol: string; name: string | null; hostPort: number | null; hostIp: string | null }[] = [];
  for (const p of asArray(container['ports']).map(asObject)) {
    const port = portNumber(p?.['containerPort']);
    if (p === null || port === null) continue;
    const protocol = (stringOf(p['protocol']) ?? 'TCP').toLowerCase();
    ports.push({ port, protocol, name: stringOf(p['name']), hostPort: portNumber(p['hostPort']), hostIp: stringOf(p['hostIP']) });
  }
  const portNames = new Map(ports.filter((p) => p.name !== null && p.protocol === 'tcp').map((p) => [p.name as string, p.port]));

  // The Services that select these pods: their names become network aliases, their ports are
  // published (when asked) and the first one's targetPort is the default readiness check.
  const selecting = services.filter(
    (s) => s.metadata.namespace === namespace && s.type !== 'ExternalName' && s.selector.size > 0 && [...s.selector].every(([k, v]) => labels.get(k) === v),
  );
  const targetPorts: number[] = [];
  for (const s of selecting) {
    for (const sp of s.ports) {
      if (sp.protocol !== 'TCP') continue;
      const target = typeof sp.targetPort === 'number' ? sp.targetPort : portNames.get(sp.targetPort);
      if (target === undefined) continue;
      // port 80 → targetPort 3000 is an ordinary Service, not a warning (issue 10 item 12):
      // (Containers call it on its port through its relay; see service-relay.ts.)
      targetPorts.push(target);
    }
  }

  // Environment: envFrom first, then env (which wins), as the kubelet does.
  const podNames = Array.from({ length: replicaCount }, (_, i) => podNameOf(kind, name, kind === 'StatefulSet' ? i : i + 1));
  const pod: PodFields = { namespace, labels, annotations: stringMap(podMeta['annotations']), serviceAccount: stringOf(podSpec['serviceAccountName']) ?? 'default' };
  // kubelet's Service variables (API_SERVICE_HOST, …) for the Services of the namespace that have
  // an address, unless enableServiceLinks: false; the container's own env may use and override them.
  const linked = context.serviceAddresses === undefined || podSpec['enableServiceLinks'] === false ? [] : services.filter((s) => s.metadata.namespace === namespace);
  const serviceEnv = serviceLinkVariables(linked, context.serviceAddresses ?? new Map());
  const envResult = resolveEnv(container, pod, configs, serviceEnv);
  if ('error' in envResult) return fail('E_WORKLOAD_REF_NOT_FOUND', envResult.error, envResult.hint);
  for (const w of envResult.warnings) warn('W_ENV_NOT_SET', w, 'Set the value with env: [{name, value}] instead');

  const readiness = readinessOf(asObject(container['readinessProbe']), portNames, targetPorts[0] ?? null, containerName, warn);
  const probePort = readiness.probe?.kind === 'http' || readiness.probe?.kind === 'tcp' ? readiness.probe.port : null;

  const published = new Set<number>();
  if (context.publishPorts) {
    for (const p of ports) if (p.protocol === 'tcp') published.add(p.port);
    for (const p of targetPorts) published.add(p);
    if (probePort !== null) published.add(probePort);
  }
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) exposed[`${p.port}/${p.protocol}`] = {};
  for (const p of published) {
    exposed[`${p}/tcp`] = {};
    bindings[`${p}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: '' }];
  }
  for (const p of ports) {
    // hostPort: the pod asked for a port on the node; here that is this machine, on loopback unless told.
    if (p.hostPort !== null) bindings[`${p.port}/${p.protocol}`] = [{ HostIp: p.hostIp ?? '127.0.0.1', HostPort: String(p.hostPort) }];
  }

  const restartPolicy = kind === 'Pod' ? (stringOf(podSpec['restartPolicy']) ?? 'Always') : 'Always';
  const security = { ...asObject(podSpec['securityContext']), ...asObject(container['securityContext']) };
  const uid = wholeNumber(security['runAsUser']);
  const gid = wholeNumber(security['runAsGroup']);
  const grace = wholeNumber(podSpec['terminationGracePeriodSeconds']);
  const pullPolicyText = stringOf(container['imagePullPolicy']);
  const pullPolicy = pullPolicyText === 'Always' || pullPolicyText === 'Never' ? pullPolicyText : 'IfNotPresent';
  const image = withTag(imageText);

  // With relays, a Service's names are its relay's (a headless Service's stay the pods': its name
  // resolves to them in a cluster too).
  const relayed = (s: Service): boolean => context.serviceAddresses?.has(`${namespace}/${s.metadata.name}`) === true;
  const aliases = [...new Set(selecting.filter((s) => !relayed(s)).flatMap((s) => clusterNames(s.metadata.name, namespace)))].toSorted();
  const governing = kind === 'StatefulSet' ? stringOf(spec['serviceName']) : null;
  const extraLabels = context.labels ?? {};

  const replicas: ReplicaPlan[] = podNames.map((podName, i) => {
    const index = kind === 'StatefulSet' ? i : i + 1;
    const env = finalizeEnv(envResult.env, podName);
    const expand = (list: readonly string[] | null): string[] | undefined => (list === null ? undefined : list.map((t) => expandVars(t, env)));
    const specLabels: Record<string, string> = {
      ...Object.fromEntries(labels),
      ...extraLabels,
      [runLabels.project]: context.projectId,
      [runLabels.projectDir]: context.projectDir,
      [runLabels.workload]: key,
      [runLabels.replica]: String(index),
      ...(context.imageIds?.get(image) === undefined ? {} : { [runLabels.imageId]: context.imageIds.get(image) ?? '' }),
    };
    if (portNames.size > 0) specLabels[runLabels.portNames] = formatPortNames(portNames);
    const body: ContainerSpec = {
      Image: image,
      Hostname: podName.slice(0, 63).replace(/[-.]+$/, ''),
      ...(container['command'] !== undefined ? { Entrypoint: expand(stringList(container['command'])) ?? [] } : {}),
      ...(container['args'] !== undefined ? { Cmd: expand(stringList(container['args'])) ?? [] } : {}),
      Env: [...env].map(([k, v]) => `${k}=${v}`),
      ...(stringOf(container['workingDir']) !== null ? { WorkingDir: stringOf(container['workingDir']) ?? '' } : {}),
      ...(uid !== null ? { User: gid !== null ? `${uid}:${gid}` : String(uid) } : {}),
      Tty: container['tty'] === true,
      OpenStdin: container['stdin'] === true,
      Labels: specLabels,
      ExposedPorts: exposed,
      ...(grace !== null ? { StopTimeout: grace } : {}),
      HostConfig: {
        RestartPolicy: { Name: restartPolicy === 'Never' ? 'no' : restartPolicy === 'OnFailure' ? 'on-failure' : 'always' },
        PortBindings: bindings,
      },
    };
    const hash = hashSpec(body);
    const own = governing === null ? [] : clusterNames(`${podName}.${governing}`, namespace);
    return {
      index,
      podName,
      containerName: `${context.projectSlug}-${podName}`,
      aliases: [...aliases, ...own],
      spec: { ...body, Labels: { ...body.Labels, [runLabels.specHash]: hash } },
      hash,
    };
  });

  return {
    key,
    title,
    kind,
    namespace,
    name,
    at,
    image,
    pullPolicy,
    replicas,
    strategy,
    drainMs: (grace ?? 30) * 1_000,
    readiness,
    services: selecting.map((s) => `${namespace}/${s.metadata.name}`),
  };
}

/** `NAME`, `NAME.NAMESPACE`, `NAME.NAMESPACE.svc`, `NAME.NAMESPACE.svc.cluster.local`: the names cluster DNS answers. */
export function clusterNames(name: string, namespace: string): string[] {
  return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
}

function podNameOf(kind: WorkloadKind, name: string, index: number): string {
  return kind === 'Pod' ? name : `${name}-${index}`;
}

/** A stable hash of a create body: keys sorted, so the order they were written in does not matter. */
export function hashSpec(spec: ContainerSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `nginx` → `nginx:latest`, as the engine reads a reference without tag; digests and tags are kept. */
export function withTag(image: string): string {
  if (image.includes('@')) return image;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? image : `${image}:latest`;
}

// ---------------------------------------------------------------------------------------------
// Environment

/**
 * The variables kubelet sets for each Service of the pod's namespace (pkg/kubelet/envvars,
 * FromServices): `{NAME}_SERVICE_HOST`, `{NAME}_SERVICE_PORT` (the first port),
 * `{NAME}_SERVICE_PORT_{PORTNAME}`, and Docker-link style `{NAME}_PORT`,
 * `{NAME}_PORT_{PORT}_{PROTO}` with `_PROTO`, `_PORT`, `_ADDR`. NAME is the Service name upper
 * case, `-` and `.` as `_`, `_` first when it starts with a digit. Headless Services (no address)
 * and ExternalName ones have none.
 */
export function serviceLinkVariables(services: readonly Service[], addresses: ReadonlyMap<string, string>): Map<string, string> {
  const env = new Map<string, string>();
  for (const s of services) {
    const ip = addresses.get(`${s.metadata.namespace}/${s.metadata.name}`);
    const first = s.ports[0];
    if (ip === undefined || first === undefined || s.headless === true || s.type === 'ExternalName') continue;
    const prefix = envVariableName(s.metadata.name);
    env.set(`${prefix}_SERVICE_HOST`, ip);
    env.set(`${prefix}_SERVICE_PORT`, String(first.port));
    for (const p of s.ports) if (p.name !== null && p.name !== '') env.set(`${prefix}_SERVICE_PORT_${envVariableName(p.name)}`, String(p.port));
    s.ports.forEach((p, i) => {
      const proto = p.protocol.toLowerCase();
      if (i === 0) env.set(`${prefix}_PORT`, `${proto}://${ip}:${p.port}`);
      const portPrefix = `${prefix}_PORT_${p.port}_${p.protocol.toUpperCase()}`;
      env.set(portPrefix, `${proto}://${ip}:${p.port}`);
      env.set(`${portPrefix}_PROTO`, proto);
      env.set(`${portPrefix}_PORT`, String(p.port));
      env.set(`${portPrefix}_ADDR`, ip);
    });
  }
  return env;
}

function envVariableName(name: string): string {
  const upper = name.replaceAll('.', '_').replaceAll('-', '_').toUpperCase();
  return /^[0-9]/.test(upper) ? `_${upper}` : upper;
}

interface PodFields {
  readonly namespace: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly annotations: ReadonlyMap<string, string>;
  readonly serviceAccount: string;
}

/** A value that depends on the replica (the pod name), filled in per replica. */
type EnvValue = string | { readonly podName: true };

function resolveEnv(
  container: Json,
  pod: PodFields,
  configs: ReadonlyMap<string, ConfigSource>,
  serviceEnv: ReadonlyMap<string, string> = new Map(),
): { env: Map<string, EnvValue>; warnings: string[] } | { error: string; hint: string } {
  const env = new Map<string, EnvValue>(serviceEnv);
  const warnings: string[] = [];
  const find = (kind: 'ConfigMap' | 'Secret', name: string): ConfigSource | undefined => configs.get(`${kind}/${pod.namespace}/${name}`);
  const missingHint = (kind: string, name: string) => `Add the ${kind} to the folder (kind: ${kind}, metadata.name: ${name}, namespace ${pod.namespace}), or mark the reference optional: true`;

  for (const source of asArray(container['envFrom']).map(asObject)) {
    if (source === null) continue;
    const prefix = stringOf(source['prefix']) ?? '';
    const ref = asObject(source['configMapRef']) ?? asObject(source['secretRef']);
    const kind = asObject(source['configMapRef']) !== null ? 'ConfigMap' : 'Secret';
    const refName = stringOf(ref?.['name']);
    if (ref === null || refName === null) continue;
    const found = find(kind, refName);
    if (found === undefined) {
      if (ref['optional'] === true) continue;
      return { error: `envFrom reads ${kind} ${pod.namespace}/${refName}, which is not in the folder`, hint: missingHint(kind, refName) };
    }
    for (const [k, v] of found.data) {
      const name = prefix + k;
      if (isEnvName(name)) env.set(name, v);
      else warnings.push(`envFrom ${kind} ${refName}: key "${k}" is not a valid environment variable name and is left out`);
    }
  }

  for (const item of asArray(container['env']).map(asObject)) {
    const name = stringOf(item?.['name']);
    if (item === null || name === null) continue;
    const from = asObject(item['valueFrom']);
    if (from === null) {
      // $(VAR) in a value refers to variables defined before it, as the kubelet expands them.
      env.set(name, expandVars(scalarText(item['value']) ?? '', env));
      continue;
    }
    const keyRef = asObject(from['configMapKeyRef']) ?? asObject(from['secretKeyRef']);
    if (keyRef !== null) {
      const kind = asObject(from['configMapKeyRef']) !== null ? 'ConfigMap' : 'Secret';
      const refName = stringOf(keyRef['name']) ?? '';
      const key = stringOf(keyRef['key']) ?? '';
      const found = find(kind, refName);
      const value = found?.data.get(key);
      if (value !== undefined) env.set(name, value);
      else if (keyRef['optional'] !== true) {
        return found === undefined
          ? { error: `env ${name} reads key "${key}" of ${kind} ${pod.namespace}/${refName}, which is not in the folder`, hint: missingHint(kind, refName) }
          : { error: `env ${name} reads key "${key}" of ${kind} ${pod.namespace}/${refName}, which has no such key (it has: ${[...found.data.keys()].join(', ') || 'none'})`, hint: `Add ${key} to the ${kind}, or mark the reference optional: true` };
      }
      continue;
    }
    const fieldPath = stringOf(asObject(from['fieldRef'])?.['fieldPath']);
    if (fieldPath !== null) {
      const value = fieldValue(fieldPath, pod);
      if (value === undefined) warnings.push(`env ${name}: fieldRef ${fieldPath} has no value outside a cluster and is left out`);
      else env.set(name, value);
      continue;
    }
    if (asObject(from['resourceFieldRef']) !== null) {
      warnings.push(`env ${name}: resourceFieldRef is not emulated and is left out`);
      continue;
    }
    warnings.push(`env ${name}: valueFrom names no source ingress-dev knows and is left out`);
  }
  return { env, warnings };
}

function fieldValue(fieldPath: string, pod: PodFields): EnvValue | undefined {
  switch (fieldPath) {
    case 'metadata.name':
      return { podName: true };
    case 'metadata.namespace':
      return pod.namespace;
    case 'spec.serviceAccountName':
      return pod.serviceAccount;
    case 'spec.nodeName':
      return 'ingress-dev';
  }
  const m = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(fieldPath);
  if (m !== null) return (m[1] === 'labels' ? pod.labels : pod.annotations).get(m[2] ?? '') ?? '';
  return undefined;
}

function finalizeEnv(env: ReadonlyMap<string, EnvValue>, podName: string): Map<string, string> {
  return new Map([...env].map(([k, v]) => [k, typeof v === 'string' ? v : podName]));
}

/**
 * `$(VAR)` → the value of VAR when it is defined, else left as written; `$$` → `$`. The rule
 * the kubelet applies to env values, command and args.
 */
export function expandVars(text: string, env: ReadonlyMap<string, EnvValue | string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    const value = name === undefined ? undefined : env.get(name);
    return typeof value === 'string' ? value : match;
  });
}

function isEnvName(name: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name);
}

// ---------------------------------------------------------------------------------------------
// Readiness

function readinessOf(
  probe: Json | null,
  portNames: ReadonlyMap<string, number>,
  targetPort: number | null,
  containerName: string,
  warn: (code: DiagnosticCode, message: string, hint: string) => void,
): ReadinessPlan {
  const seconds = (v: unknown, fallback: number, min: number): number => {
    const n = wholeNumber(v);
    return n === null || n < min ? fallback : n;
  };
  const timing = {
    initialDelayMs: seconds(probe?.['initialDelaySeconds'], 0, 0) * 1000,
    periodMs: seconds(probe?.['periodSeconds'], 10, 1) * 1000,
    timeoutMs: seconds(probe?.['timeoutSeconds'], 1, 1) * 1000,
    successThreshold: seconds(probe?.['successThreshold'], 1, 1),
    failureThreshold: seconds(probe?.['failureThreshold'], 3, 1),
  };
  const portOf = (value: unknown, what: string): number | { never: string } => {
    const n = portNumber(value);
    if (n !== null) return n;
    const name = stringOf(value);
    const named = name === null ? undefined : portNames.get(name);
    if (named !== undefined) return named;
    const why = `${what} port ${JSON.stringify(value ?? null)} is not a port number or a port name of container "${containerName}"`;
    warn('W_READINESS_PROBE', `${why}: the probe cannot pass, so the container never receives requests`, `Name the port in the container's ports (ports: [{name: ${name ?? 'http'}, containerPort: 8080}]) or write the number`);
    return { never: why };
  };

  if (probe !== null) {
    const http = asObject(probe['httpGet']);
    if (http !== null) {
      const path = stringOf(http['path']) ?? '/';
      const description = `readinessProbe httpGet ${path}`;
      const port = portOf(http['port'], 'readinessProbe httpGet');
      if (typeof port !== 'number') return { probe: { kind: 'never', why: port.never }, description, ...timing };
      const headers = asArray(http['httpHeaders'])
        .map(asObject)
        .map((h) => [stringOf(h?.['name']), scalarText(h?.['value'])] as const)
        .filter((h): h is readonly [string, string] => h[0] !== null && h[1] !== null);
      const scheme = stringOf(http['scheme'])?.toUpperCase() === 'HTTPS' ? 'https' : 'http';
      return { probe: { kind: 'http', port, path: path.startsWith('/') ? path : `/${path}`, scheme, host: stringOf(http['host']), headers }, description, ...timing };
    }
    const tcp = asObject(probe['tcpSocket']);
    if (tcp !== null) {
      const port = portOf(tcp['port'], 'readinessProbe tcpSocket');
      const description = `readinessProbe tcpSocket ${typeof port === 'number' ? port : String(stringOf(tcp['port']) ?? '?')}`;
      if (typeof port !== 'number') return { probe: { kind: 'never', why: port.never }, description, ...timing };
      return { probe: { kind: 'tcp', port }, description, ...timing };
    }
    const exec = stringList(asObject(probe['exec'])?.['command']);
    if (exec !== null && exec.length > 0) return { probe: { kind: 'exec', command: exec }, description: `readinessProbe exec ${exec.join(' ')}`, ...timing };
    const grpc = asObject(probe['grpc']);
    if (grpc !== null) {
      const port = portNumber(grpc['port']);
      if (port !== null) {
        warn('W_READINESS_PROBE', 'a grpc readinessProbe is checked as a TCP connect to its port', 'The gRPC health service is not called locally; the container is ready once its port accepts connections');
        return { probe: { kind: 'tcp', port }, description: `readinessProbe grpc ${port} (as a TCP connect)`, ...timing };
      }
    }
    warn('W_READINESS_PROBE', 'the readinessProbe has no httpGet, tcpSocket or exec; it is ignored', 'Write readinessProbe: {httpGet: {path: /healthz, port: 8080}}');
  }
  // No probe: a TCP connect to the port a Service sends traffic to, so requests wait for the
  // server to listen (a cluster would route at once; locally a refused connection helps nobody).
  if (targetPort !== null) return { probe: { kind: 'tcp', port: targetPort }, description: `TCP connect to port ${targetPort}`, ...timing, periodMs: 1000, failureThreshold: 1 };
  return { probe: null, description: 'no readiness check', ...timing };
}

// ---------------------------------------------------------------------------------------------
// Reading plain YAML values

function asObject(value: unknown): Json | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function stringOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A scalar as the API server would accept it in a string field (numbers and booleans as written). */
function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function stringMap(value: unknown): Map<string, string> {
  return new Map(Object.entries(asObject(value) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function stringList(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;
  return value.map((v) => scalarText(v) ?? '');
}

function wholeNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
}

function portNumber(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : null;
}

/**
 * `spec.strategy` of a Deployment, `spec.updateStrategy` of a StatefulSet, checked as the API
 * server validates them (apps validation: ValidateDeploymentStrategy, ValidateRollingUpdateDeployment,
 * ValidateStatefulSetUpdateStrategy); a value it would reject makes the workload not run.
 */
function strategyOf(kind: WorkloadKind, spec: Json, replicas: number): UpdateStrategy | { readonly error: string; readonly hint: string } {
  if (kind === 'Pod') return { kind: 'Recreate' }; // a Pod is one container: it goes, then comes back
  if (kind === 'StatefulSet') {
    const update = asObject(spec['updateStrategy']) ?? {};
    const type = update['type'] ?? 'RollingUpdate';
    if (type === 'OnDelete') return { kind: 'OnDelete' };
    if (type !== 'RollingUpdate') return { error: `spec.updateStrategy.type ${JSON.stringify(type)} is not RollingUpdate or OnDelete`, hint: 'Write updateStrategy: {type: RollingUpdate} (the default), or OnDelete' };
    const partitionValue = asObject(update['rollingUpdate'])?.['partition'];
    const partition = partitionValue === undefined || partitionValue === null ? 0 : wholeNumber(partitionValue);
    if (partition === null) return { error: 'spec.updateStrategy.rollingUpdate.partition must be a whole number of 0 or more', hint: 'Write partition: 0 to update every replica' };
    return { kind: 'OrderedRollingUpdate', partition };
  }
  const strategy = asObject(spec['strategy']) ?? {};
  const type = strategy['type'] ?? 'RollingUpdate';
  const rolling = strategy['rollingUpdate'];
  if (type === 'Recreate') {
    if (rolling !== undefined && rolling !== null) return { error: "spec.strategy.rollingUpdate may not be given when the type is 'Recreate'", hint: 'Remove rollingUpdate, or write type: RollingUpdate' };
    return { kind: 'Recreate' };
  }
  if (type !== 'RollingUpdate') return { error: `spec.strategy.type ${JSON.stringify(type)} is not RollingUpdate or Recreate`, hint: 'Write strategy: {type: RollingUpdate} (the default), or Recreate' };
  const fields = asObject(rolling) ?? {};
  const surge = intOrPercent(fields['maxSurge'] ?? '25%');
  const unavailable = intOrPercent(fields['maxUnavailable'] ?? '25%');
  const hint = 'Write a whole number (1) or a percentage of the replicas ("25%", the default)';
  if (surge === null) return { error: `spec.strategy.rollingUpdate.maxSurge ${JSON.stringify(fields['maxSurge'])} is not a whole number of 0 or more or a percentage`, hint };
  if (unavailable === null) return { error: `spec.strategy.rollingUpdate.maxUnavailable ${JSON.stringify(fields['maxUnavailable'])} is not a whole number of 0 or more or a percentage`, hint };
  if (typeof unavailable === 'string' && Number(unavailable.slice(0, -1)) > 100) return { error: 'spec.strategy.rollingUpdate.maxUnavailable may not be more than 100%', hint: 'Write at most "100%"' };
  const zero = (v: number | string): boolean => (typeof v === 'number' ? v : Number(v.slice(0, -1))) === 0;
  if (zero(surge) && zero(unavailable)) return { error: 'spec.strategy.rollingUpdate.maxUnavailable may not be 0 when maxSurge is 0', hint: 'Let one of them be more than 0: maxSurge: 1 starts each new replica before an old one stops' };
  return { kind: 'RollingUpdate', ...resolveFenceposts(surge, unavailable, replicas) };
}

/** An IntOrString count: a whole number, or a percentage written as a string (`"25%"`). */
function intOrPercent(value: unknown): number | string | null {
  if (typeof value === 'number') return wholeNumber(value);
  return typeof value === 'string' && /^\d+%$/.test(value) ? value : null;
}

function replicasOf(value: unknown): number | null {
  if (value === undefined || value === null) return 1;
  return wholeNumber(value);
}
