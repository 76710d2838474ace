import type { Service } from '../manifest/types.js';
import type { ServiceBackend } from '../model/types.js';
import type { ServiceSelector } from './target.js';
import type { BackendResolver, Resolution, Target } from './types.js';

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
}

/**
 * Resolve a Service port to a target, in the order of DESIGN.md: explicit mappings, then
 * ExternalName Services, then the `unmapped` policy. (Docker comes later.)
 */
export function createResolver(options: ResolverOptions): BackendResolver {
  const services = new Map(options.services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  return {
    resolve(backend: ServiceBackend): Resolution {
      const mapping = options.mappings.find((m) => selects(m.selector, backend));
      if (mapping !== undefined) return { kind: 'target', target: mapping.target, via: mapping.via };
      const service = services.get(`${backend.namespace}/${backend.service}`);
      if (service?.type === 'ExternalName' && service.externalName !== null && backend.port !== null) {
        const host = service.externalName;
        return {
          kind: 'target',
          target: { kind: 'http', protocol: 'http:', host, port: backend.port, origin: `http://${host}:${backend.port}` },
          via: `ExternalName ${host}`,
        };
      }
      if (options.unmapped === 'echo') return { kind: 'target', target: { kind: 'echo' }, via: 'unmapped: echo' };
      return { kind: 'unavailable', reason: unmappedReason(backend), hint: mapHint(backend, service) };
    },
  };
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
