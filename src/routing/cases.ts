import type { PathType } from '../model/types.js';
import type { MatchRequest } from './types.js';

/**
 * The shared case table for the `spec` profile: every matcher must pass every case (the idea
 * of Hono's `common.case.test.ts`). Cases describe Ingress paths as plain data; a test helper
 * builds the RouteTable the way the compiler does.
 */

/** One Ingress path, as written. */
export interface RouteSpec {
  /** `ingress:NAMESPACE/NAME#rRULE.pPATH`; the namespace and name are taken from it. */
  readonly id: string;
  /** As written; null for a rule without a host. */
  readonly host: string | null;
  readonly path: string;
  readonly pathType: PathType;
  readonly service: string;
  readonly port: number;
  /** Why the Service port cannot be reached, when it cannot. */
  readonly problem?: string;
  /** `Kind/name` of a resource backend, instead of the service. */
  readonly resource?: string;
  /** Lower is older; defaults to the position in the list (file order). */
  readonly age?: number;
}

/** One Ingress `spec.defaultBackend`. The oldest is used; the others are shadowed. */
export interface DefaultBackendSpec {
  /** `ingress:NAMESPACE/NAME#default`. */
  readonly id: string;
  readonly service: string;
  readonly port: number;
  readonly problem?: string;
  readonly resource?: string;
  readonly age?: number;
}

export interface MatchCaseExpectation {
  readonly status: 200 | 404 | 503;
  /** The winning route, or null when a defaultBackend served the request or nothing matched. */
  readonly routeId: string | null;
  readonly upstreamPath: string | null;
  /** The defaultBackend that served the request, when one did. */
  readonly defaultBackendId?: string;
}

export interface MatchCase {
  readonly name: string;
  readonly routes: readonly RouteSpec[];
  readonly defaultBackends?: readonly DefaultBackendSpec[];
  readonly request: MatchRequest;
  readonly expect: MatchCaseExpectation;
}

interface DocsPath {
  readonly pathType: PathType;
  /** As written. */
  readonly path: string;
  /** Lower is older; defaults to the position in the list. */
  readonly age?: number;
}

/** Where a case comes from: its name starts with `label`, its routes belong to Ingress `ingress`. */
interface CaseSource {
  readonly label: string;
  readonly ingress: string;
}

/**
 * One Ingress without a host whose paths are `paths`, and one request. `winner` is the index of
 * the path that must match, or null for no match.
 */
function pathsCase(source: CaseSource, paths: readonly DocsPath[], requestPath: string, winner: number | null, note = ''): MatchCase {
  const routes = paths.map(
    (p, index): RouteSpec => ({
      id: `ingress:default/${source.ingress}#r0.p${index}`,
      host: null,
      path: p.path,
      pathType: p.pathType,
      service: source.ingress,
      port: 80,
      age: p.age,
    }),
  );
  const written = paths.map((p) => `${p.pathType} ${p.path}${p.age === undefined ? '' : ` (age ${p.age})`}`).join(', ');
  const outcome = winner === null ? 'no match' : `matches ${paths[winner]?.pathType} ${paths[winner]?.path}`;
  return {
    name: `${source.label}: ${written} vs ${requestPath}: ${outcome}${note === '' ? '' : ` (${note})`}`,
    routes,
    request: { host: 'example.com', path: requestPath },
    expect:
      winner === null
        ? { status: 404, routeId: null, upstreamPath: null }
        : { status: 200, routeId: routes[winner]?.id ?? null, upstreamPath: requestPath },
  };
}

/**
 * A row of the "Examples" table in the Kubernetes Ingress documentation, "Path types" /
 * "Multiple matches": https://kubernetes.io/docs/concepts/services-networking/ingress/#examples
 */
function docsCase(paths: readonly DocsPath[], requestPath: string, winner: number | null, note = ''): MatchCase {
  return pathsCase({ label: 'docs', ingress: 'docs' }, paths, requestPath, winner, note);
}

/**
 * The Kubernetes API reference, `pathType` Prefix (the `PathTypePrefix` comment in
 * kubernetes/api networking/v1/types.go, rendered at
 * https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/):
 * "/foo and /foo/ both match requests to /foo and /foo/. If both paths are present in an
 * Ingress spec, the longest matching path (/foo/) is given priority."
 */
function apiCase(paths: readonly DocsPath[], requestPath: string, winner: number, note: string): MatchCase {
  return pathsCase({ label: 'api reference, PathTypePrefix', ingress: 'api' }, paths, requestPath, winner, note);
}

const prefix = (path: string, age?: number): DocsPath => ({ pathType: 'Prefix', path, age });
const exact = (path: string): DocsPath => ({ pathType: 'Exact', path });
const implementationSpecific = (path: string): DocsPath => ({ pathType: 'ImplementationSpecific', path });

const docsCases: readonly MatchCase[] = [
  docsCase([prefix('/')], '/', 0, 'all paths'),
  docsCase([prefix('/')], '/foo', 0, 'all paths'),
  docsCase([prefix('/')], '/foo/bar/', 0, 'all paths'),
  docsCase([exact('/foo')], '/foo', 0),
  docsCase([exact('/foo')], '/bar', null),
  docsCase([exact('/foo')], '/foo/', null),
  docsCase([exact('/foo/')], '/foo', null),
  docsCase([prefix('/foo')], '/foo', 0),
  docsCase([prefix('/foo')], '/foo/', 0),
  docsCase([prefix('/foo/')], '/foo', 0),
  docsCase([prefix('/foo/')], '/foo/', 0),
  docsCase([prefix('/aaa/bb')], '/aaa/bbb', null),
  docsCase([prefix('/aaa/bbb')], '/aaa/bbb', 0),
  docsCase([prefix('/aaa/bbb/')], '/aaa/bbb', 0, 'ignores trailing slash'),
  docsCase([prefix('/aaa/bbb')], '/aaa/bbb/', 0, 'matches trailing slash'),
  docsCase([prefix('/aaa/bbb')], '/aaa/bbb/ccc', 0, 'matches subpath'),
  docsCase([prefix('/aaa/bbb')], '/aaa/bbbxyz', null, 'does not match string prefix'),
  docsCase([prefix('/'), prefix('/aaa')], '/aaa/ccc', 1, 'matches /aaa prefix'),
  docsCase([prefix('/'), prefix('/aaa'), prefix('/aaa/bbb')], '/aaa/bbb', 2, 'matches /aaa/bbb prefix'),
  docsCase([prefix('/'), prefix('/aaa'), prefix('/aaa/bbb')], '/ccc', 0, 'matches / prefix'),
  {
    name: 'docs: Prefix /aaa vs /ccc: no match (uses default backend)',
    routes: [{ id: 'ingress:default/docs#r0.p0', host: null, path: '/aaa', pathType: 'Prefix', service: 'docs', port: 80 }],
    defaultBackends: [{ id: 'ingress:default/docs#default', service: 'fallback', port: 80 }],
    request: { host: 'example.com', path: '/ccc' },
    expect: { status: 200, routeId: null, upstreamPath: '/ccc', defaultBackendId: 'ingress:default/docs#default' },
  },
  docsCase([prefix('/foo'), exact('/foo')], '/foo', 1, 'Mixed: prefers Exact'),
];

// Element-wise /foo and /foo/ are the same prefix; the longer path string wins, whichever is
// written first and whichever is older.
const apiReferenceCases: readonly MatchCase[] = [
  apiCase([prefix('/foo'), prefix('/foo/')], '/foo', 1, 'the longest matching path (/foo/) is given priority'),
  apiCase([prefix('/foo'), prefix('/foo/')], '/foo/', 1, 'the longest matching path (/foo/) is given priority'),
  apiCase([prefix('/foo/'), prefix('/foo')], '/foo', 0, '/foo/ wins whichever is written first'),
  apiCase([prefix('/foo/', 1), prefix('/foo', 0)], '/foo/', 0, '/foo/ wins even when it is newer'),
  apiCase([prefix('/foo'), prefix('/foo/')], '/foo/bar', 1, '/foo/ also wins below both'),
  apiCase([prefix('/foo'), prefix('/foo/')], '/foo?next=/', 1, 'the query string plays no part'),
  apiCase([prefix('/aaa/bbb'), prefix('/aaa/bbb/')], '/aaa/bbb/ccc', 1, 'the same rule two elements deep'),
  apiCase([implementationSpecific('/foo'), prefix('/foo/')], '/foo', 1, 'ImplementationSpecific is Prefix here'),
  // The Ingress concept page, "Multiple matches": "If two paths are still equally matched,
  // precedence will be given to paths with an exact path type over prefix path type." Exact /foo
  // and Prefix /foo/ match /foo with the same elements, so Exact keeps its precedence.
  apiCase([prefix('/foo/'), exact('/foo')], '/foo', 1, 'Exact still beats Prefix on the same elements'),
  apiCase([prefix('/foo'), prefix('/foo/'), exact('/foo')], '/foo', 2, 'Exact, then /foo/, then /foo'),
  apiCase([prefix('/foo'), prefix('/foo/'), exact('/foo')], '/foo/', 1, 'Exact /foo does not match /foo/'),
];

const app = (id: string, path: string, pathType: PathType = 'Prefix', service = 'app'): RouteSpec => ({
  id,
  host: 'app.example.com',
  path,
  pathType,
  service,
  port: 80,
});

const hostCases: readonly MatchCase[] = [
  {
    name: 'host: an exact host matches',
    routes: [app('ingress:default/app#r0.p0', '/')],
    request: { host: 'app.example.com', path: '/' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/' },
  },
  {
    name: 'host: another host does not match an exact host',
    routes: [app('ingress:default/app#r0.p0', '/')],
    request: { host: 'api.example.com', path: '/' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'host: *.example.com matches one label',
    routes: [{ id: 'ingress:default/wild#r0.p0', host: '*.example.com', path: '/', pathType: 'Prefix', service: 'wild', port: 80 }],
    request: { host: 'a.example.com', path: '/x' },
    expect: { status: 200, routeId: 'ingress:default/wild#r0.p0', upstreamPath: '/x' },
  },
  {
    name: 'host: *.example.com does not match two labels',
    routes: [{ id: 'ingress:default/wild#r0.p0', host: '*.example.com', path: '/', pathType: 'Prefix', service: 'wild', port: 80 }],
    request: { host: 'b.a.example.com', path: '/' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'host: *.example.com does not match the bare domain',
    routes: [{ id: 'ingress:default/wild#r0.p0', host: '*.example.com', path: '/', pathType: 'Prefix', service: 'wild', port: 80 }],
    request: { host: 'example.com', path: '/' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'host: matching is case-insensitive on both sides',
    routes: [{ id: 'ingress:default/app#r0.p0', host: 'App.Example.com', path: '/', pathType: 'Prefix', service: 'app', port: 80 }],
    request: { host: 'APP.example.COM', path: '/' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/' },
  },
  {
    name: 'host: the port in the Host header is ignored',
    routes: [app('ingress:default/app#r0.p0', '/')],
    request: { host: 'app.example.com:8080', path: '/' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/' },
  },
  {
    name: 'host: one trailing dot is ignored',
    routes: [app('ingress:default/app#r0.p0', '/')],
    request: { host: 'app.example.com.:8080', path: '/' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/' },
  },
  {
    name: 'host: an exact host beats a wildcard',
    routes: [
      { id: 'ingress:default/wild#r0.p0', host: '*.example.com', path: '/', pathType: 'Prefix', service: 'wild', port: 80 },
      app('ingress:default/app#r0.p0', '/'),
    ],
    request: { host: 'app.example.com', path: '/' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/' },
  },
  {
    name: 'host: the wildcard serves the other labels next to an exact host',
    routes: [
      { id: 'ingress:default/wild#r0.p0', host: '*.example.com', path: '/', pathType: 'Prefix', service: 'wild', port: 80 },
      app('ingress:default/app#r0.p0', '/'),
    ],
    request: { host: 'shop.example.com', path: '/' },
    expect: { status: 200, routeId: 'ingress:default/wild#r0.p0', upstreamPath: '/' },
  },
  {
    name: 'host: a matched exact host never falls through to a wildcard',
    routes: [
      app('ingress:default/app#r0.p0', '/api'),
      { id: 'ingress:default/wild#r0.p0', host: '*.example.com', path: '/', pathType: 'Prefix', service: 'wild', port: 80 },
    ],
    request: { host: 'app.example.com', path: '/' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'host: a matched host never falls through to host-less rules',
    routes: [
      app('ingress:default/app#r0.p0', '/api'),
      { id: 'ingress:default/catchall#r0.p0', host: null, path: '/', pathType: 'Prefix', service: 'catchall', port: 80 },
    ],
    request: { host: 'app.example.com', path: '/' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'host: a matched wildcard never falls through to host-less rules',
    routes: [
      { id: 'ingress:default/wild#r0.p0', host: '*.example.com', path: '/api', pathType: 'Prefix', service: 'wild', port: 80 },
      { id: 'ingress:default/catchall#r0.p0', host: null, path: '/', pathType: 'Prefix', service: 'catchall', port: 80 },
    ],
    request: { host: 'shop.example.com', path: '/' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'host: a matched host with no matching path gets the defaultBackend, not host-less rules',
    routes: [
      app('ingress:default/app#r0.p0', '/api'),
      { id: 'ingress:default/catchall#r0.p0', host: null, path: '/', pathType: 'Prefix', service: 'catchall', port: 80 },
    ],
    defaultBackends: [{ id: 'ingress:default/app#default', service: 'fallback', port: 80 }],
    request: { host: 'app.example.com', path: '/' },
    expect: { status: 200, routeId: null, upstreamPath: '/', defaultBackendId: 'ingress:default/app#default' },
  },
  {
    name: 'host: host-less rules serve hosts that match no host rule',
    routes: [
      app('ingress:default/app#r0.p0', '/'),
      { id: 'ingress:default/catchall#r0.p0', host: null, path: '/', pathType: 'Prefix', service: 'catchall', port: 80 },
    ],
    request: { host: 'other.test', path: '/x' },
    expect: { status: 200, routeId: 'ingress:default/catchall#r0.p0', upstreamPath: '/x' },
  },
  {
    name: 'host: a request without Host is served by host-less rules',
    routes: [
      app('ingress:default/app#r0.p0', '/'),
      { id: 'ingress:default/catchall#r0.p0', host: null, path: '/', pathType: 'Prefix', service: 'catchall', port: 80 },
    ],
    request: { host: null, path: '/' },
    expect: { status: 200, routeId: 'ingress:default/catchall#r0.p0', upstreamPath: '/' },
  },
  {
    name: 'host: a request without Host matches no host rule',
    routes: [app('ingress:default/app#r0.p0', '/')],
    request: { host: null, path: '/' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
];

const pathCases: readonly MatchCase[] = [
  {
    name: 'path: the query string is not matched, and is kept upstream',
    routes: [app('ingress:default/app#r0.p0', '/search', 'Exact')],
    request: { host: 'app.example.com', path: '/search?q=a/b&x=1' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/search?q=a/b&x=1' },
  },
  {
    name: 'path: a slash in the query string does not make an element',
    routes: [app('ingress:default/app#r0.p0', '/foo/bar')],
    request: { host: 'app.example.com', path: '/foo?next=/bar' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'path: the element boundary holds before a query string',
    routes: [app('ingress:default/app#r0.p0', '/foo')],
    request: { host: 'app.example.com', path: '/foo?x=1' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/foo?x=1' },
  },
  {
    name: 'path: Prefix is case-sensitive',
    routes: [app('ingress:default/app#r0.p0', '/Foo')],
    request: { host: 'app.example.com', path: '/foo' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'path: Exact is case-sensitive',
    routes: [app('ingress:default/app#r0.p0', '/Foo', 'Exact')],
    request: { host: 'app.example.com', path: '/foo' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'path: an empty element is an element (/foo//bar is not under Prefix /foo/bar)',
    routes: [app('ingress:default/app#r0.p0', '/foo/bar')],
    request: { host: 'app.example.com', path: '/foo//bar' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'path: /foo//bar is under Prefix /foo, and is sent upstream as received',
    routes: [app('ingress:default/app#r0.p0', '/foo')],
    request: { host: 'app.example.com', path: '/foo//bar' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/foo//bar' },
  },
  {
    name: 'path: percent-encoded paths are compared as received, not decoded',
    routes: [app('ingress:default/app#r0.p0', '/caf%C3%A9')],
    request: { host: 'app.example.com', path: '/caf%C3%A9/menu' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/caf%C3%A9/menu' },
  },
  {
    name: 'path: the longest match wins across pathTypes',
    routes: [app('ingress:default/app#r0.p0', '/api', 'Exact'), app('ingress:default/app#r0.p1', '/api/v1')],
    request: { host: 'app.example.com', path: '/api/v1/users' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p1', upstreamPath: '/api/v1/users' },
  },
  {
    name: 'path: Exact /foo/ beats Prefix /foo/ for /foo/',
    routes: [app('ingress:default/app#r0.p0', '/foo/'), app('ingress:default/app#r0.p1', '/foo/', 'Exact')],
    request: { host: 'app.example.com', path: '/foo/' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p1', upstreamPath: '/foo/' },
  },
  {
    name: 'path: ImplementationSpecific matches as Prefix (subpath)',
    routes: [app('ingress:default/app#r0.p0', '/foo', 'ImplementationSpecific')],
    request: { host: 'app.example.com', path: '/foo/bar' },
    expect: { status: 200, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/foo/bar' },
  },
  {
    name: 'path: ImplementationSpecific matches as Prefix (element boundary)',
    routes: [app('ingress:default/app#r0.p0', '/foo', 'ImplementationSpecific')],
    request: { host: 'app.example.com', path: '/foobar' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'path: duplicates: the older definition wins',
    routes: [
      { ...app('ingress:default/b#r0.p0', '/api', 'Prefix', 'b'), age: 1 },
      { ...app('ingress:default/a#r0.p0', '/api', 'Prefix', 'a'), age: 0 },
    ],
    request: { host: 'app.example.com', path: '/api/x' },
    expect: { status: 200, routeId: 'ingress:default/a#r0.p0', upstreamPath: '/api/x' },
  },
  {
    name: 'path: Prefix /api and ImplementationSpecific /api are equivalent: the older wins',
    routes: [
      { ...app('ingress:default/b#r0.p0', '/api', 'ImplementationSpecific', 'b'), age: 1 },
      { ...app('ingress:default/a#r0.p0', '/api', 'Prefix', 'a'), age: 0 },
    ],
    request: { host: 'app.example.com', path: '/api/x' },
    expect: { status: 200, routeId: 'ingress:default/a#r0.p0', upstreamPath: '/api/x' },
  },
  {
    // Regression (issue 9, defect 7): they were ordered as duplicates, so the older /api won.
    name: 'path: Prefix /api and /api/ are not duplicates: /api/ wins though newer (API reference, PathTypePrefix)',
    routes: [
      { ...app('ingress:default/a#r0.p0', '/api', 'Prefix', 'a'), age: 0 },
      { ...app('ingress:default/b#r0.p0', '/api/', 'Prefix', 'b'), age: 1 },
    ],
    request: { host: 'app.example.com', path: '/api' },
    expect: { status: 200, routeId: 'ingress:default/b#r0.p0', upstreamPath: '/api' },
  },
];

const outcomeCases: readonly MatchCase[] = [
  {
    name: 'outcome: no match and no defaultBackend is a 404',
    routes: [app('ingress:default/app#r0.p0', '/api')],
    request: { host: 'app.example.com', path: '/web' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'outcome: an empty table is a 404',
    routes: [],
    request: { host: 'app.example.com', path: '/' },
    expect: { status: 404, routeId: null, upstreamPath: null },
  },
  {
    name: 'outcome: no match falls back to the defaultBackend, query kept',
    routes: [app('ingress:default/app#r0.p0', '/api')],
    defaultBackends: [{ id: 'ingress:default/app#default', service: 'fallback', port: 80 }],
    request: { host: 'other.test', path: '/web?x=1' },
    expect: { status: 200, routeId: null, upstreamPath: '/web?x=1', defaultBackendId: 'ingress:default/app#default' },
  },
  {
    name: 'outcome: the oldest defaultBackend is used',
    routes: [],
    defaultBackends: [
      { id: 'ingress:default/b#default', service: 'b', port: 80, age: 1 },
      { id: 'ingress:default/a#default', service: 'a', port: 80, age: 0 },
    ],
    request: { host: 'app.example.com', path: '/' },
    expect: { status: 200, routeId: null, upstreamPath: '/', defaultBackendId: 'ingress:default/a#default' },
  },
  {
    name: 'outcome: a defaultBackend with a missing Service is a 503',
    routes: [],
    defaultBackends: [
      { id: 'ingress:default/app#default', service: 'fallback', port: 80, problem: 'Service default/fallback not found' },
    ],
    request: { host: 'app.example.com', path: '/' },
    expect: { status: 503, routeId: null, upstreamPath: '/', defaultBackendId: 'ingress:default/app#default' },
  },
  {
    name: 'outcome: a route whose Service is missing is a 503, and still the winner',
    routes: [{ ...app('ingress:default/app#r0.p0', '/'), problem: 'Service default/app not found' }],
    request: { host: 'app.example.com', path: '/x?y=1' },
    expect: { status: 503, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/x?y=1' },
  },
  {
    name: 'outcome: a route with a resource backend is a 503',
    routes: [{ ...app('ingress:default/app#r0.p0', '/static'), resource: 'StorageBucket/static-assets' }],
    request: { host: 'app.example.com', path: '/static/logo.png' },
    expect: { status: 503, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/static/logo.png' },
  },
  {
    name: 'outcome: a route with a problem still wins over the defaultBackend',
    routes: [{ ...app('ingress:default/app#r0.p0', '/api'), problem: 'Service default/app has no port 80' }],
    defaultBackends: [{ id: 'ingress:default/app#default', service: 'fallback', port: 80 }],
    request: { host: 'app.example.com', path: '/api' },
    expect: { status: 503, routeId: 'ingress:default/app#r0.p0', upstreamPath: '/api' },
  },
];

export const specMatchCases: readonly MatchCase[] = [...docsCases, ...apiReferenceCases, ...hostCases, ...pathCases, ...outcomeCases];
