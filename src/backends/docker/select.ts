import type { Service, ServicePort } from '../../manifest/types.js';
import type { Target } from '../types.js';
import { formatContainer, type DockerContainer } from './containers.js';
import type { ContainerReadiness, DockerSnapshot, ReadinessIndex } from './types.js';

/** The label docker compose puts on every container of a compose service. */
export const composeServiceLabel = 'com.docker.compose.service';

/** Which rule selected the containers, in the order they are tried. */
export type SelectionRule =
  | { readonly kind: 'selector'; readonly selector: ReadonlyMap<string, string> }
  | { readonly kind: 'compose'; readonly service: string }
  | { readonly kind: 'name'; readonly name: string };

export interface Selection {
  readonly rule: SelectionRule;
  /** `selector app=web`, `compose service web`, `container name web`. */
  readonly description: string;
  /** Every container the rule selects, running or not, sorted by name. */
  readonly containers: readonly DockerContainer[];
}

export type HttpTarget = Extract<Target, { kind: 'http' }>;

export interface DockerEndpoint {
  readonly container: DockerContainer;
  readonly target: HttpTarget;
  /** How the address was found: a published port, the container's address, or the host network. */
  readonly how: 'published' | 'address' | 'host-network';
}

export type DockerResolution =
  /** No container is selected: the resolver goes on (ExternalName, unmapped); `reason` enriches its message. */
  | { readonly kind: 'none'; readonly reason: string; readonly hint: string }
  /** Running containers with an address, to take in turn. */
  | { readonly kind: 'endpoints'; readonly selection: Selection; readonly endpoints: readonly DockerEndpoint[] }
  /** Containers are selected, but none can take the request: a 503 that says why. */
  | { readonly kind: 'unavailable'; readonly selection: Selection; readonly reason: string; readonly hint: string };

/**
 * The containers a Service selects. First the cluster's own rule: every key=value of the
 * Service `selector` among the container's labels (an empty selector selects nothing, as in
 * Kubernetes, where it means "endpoints are managed by hand"); then the containers of the
 * compose service with the Service's name; then the container with that name. The first rule
 * that selects a running container wins; when none does, the first rule that selects stopped
 * containers explains the 503.
 */
export function selectContainers(containers: readonly DockerContainer[], service: Pick<Service, 'metadata' | 'selector'>): Selection | null {
  const name = service.metadata.name;
  const rules: Selection[] = [];
  if (service.selector.size > 0) {
    const selector = service.selector;
    rules.push({
      rule: { kind: 'selector', selector },
      description: `selector ${formatSelector(selector)}`,
      containers: containers.filter((c) => [...selector].every(([k, v]) => c.labels.get(k) === v)),
    });
  }
  rules.push(
    { rule: { kind: 'compose', service: name }, description: `compose service ${name}`, containers: containers.filter((c) => c.labels.get(composeServiceLabel) === name) },
    { rule: { kind: 'name', name }, description: `container name ${name}`, containers: containers.filter((c) => c.name === name) },
  );
  return rules.find((r) => r.containers.some((c) => c.state === 'running')) ?? rules.find((r) => r.containers.length > 0) ?? null;
}

/** `app=web,tier=frontend`, as kubectl writes a selector. */
export function formatSelector(selector: ReadonlyMap<string, string>): string {
  return [...selector].map(([k, v]) => `${k}=${v}`).join(',');
}

/**
 * Where the containers selected for one Service port answer, or why none can. Pure. With a
 * readiness index, running containers that are not ready are left out, as a Service leaves out
 * pods whose readinessProbe fails; when that leaves none, the 503 says which check is pending.
 */
export function resolveDockerEndpoints(snapshot: DockerSnapshot, service: Service, servicePort: ServicePort, readiness?: Pick<ReadinessIndex, 'readinessOf'>): DockerResolution {
  const selection = selectContainers(snapshot.containers, service);
  const svc = `Service ${service.metadata.namespace}/${service.metadata.name} port ${servicePort.name ?? servicePort.port}`;
  if (selection === null) {
    const rules = [service.selector.size > 0 ? `selector ${formatSelector(service.selector)}` : null, `compose service ${service.metadata.name}`, `container name ${service.metadata.name}`];
    return {
      kind: 'none',
      reason: `no Docker container matches ${rules.filter((r) => r !== null).join(', ')}`,
      hint: service.selector.size > 0
        ? `or start a container with the Service's labels: docker run ${[...service.selector].map(([k, v]) => `-l ${k}=${v}`).join(' ')} …`
        : `or start a container named ${service.metadata.name}: docker run --name ${service.metadata.name} …`,
    };
  }
  const running = selection.containers.filter((c) => c.state === 'running');
  if (running.length === 0) return stoppedResolution(svc, selection);

  const endpoints: DockerEndpoint[] = [];
  const problems: string[] = [];
  const notReady: Extract<ContainerReadiness, { ready: false }>[] = [];
  for (const container of running) {
    const state = readiness?.readinessOf(container);
    if (state !== undefined && !state.ready) {
      notReady.push(state);
      continue;
    }
    const port = containerPort(servicePort, container);
    if (!port.ok) {
      problems.push(port.reason);
      continue;
    }
    const address = addressOf(container, port.port, snapshot.addresses);
    if (address.ok) endpoints.push({ container, target: httpTarget(address.host, address.port), how: address.how });
    else problems.push(address.reason);
  }
  if (endpoints.length > 0) return { kind: 'endpoints', selection, endpoints };
  const waiting = notReady[0];
  if (waiting !== undefined && problems.length === 0) {
    const more = notReady.length > 1 ? ` (and ${notReady.length - 1} more replicas not ready)` : '';
    return { kind: 'unavailable', selection, reason: `${svc}: ${waiting.reason}${more}`, hint: waiting.hint };
  }
  const first = problems[0] ?? 'no container can be reached';
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more like it)` : '';
  const named = typeof servicePort.targetPort === 'string';
  return {
    kind: 'unavailable',
    selection,
    reason: `${svc}: ${first}${more}`,
    hint: named
      ? `Write the container port as a number in the Service: targetPort: 8080 (port names are known only for containers ingress-dev starts)`
      : `Publish the container port, for example: docker run -p 127.0.0.1::${servicePort.targetPort} …, or ports: ["127.0.0.1::${servicePort.targetPort}"] in compose`,
  };
}

function stoppedResolution(svc: string, selection: Selection): DockerResolution {
  const states = selection.containers.map((c) => `${formatContainer(c)} ${describeStopped(c)}`);
  const reason = selection.containers.length === 1
    ? `${svc}: docker: ${selection.description} selects container ${states[0] ?? ''}`
    : `${svc}: docker: ${selection.description} selects ${selection.containers.length} containers, none running: ${states.join('; ')}`;
  const first = selection.containers[0];
  const name = first?.name ?? '';
  const hint = first?.state === 'paused'
    ? `Resume it: docker unpause ${name}`
    : `Start it again: docker start ${name} (docker logs ${name} says why it stopped)`;
  return { kind: 'unavailable', selection, reason, hint };
}

function describeStopped(c: DockerContainer): string {
  switch (c.state) {
    case 'exited':
      return c.exitCode === null ? 'which exited' : `which exited with code ${c.exitCode}`;
    case 'created':
      return 'which was created but never started';
    case 'paused':
      return 'which is paused';
    case 'restarting':
      return c.exitCode === null ? 'which is restarting' : `which is restarting (it exited with code ${c.exitCode})`;
    case 'removing':
      return 'which is being removed';
    case 'dead':
    case 'running':
      return `which is ${c.state}`;
  }
}

/** The container port of a Service port: `targetPort` by number, or by name when the container names its ports. */
function containerPort(servicePort: ServicePort, container: DockerContainer): { ok: true; port: number } | { ok: false; reason: string } {
  const target = servicePort.targetPort;
  if (typeof target === 'number') return { ok: true, port: target };
  const port = container.namedPorts.get(target);
  if (port !== undefined) return { ok: true, port };
  return {
    ok: false,
    reason: `targetPort "${target}" is a port name, and container ${formatContainer(container)} does not name its ports (only containers started from manifests do)`,
  };
}

/**
 * How to reach a container port: its published host port when there is one (the only way on
 * macOS and Windows, where container addresses live in a VM), else the container's address.
 */
export function addressOf(
  container: DockerContainer,
  port: number,
  addresses: DockerSnapshot['addresses'],
): { ok: true; host: string; port: number; how: DockerEndpoint['how'] } | { ok: false; reason: string } {
  const bindings = container.ports.filter((p) => p.containerPort === port && p.protocol === 'tcp');
  // An IPv4 binding first: 0.0.0.0 and :: usually come in pairs, and 127.0.0.1 always answers.
  const binding = bindings.find((b) => !b.hostIp.includes(':')) ?? bindings[0];
  if (binding !== undefined) return { ok: true, host: loopbackFor(binding.hostIp), port: binding.hostPort, how: 'published' };
  if (addresses.reachable) {
    if (container.networkMode === 'host') return { ok: true, host: '127.0.0.1', port, how: 'host-network' };
    const network = container.networks.find((n) => n.ip !== '');
    if (network !== undefined) return { ok: true, host: network.ip, port, how: 'address' };
  }
  const why = addresses.reachable ? '' : ` (${addresses.why})`;
  return { ok: false, reason: `container ${container.name} publishes no port for ${port} and has no reachable address${why}: publish the port with -p ${port}` };
}

/**
 * Whether a target address (`host`, `port` as `addressOf` gives them) reaches this container:
 * one of its network addresses, or one of its published ports. For counting the requests in
 * progress to a container that leaves.
 */
export function addressMatcher(container: DockerContainer): (host: string, port: number) => boolean {
  const ips = new Set(container.networks.map((n) => n.ip).filter((ip) => ip !== ''));
  const published = new Set(container.ports.map((p) => `${loopbackFor(p.hostIp)}:${p.hostPort}`));
  return (host, port) => ips.has(host) || published.has(`${host}:${port}`);
}

/** A wildcard binding listens on loopback too; an explicit address is used as is. */
function loopbackFor(hostIp: string): string {
  if (hostIp === '' || hostIp === '0.0.0.0') return '127.0.0.1';
  if (hostIp === '::') return '[::1]';
  return hostIp.includes(':') ? `[${hostIp}]` : hostIp;
}

function httpTarget(host: string, port: number): HttpTarget {
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { kind: 'http', protocol: 'http:', host: shown, port, origin: `http://${shown}:${port}` };
}

/** `docker: selector app=web → container web-1 (3f2a1b2c3d4e)`, and which replica when there are several. */
export function formatDockerVia(selection: Selection, endpoint: DockerEndpoint, index: number, count: number): string {
  const replica = count > 1 ? `, replica ${index + 1} of ${count}` : '';
  return `docker: ${selection.description} → container ${formatContainer(endpoint.container)}${replica}`;
}
