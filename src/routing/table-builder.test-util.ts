import type { Backend, DefaultBackendRoute, HostKind, HostRoutes, IngressRef, Route, RouteTable } from '../model/types.js';
import type { DefaultBackendSpec, RouteSpec } from './cases.js';
import { compareRoutesForMatch, compilePathMatch } from './path.js';

/**
 * Builds a RouteTable by hand, the way the compiler does: lower-cased hosts, an exact-host
 * map, wildcard hosts keyed by the suffix after `*.`, the host-less rules apart, each host's
 * routes sorted in match order. Age defaults to the position in the list (file order); the
 * oldest defaultBackend is used and the others are shadowed.
 */
export function buildTable(routeSpecs: readonly RouteSpec[], defaultBackendSpecs: readonly DefaultBackendSpec[] = []): RouteTable {
  const routes = routeSpecs.map(buildRoute);
  const groups = new Map<string | null, Route[]>();
  for (const route of routes) {
    const group = groups.get(route.host) ?? [];
    group.push(route);
    groups.set(route.host, group);
  }

  const exactHosts = new Map<string, HostRoutes>();
  const wildcardHosts = new Map<string, HostRoutes>();
  let anyHost: HostRoutes | null = null;
  for (const [host, group] of groups) {
    const hostRoutes: HostRoutes = { host, kind: hostKindOf(host), profile: 'spec', routes: group.toSorted(compareRoutesForMatch) };
    if (host === null) anyHost = hostRoutes;
    else if (hostRoutes.kind === 'wildcard') wildcardHosts.set(host.slice(2), hostRoutes);
    else exactHosts.set(host, hostRoutes);
  }

  // Display order: hosts alphabetically, host-less rules last; each host in match order.
  const displayHosts = [...exactHosts.values(), ...wildcardHosts.values()].toSorted((a, b) =>
    (a.host ?? '').localeCompare(b.host ?? ''),
  );
  if (anyHost !== null) displayHosts.push(anyHost);

  const defaultBackends = defaultBackendSpecs.map(buildDefaultBackend).toSorted((a, b) => a.age - b.age);
  return {
    profile: 'spec',
    ingressProfiles: new Map(),
    exactHosts,
    wildcardHosts,
    anyHost,
    defaultBackend: defaultBackends[0] ?? null,
    routes: displayHosts.flatMap((hostRoutes) => hostRoutes.routes),
    shadowedDefaultBackends: defaultBackends.slice(1),
  };
}

function buildRoute(spec: RouteSpec, index: number): Route {
  const ingress = ingressOf(spec.id);
  const host = spec.host === null ? null : spec.host.toLowerCase();
  return {
    id: spec.id,
    ingress,
    profile: 'spec',
    host,
    hostKind: hostKindOf(host),
    path: spec.path,
    pathType: spec.pathType,
    ...compilePathMatch(spec.path, spec.pathType),
    backend: backendOf(spec, ingress),
    source: { file: 'ingress.yaml', line: index + 1, col: 1 },
    age: spec.age ?? index,
  };
}

function buildDefaultBackend(spec: DefaultBackendSpec, index: number): DefaultBackendRoute {
  const ingress = ingressOf(spec.id);
  return {
    id: spec.id,
    ingress,
    backend: backendOf(spec, ingress),
    source: { file: 'ingress.yaml', line: 100 + index, col: 1 },
    age: spec.age ?? index,
  };
}

function backendOf(spec: RouteSpec | DefaultBackendSpec, ingress: IngressRef): Backend {
  if (spec.resource !== undefined) {
    const [resourceKind = '', name = ''] = spec.resource.split('/');
    return {
      kind: 'resource',
      apiGroup: 'k8s.example.com',
      resourceKind,
      name,
      namespace: ingress.namespace,
      problem: `resource backend ${spec.resource} cannot be served locally`,
    };
  }
  return {
    kind: 'service',
    service: spec.service,
    namespace: ingress.namespace,
    port: spec.port,
    portName: null,
    problem: spec.problem ?? null,
  };
}

function hostKindOf(host: string | null): HostKind {
  if (host === null) return 'any';
  return host.startsWith('*.') ? 'wildcard' : 'exact';
}

/** `ingress:NAMESPACE/NAME#…` → `{namespace, name}`. */
function ingressOf(id: string): IngressRef {
  const match = /^ingress:([^/]+)\/([^#]+)#/.exec(id);
  if (match === null) throw new Error(`not a route id: ${id}`);
  return { namespace: match[1] ?? '', name: match[2] ?? '' };
}
