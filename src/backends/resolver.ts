import type { Service, ServicePort } from '../manifest/types.js';
import type { ServiceBackend } from '../model/types.js';
import { formatDockerVia, resolveDockerEndpoints, type DockerResolution } from './docker/select.js';
import type { DockerIndex, ReadinessIndex } from './docker/types.js';
import type { ServiceSelector } from './target.js';
import type { BackendResolver, Resolution, Target, TargetResolution, UnavailableResolution } from './types.js';

/** One explicit mapping, from a flag or the config file, with where it was written. */
export interface Mapping {
  readonly selector: ServiceSelector;
  readonly target: Target;
  /** `--map web=3000` or `ingress-dev.yaml:7`. */
  readonly via: string;
}

export interface ResolverOptions {
  /** Flags first, then the config file: the first mapping that selects a Service port wins. */
  readonly mappings: readonly Mapping[];
  readonly services: readonly Service[];
  /** What an unmapped Service gets: the echo responder, or a 503 that says how to map it. */
  readonly unmapped: 'echo' | 'unavailable';
  /** The Docker index (`createDockerDiscovery`); absent when Docker is off (`--no-docker`, `docker: off`). */
  readonly docker?: DockerIndex;
  /**
   * Readiness of the containers `up --run` started (`WorkloadRunner.readiness`): only ready ones
   * receive requests. Containers the user started are not gated.
   */
  readonly readiness?: ReadinessIndex;
}

/** What the resolver computed for one Service port from one Docker snapshot, and whose turn it is. */
interface DockerEntry {
  version: number;
  readinessVersion: number;
  result: DockerResolution;
  turn: number;
  /** Origins a request could not be sent to since the last snapshot: out of the rotation. */
  failed: Set<string>;
}

/**
 * Resolve a Service port to a target, in the order of DESIGN.md: explicit mappings, then
 * Docker containers, then ExternalName Services, then the `unmapped` policy.
 *
 * Called once per request, so the Docker part reads the index synchronously and computes a
 * Service port's endpoints once per index version; several containers are taken in turn.
 */
/** The Service port a backend names: by number, else by name. */
export function servicePortOf(service: Service, backend: ServiceBackend): ServicePort | undefined {
  return service.ports.find((p) => p.port === backend.port) ?? service.ports.find((p) => p.name !== null && p.name === backend.portName);
}

export function createResolver(options: ResolverOptions): Required<BackendResolver> {
  const services = new Map(options.services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const docker = options.docker;
  const readiness = options.readiness;
  const dockerEntries = new Map<string, DockerEntry>();
  /** Service ports Docker answered for: when the engine goes away they answer 503, not echo. */
  const servedByDocker = new Set<string>();

  function fromDocker(backend: ServiceBackend, service: Service, servicePort: ServicePort, peek: boolean): DockerResolution | Resolution {
    if (docker === undefined) return { kind: 'none', reason: '', hint: '' };
    const key = `${backend.namespace}/${backend.service}:${servicePort.port}`;
    const status = docker.status();
    if (status.state === 'unreachable' && status.endpoint !== null && servedByDocker.has(key)) {
      return {
        kind: 'unavailable',
        cause: 'docker',
        reason: `Docker engine not reachable at ${status.endpoint} (${status.error}): Service ${backend.namespace}/${backend.service} port ${servicePort.name ?? servicePort.port} was served by its containers`,
        hint: `${capitalize(status.hint)}; ingress-dev reconnects by itself and routes to the containers again`,
      };
    }
    if (status.state !== 'connected') return { kind: 'none', reason: '', hint: '' };
    const snapshot = docker.snapshot();
    const readinessVersion = readiness?.version() ?? 0;
    let entry = dockerEntries.get(key);
    if (entry === undefined) {
      entry = { version: snapshot.version, readinessVersion, result: resolveDockerEndpoints(snapshot, service, servicePort, readiness), turn: 0, failed: new Set() };
      dockerEntries.set(key, entry);
    } else if (entry.version !== snapshot.version || entry.readinessVersion !== readinessVersion) {
      entry.version = snapshot.version;
      entry.readinessVersion = readinessVersion;
      entry.result = resolveDockerEndpoints(snapshot, service, servicePort, readiness);
      // Discovery saw a change (a container gone, restarted, ready): failed endpoints get another chance.
      entry.failed.clear();
    }
    const result = entry.result;
    if (result.kind !== 'endpoints') {
      if (result.kind === 'unavailable') servedByDocker.add(key);
      return result;
    }
    servedByDocker.add(key);
    const failed = entry.failed;
    // Endpoints a request just failed on wait for discovery; when every one failed, all are tried.
    const usable = failed.size === 0 ? result.endpoints : result.endpoints.filter((e) => e.target.kind !== 'http' || !failed.has(e.target.origin));
    const endpoints = usable.length === 0 ? result.endpoints : usable;
    // A look (the UI, health checks) always sees the first usable replica: displays and
    // backend-changed events stay put while traffic takes its turns.
    const index = peek ? 0 : entry.turn % endpoints.length;
    if (!peek) entry.turn = (entry.turn + 1) % Number.MAX_SAFE_INTEGER;
    const endpoint = endpoints[index]!;
    return { kind: 'target', target: endpoint.target, via: formatDockerVia(result.selection, endpoint, result.endpoints.indexOf(endpoint), result.endpoints.length) };
  }

  const resolver: Required<BackendResolver> = {
    endpoints(backend: ServiceBackend): readonly TargetResolution[] | UnavailableResolution {
      const first = resolver.resolve(backend, { peek: true });
      if (first.kind === 'unavailable') return first;
      // The peek refreshed the Service port's Docker entry; when Docker served it, every ready container counts.
      const service = services.get(`${backend.namespace}/${backend.service}`);
      const servicePort = service === undefined ? undefined : servicePortOf(service, backend);
      const entry = servicePort === undefined ? undefined : dockerEntries.get(`${backend.namespace}/${backend.service}:${servicePort.port}`);
      const mapped = options.mappings.some((m) => selects(m.selector, backend));
      if (mapped || entry === undefined || entry.result.kind !== 'endpoints') return [first];
      const { selection, endpoints } = entry.result;
      return endpoints.map((endpoint, i) => ({ kind: 'target', target: endpoint.target, via: formatDockerVia(selection, endpoint, i, endpoints.length) }));
    },
    reportFailure(backend: ServiceBackend, target: Target): void {
      if (target.kind !== 'http') return;
      for (const [key, entry] of dockerEntries) {
        if (!key.startsWith(`${backend.namespace}/${backend.service}:`) || entry.result.kind !== 'endpoints') continue;
        if (entry.result.endpoints.some((e) => e.target.kind === 'http' && e.target.origin === target.origin)) entry.failed.add(target.origin);
      }
    },
    resolve(backend: ServiceBackend, resolveOptions?: { readonly peek?: boolean }): Resolution {
      const mapping = options.mappings.find((m) => selects(m.selector, backend));
      if (mapping !== undefined) return { kind: 'target', target: mapping.target, via: mapping.via };
      const service = services.get(`${backend.namespace}/${backend.service}`);
      const servicePort = service === undefined ? undefined : servicePortOf(service, backend);
      let dockerMiss: { reason: string; hint: string } | null = null;
      if (service !== undefined && servicePort !== undefined && backend.problem === null) {
        const found = fromDocker(backend, service, servicePort, resolveOptions?.peek === true);
        if (found.kind === 'target') return found;
        // No container takes the request, and `up --run` knows why: its workload failed.
        const failed = docker?.status().state === 'connected' ? readiness?.workloadProblemOf?.(`${backend.namespace}/${backend.service}`) : undefined;
        if (failed !== undefined) {
          return { kind: 'unavailable', cause: 'workload', reason: `Service ${backend.namespace}/${backend.service} port ${servicePort.name ?? servicePort.port}: ${failed.reason}`, hint: failed.hint };
        }
        if (found.kind === 'unavailable') return { kind: 'unavailable', cause: 'docker', reason: found.reason, hint: found.hint };
        if (found.kind === 'none' && found.reason !== '') dockerMiss = found;
      }
      if (service?.type === 'ExternalName' && service.externalName !== null && backend.port !== null) {
        const host = service.externalName;
        return {
          kind: 'target',
          target: { kind: 'http', protocol: 'http:', host, port: backend.port, origin: `http://${host}:${backend.port}` },
          via: `ExternalName ${host}`,
        };
      }
      if (options.unmapped === 'echo') return { kind: 'target', target: { kind: 'echo' }, via: 'unmapped: echo' };
      const engine = docker?.status();
      if (engine?.state === 'unreachable' && backend.problem === null) {
        const at = engine.endpoint === null ? `(${engine.error})` : `at ${engine.endpoint} (${engine.error})`;
        return { kind: 'unavailable', cause: 'unmapped', reason: `${unmappedReason(backend)}; Docker engine not reachable ${at}`, hint: `${mapHint(backend, service)}\nor start Docker: ${engine.hint}` };
      }
      if (dockerMiss !== null) return { kind: 'unavailable', cause: 'unmapped', reason: `${unmappedReason(backend)}; ${dockerMiss.reason}`, hint: `${mapHint(backend, service)}\n${dockerMiss.hint}` };
      return { kind: 'unavailable', cause: 'unmapped', reason: unmappedReason(backend), hint: mapHint(backend, service) };
    },
  };
  return resolver;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function selects(selector: ServiceSelector, backend: ServiceBackend): boolean {
  if (selector.service !== backend.service) return false;
  if (selector.namespace !== null && selector.namespace !== backend.namespace) return false;
  if (selector.port === null) return true;
  return selector.port === String(backend.port) || selector.port === backend.portName;
}

function unmappedReason(backend: ServiceBackend): string {
  if (backend.problem !== null) return backend.problem;
  return `Service ${backend.namespace}/${backend.service} port ${backend.portName ?? backend.port ?? '?'} has no endpoint: it is not mapped to anything running locally`;
}

/** The exact flag and config lines that would map this Service port. */
export function mapHint(backend: ServiceBackend, service: Service | undefined): string {
  const sp = service?.ports.find((p) => p.port === backend.port);
  // The container port is the most likely local port (the app listens there in the cluster too).
  const local = typeof sp?.targetPort === 'number' ? sp.targetPort : backend.port ?? 3000;
  const name = backend.namespace === 'default' ? backend.service : `${backend.namespace}/${backend.service}`;
  return [
    `Start the service locally and map it: --map ${name}=${local}`,
    `or in ingress-dev.yaml:  services: { ${name}: ${local} }`,
    'or answer with the built-in echo: --echo-unmapped',
  ].join('\n');
}
