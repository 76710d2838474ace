/**
 * Gateway API matching and precedence (issue 13), with the cases of kubernetes-sigs/gateway-api
 * conformance/tests (named in each test) and the API reference (apis/v1/httproute_types.go).
 * Backends are Services v1, v2, v3 as the suite's infra-backend-v1..v3.
 */
import { describe, expect, it } from 'vitest';
import { compileYaml, explain, gateway, outcome, route, services } from './harness.js';

function routeYaml(name: string, spec: string, namespace = 'default'): string {
  return `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  parentRefs: [{name: gw}]
${spec}`;
}

describe('HTTPRoute matching (conformance/tests)', () => {
  it('httproute-matching.go: matches of a rule are ORed; /v2example is not under /v2; a header match beats PathPrefix /', () => {
    const { table } = compileYaml(gateway() + services() + routeYaml('matching', `  rules:
    - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
      backendRefs: [{name: v1, port: 8080}]
    - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
      backendRefs: [{name: v2, port: 8080}]
`));
    const cases: [string, Record<string, string>, string][] = [
      ['/', {}, 'v1'], ['/example', {}, 'v1'], ['/', { Version: 'one' }, 'v1'],
      ['/v2', {}, 'v2'], ['/v2/example', {}, 'v2'], ['/v2/', {}, 'v2'],
      ['/', { Version: 'two' }, 'v2'],
      ['/v2example', {}, 'v1'], ['/foo/v2/example', {}, 'v1'],
    ];
    for (const [path, headers, want] of cases) expect(outcome(table, { path, headers }), `${path} ${JSON.stringify(headers)}`).toBe(want);
  });

  it('httproute-matching-across-routes.go: precedence spans routes; a route serves only its hostnames', () => {
    const { table } = compileYaml(gateway() + services() + routeYaml('part1', `  hostnames: [example.com, example.net]
  rules:
    - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
      backendRefs: [{name: v1, port: 8080}]
`) + routeYaml('part2', `  hostnames: [example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
      backendRefs: [{name: v2, port: 8080}]
`));
    expect(outcome(table, { host: 'example.com', path: '/' })).toBe('v1');
    expect(outcome(table, { host: 'example.net', path: '/example' })).toBe('v1');
    expect(outcome(table, { host: 'example.com', path: '/v2' })).toBe('v2');
    expect(outcome(table, { host: 'example.com', path: '/v2/example' })).toBe('v2');
    expect(outcome(table, { host: 'example.net', path: '/v2' })).toBe('v1');
    expect(outcome(table, { host: 'example.com', path: '/', headers: { Version: 'two' } })).toBe('v2');
  });

  it('httproute-path-match-order.go: Exact first, then the longest PathPrefix (a trailing / not counted)', () => {
    const { table } = compileYaml(gateway() + services() + routeYaml('order', `  rules:
    - {matches: [{path: {type: Exact, value: /match}}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{path: {type: Exact, value: /match/exact}}], backendRefs: [{name: v2, port: 8080}]}
    - {matches: [{path: {type: Exact, value: /match/exact/one}}], backendRefs: [{name: v3, port: 8080}]}
    - {matches: [{path: {type: PathPrefix, value: /match/}}], backendRefs: [{name: v3, port: 8080}]}
    - {matches: [{path: {type: PathPrefix, value: /match/prefix/}}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{path: {type: PathPrefix, value: /match/prefix/one}}], backendRefs: [{name: v2, port: 8080}]}
`));
    const cases: [string, string][] = [['/match/exact/one', 'v3'], ['/match/exact', 'v2'], ['/match', 'v1'], ['/match/prefix/one/any', 'v2'], ['/match/prefix/any', 'v1'], ['/match/any', 'v3']];
    for (const [path, want] of cases) expect(outcome(table, { path }), path).toBe(want);
  });

  it('httproute-exact-path-matching.go: Exact is the whole path, case-sensitive, trailing slash counts; nothing else → 404', () => {
    const { table } = compileYaml(gateway() + services() + routeYaml('exact', `  rules:
    - {matches: [{path: {type: Exact, value: /one}}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{path: {type: Exact, value: /two}}], backendRefs: [{name: v2, port: 8080}]}
`));
    const cases: [string, string][] = [['/one', 'v1'], ['/two', 'v2'], ['/', '404'], ['/one/example', '404'], ['/two/', '404'], ['/Two', '404']];
    for (const [path, want] of cases) expect(outcome(table, { path }), path).toBe(want);
  });

  it('httproute-header-matching.go: names case-insensitive; more headers win; on a tie the first rule', () => {
    const { table } = compileYaml(gateway() + services() + routeYaml('headers', `  rules:
    - {matches: [{headers: [{name: version, value: one}]}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{headers: [{name: version, value: two}]}], backendRefs: [{name: v2, port: 8080}]}
    - {matches: [{headers: [{name: version, value: two}, {name: color, value: orange}]}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{headers: [{name: color, value: blue}]}, {headers: [{name: color, value: green}]}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{headers: [{name: color, value: red}]}, {headers: [{name: color, value: yellow}]}], backendRefs: [{name: v2, port: 8080}]}
`));
    const cases: [Record<string, string>, string][] = [
      [{ Version: 'one' }, 'v1'], [{ Version: 'two' }, 'v2'],
      [{ Version: 'two', Color: 'orange' }, 'v1'], [{ Version: 'two', Color: 'blue' }, 'v2'],
      [{ Color: 'orange' }, '404'], [{ 'Some-Other-Header': 'one' }, '404'], [{ Color: 'purple' }, '404'],
      [{ Color: 'blue' }, 'v1'], [{ Color: 'green' }, 'v1'], [{ Color: 'red' }, 'v2'], [{ Color: 'yellow' }, 'v2'],
    ];
    for (const [headers, want] of cases) expect(outcome(table, { headers }), JSON.stringify(headers)).toBe(want);
  });

  it('httproute-query-param-matching.go: names case-sensitive; path beats query; header beats query; more params win', () => {
    const { table } = compileYaml(gateway() + services() + routeYaml('query', `  rules:
    - {matches: [{queryParams: [{name: animal, value: whale}]}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{queryParams: [{name: animal, value: dolphin}]}], backendRefs: [{name: v2, port: 8080}]}
    - matches:
        - {queryParams: [{name: animal, value: dolphin}, {name: color, value: blue}]}
        - {queryParams: [{name: ANIMAL, value: Whale}]}
      backendRefs: [{name: v3, port: 8080}]
    - {matches: [{path: {type: PathPrefix, value: /path1}, queryParams: [{name: animal, value: whale}]}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{headers: [{name: version, value: one}], queryParams: [{name: animal, value: whale}]}], backendRefs: [{name: v2, port: 8080}]}
    - {matches: [{path: {type: PathPrefix, value: /path2}, headers: [{name: version, value: two}], queryParams: [{name: animal, value: whale}]}], backendRefs: [{name: v3, port: 8080}]}
    - matches:
        - {path: {type: PathPrefix, value: /path3}, queryParams: [{name: animal, value: shark}]}
        - {path: {type: PathPrefix, value: /path4}, headers: [{name: version, value: three}], queryParams: [{name: animal, value: kraken}]}
      backendRefs: [{name: v1, port: 8080}]
    - {matches: [{path: {type: PathPrefix, value: /path5}}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{queryParams: [{name: animal, value: hydra}]}], backendRefs: [{name: v2, port: 8080}]}
    - {matches: [{headers: [{name: version, value: four}]}], backendRefs: [{name: v3, port: 8080}]}
`));
    const cases: [string, Record<string, string>, string][] = [
      ['/?animal=whale', {}, 'v1'], ['/?animal=dolphin', {}, 'v2'], ['/?animal=dolphin&color=blue', {}, 'v3'], ['/?ANIMAL=Whale', {}, 'v3'],
      ['/?animal=whale&otherparam=irrelevant', {}, 'v1'], ['/?animal=dolphin&color=yellow', {}, 'v2'],
      ['/?color=blue', {}, '404'], ['/?animal=dog', {}, '404'], ['/?animal=whaledolphin', {}, '404'], ['/', {}, '404'],
      ['/path1?animal=whale', {}, 'v1'], ['/?animal=whale', { version: 'one' }, 'v2'], ['/path2?animal=whale', { version: 'two' }, 'v3'],
      ['/path3?animal=shark', {}, 'v1'], ['/path4?animal=kraken', { version: 'three' }, 'v1'],
      ['/?animal=shark', {}, '404'], ['/path4?animal=kraken', {}, '404'],
      ['/path5?animal=hydra', {}, 'v1'], ['/?animal=hydra', { version: 'four' }, 'v3'],
    ];
    for (const [path, headers, want] of cases) expect(outcome(table, { path, headers }), `${path} ${JSON.stringify(headers)}`).toBe(want);
  });

  it('httproute-method-matching.go: method beats headers; prefix length beats method; HEAD is not GET', () => {
    const { table } = compileYaml(gateway() + services() + routeYaml('methods', `  rules:
    - {matches: [{method: POST}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{method: GET}], backendRefs: [{name: v2, port: 8080}]}
    - {matches: [{path: {type: PathPrefix, value: /path1}, method: GET}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{headers: [{name: version, value: one}], method: PUT}], backendRefs: [{name: v2, port: 8080}]}
    - {matches: [{path: {type: PathPrefix, value: /path2}, headers: [{name: version, value: two}], method: POST}], backendRefs: [{name: v3, port: 8080}]}
    - matches:
        - {path: {type: PathPrefix, value: /path3}, method: PATCH}
        - {path: {type: PathPrefix, value: /path4}, headers: [{name: version, value: three}], method: DELETE}
      backendRefs: [{name: v1, port: 8080}]
    - {matches: [{path: {type: PathPrefix, value: /path5}}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{method: PATCH}], backendRefs: [{name: v2, port: 8080}]}
    - {matches: [{headers: [{name: version, value: four}]}], backendRefs: [{name: v3, port: 8080}]}
`));
    const cases: [string, string, Record<string, string>, string][] = [
      ['POST', '/', {}, 'v1'], ['GET', '/', {}, 'v2'], ['HEAD', '/', {}, '404'],
      ['GET', '/path1', {}, 'v1'], ['PUT', '/', { version: 'one' }, 'v2'], ['POST', '/path2', { version: 'two' }, 'v3'],
      ['PATCH', '/path3', {}, 'v1'], ['DELETE', '/path4', { version: 'three' }, 'v1'],
      ['PUT', '/', {}, '404'], ['DELETE', '/path4', {}, '404'],
      ['PATCH', '/path5', {}, 'v1'], ['PATCH', '/', { version: 'four' }, 'v2'],
    ];
    for (const [method, path, headers, want] of cases) expect(outcome(table, { method, path, headers }), `${method} ${path} ${JSON.stringify(headers)}`).toBe(want);
  });

  it('RegularExpression paths match the whole path; their precedence (implementation-specific) is after Exact and PathPrefix', () => {
    const { table } = compileYaml(gateway() + services() + routeYaml('regex', `  rules:
    - {matches: [{path: {type: RegularExpression, value: '/items/[0-9]+'}}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{path: {type: PathPrefix, value: /items/special}}], backendRefs: [{name: v2, port: 8080}]}
`));
    expect(outcome(table, { path: '/items/42' })).toBe('v1');
    expect(outcome(table, { path: '/items/42/x' })).toBe('404');
    expect(outcome(table, { path: '/items/special' })).toBe('v2');
  });
});

describe('path normalization (the Kubernetes blog "Before You Migrate: Five Surprising Ingress-NGINX Behaviors", section 5: Envoy-based implementations remove . and .. segments, and do not merge slashes)', () => {
  const { table } = compileYaml(gateway() + services() + routeYaml('r', '  rules: [{matches: [{path: {type: Exact, value: /uuid}}], backendRefs: [{name: v1, port: 8080}]}]\n'));
  it('/ip/abc/../../uuid matches Exact /uuid, and the normalized path is what the backend gets', () => {
    expect(outcome(table, { path: '/ip/abc/../../uuid' })).toBe('v1');
    expect(outcome(table, { path: '/./uuid?x=1' })).toBe('v1');
    expect(route(table, { path: '/ip/abc/../../uuid?x=1' }).upstreamPath).toBe('/uuid?x=1');
  });
  it('////uuid does not (no slash merging), nor does /UUID (matching is case-sensitive)', () => {
    expect(outcome(table, { path: '////uuid' })).toBe('404');
    expect(outcome(table, { path: '/UUID' })).toBe('404');
  });
});

describe('hostnames and listeners (conformance/tests)', () => {
  const listeners = `
    - {name: listener-1, protocol: HTTP, port: 80, hostname: very.specific.com}
    - {name: listener-2, protocol: HTTP, port: 80, hostname: '*.wildcard.io'}
    - {name: listener-3, protocol: HTTP, port: 80, hostname: '*.anotherwildcard.io'}`;
  const intersection = gateway('gw', listeners) + services() + [
    ['specific-host-matches-listener-specific-host', '[non.matching.com, "*.nonmatchingwildcard.io", very.specific.com]', '/s1', 'v1'],
    ['specific-host-matches-listener-wildcard-host', '[non.matching.com, wildcard.io, foo.wildcard.io, bar.wildcard.io, foo.bar.wildcard.io]', '/s2', 'v2'],
    ['wildcard-host-matches-listener-specific-host', '[non.matching.com, "*.specific.com"]', '/s3', 'v3'],
    ['wildcard-host-matches-listener-wildcard-host', '["*.anotherwildcard.io"]', '/s4', 'v1'],
    ['no-intersecting-hosts', '[specific.but.wrong.com, wildcard.io]', '/s5', 'v1'],
  ].map(([name, hostnames, path, svc]) => routeYaml(name ?? '', `  hostnames: ${hostnames ?? ''}
  rules: [{matches: [{path: {type: PathPrefix, value: ${path ?? ''}}}], backendRefs: [{name: ${svc ?? ''}, port: 8080}]}]
`)).join('');

  it('httproute-hostname-intersection.go: route hostnames intersect listener hostnames; a wildcard matches one or more labels, never the apex', () => {
    const { table } = compileYaml(intersection);
    const cases: [string, string, string][] = [
      ['very.specific.com', '/s1', 'v1'], ['very.specific.com:1234', '/s1', 'v1'],
      ['non.matching.com', '/s1', '404'], ['foo.nonmatchingwildcard.io', '/s1', '404'], ['foo.wildcard.io', '/s1', '404'], ['very.specific.com', '/non-matching-prefix', '404'],
      ['foo.wildcard.io', '/s2', 'v2'], ['bar.wildcard.io', '/s2', 'v2'], ['foo.bar.wildcard.io', '/s2', 'v2'],
      ['wildcard.io', '/s2', '404'], ['non.matching.com', '/s2', '404'], ['very.specific.com', '/s2', '404'],
      ['very.specific.com', '/s3', 'v3'], ['foo.specific.com', '/s3', '404'], ['non.matching.com', '/s3', '404'], ['foo.wildcard.io', '/s3', '404'],
      ['foo.anotherwildcard.io', '/s4', 'v1'], ['bar.anotherwildcard.io', '/s4', 'v1'], ['foo.bar.anotherwildcard.io', '/s4', 'v1'], ['anotherwildcard.io', '/s4', '404'], ['foo.wildcard.io', '/s4', '404'],
      ['specific.but.wrong.com', '/s5', '404'], ['wildcard.io', '/s5', '404'],
    ];
    for (const [host, path, want] of cases) expect(outcome(table, { host, path }), `${host}${path}`).toBe(want);
  });

  it('httproute-hostname-intersection.go: a route with no intersecting hostname is not Accepted (NoMatchingListenerHostname)', () => {
    const { table, diagnostics } = compileYaml(intersection);
    expect(table.gateway?.statuses.find((s) => s.route.name === 'no-intersecting-hosts')).toMatchObject({ accepted: false, reason: 'NoMatchingListenerHostname' });
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'E_ROUTE_NOT_ACCEPTED', message: expect.stringContaining('NoMatchingListenerHostname') as string }));
    expect(table.gateway?.statuses.filter((s) => s.accepted).map((s) => s.route.name).toSorted()).toEqual(['specific-host-matches-listener-specific-host', 'specific-host-matches-listener-wildcard-host', 'wildcard-host-matches-listener-specific-host', 'wildcard-host-matches-listener-wildcard-host']);
  });

  it('httproute-listener-hostname-matching.go: the most specific listener takes the host; a wildcard listener never the apex', () => {
    const { table } = compileYaml(gateway('gw', `
    - {name: listener-1, protocol: HTTP, port: 80, hostname: bar.com}
    - {name: listener-2, protocol: HTTP, port: 80, hostname: foo.bar.com}
    - {name: listener-3, protocol: HTTP, port: 80, hostname: '*.bar.com'}
    - {name: listener-4, protocol: HTTP, port: 80, hostname: '*.foo.com'}`) + services() + `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backend-v1}
spec:
  parentRefs: [{name: gw, sectionName: listener-1}]
  rules: [{backendRefs: [{name: v1, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backend-v2}
spec:
  parentRefs: [{name: gw, sectionName: listener-2}]
  rules: [{backendRefs: [{name: v2, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backend-v3}
spec:
  parentRefs: [{name: gw, sectionName: listener-3}, {name: gw, sectionName: listener-4}]
  rules: [{backendRefs: [{name: v3, port: 8080}]}]
`);
    const cases: [string, string][] = [['bar.com', 'v1'], ['foo.bar.com', 'v2'], ['baz.bar.com', 'v3'], ['boo.bar.com', 'v3'], ['multiple.prefixes.bar.com', 'v3'], ['multiple.prefixes.foo.com', 'v3'], ['foo.com', '404'], ['no.matching.host', '404']];
    for (const [host, want] of cases) expect(outcome(table, { host }), host).toBe(want);
  });

  it('gateway-http-listener-isolation.go: a request sees only the routes of the listener that took it, whatever their hostnames', () => {
    const listenersYaml = `
    - {name: empty-hostname, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
    - {name: wildcard-example-com, protocol: HTTP, port: 80, hostname: '*.example.com', allowedRoutes: {namespaces: {from: All}}}
    - {name: wildcard-foo-example-com, protocol: HTTP, port: 80, hostname: '*.foo.example.com', allowedRoutes: {namespaces: {from: All}}}
    - {name: abc-foo-example-com, protocol: HTTP, port: 80, hostname: abc.foo.example.com, allowedRoutes: {namespaces: {from: All}}}`;
    for (const hostnames of ['', '  hostnames: [bar.com, "*.example.com", "*.foo.example.com", abc.foo.example.com]\n']) {
      const routes = ['empty-hostname', 'wildcard-example-com', 'wildcard-foo-example-com', 'abc-foo-example-com'].map((l) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: attaches-to-${l}}
spec:
  parentRefs: [{name: gw, sectionName: ${l}}]
${hostnames}  rules: [{matches: [{path: {type: PathPrefix, value: /${l}}}], backendRefs: [{name: v1, port: 8080}]}]
`).join('');
      const { table } = compileYaml(gateway('gw', listenersYaml) + services() + routes);
      const served: [string, string][] = [['bar.com', '/empty-hostname'], ['bar.example.com', '/wildcard-example-com'], ['bar.foo.example.com', '/wildcard-foo-example-com'], ['abc.foo.example.com', '/abc-foo-example-com']];
      for (const [host, only] of served) {
        for (const path of ['/empty-hostname', '/wildcard-example-com', '/wildcard-foo-example-com', '/abc-foo-example-com']) {
          expect(outcome(table, { host, path }), `${host}${path}${hostnames === '' ? '' : ' (with route hostnames)'}`).toBe(path === only ? 'v1' : '404');
        }
      }
    }
  });

  it('httproute precedence by hostname (httproute_types.go Hostnames): a precise hostname\'s rules before a wildcard\'s, which still serve what the precise one does not', () => {
    const { table } = compileYaml(gateway() + services() + routeYaml('wild', `  hostnames: ["*.example.com"]
  rules: [{matches: [{path: {type: Exact, value: /foo}}], backendRefs: [{name: v1, port: 8080}]}, {backendRefs: [{name: v3, port: 8080}]}]
`) + routeYaml('precise', `  hostnames: [foo.example.com]
  rules: [{matches: [{path: {type: PathPrefix, value: /api}}], backendRefs: [{name: v2, port: 8080}]}]
`));
    expect(outcome(table, { host: 'foo.example.com', path: '/api/x' })).toBe('v2');
    expect(outcome(table, { host: 'foo.example.com', path: '/foo' })).toBe('v1');
    expect(outcome(table, { host: 'foo.example.com', path: '/other' })).toBe('v3');
    expect(outcome(table, { host: 'bar.example.com', path: '/api/x' })).toBe('v3');
  });

  it('ties across routes: the oldest creationTimestamp, then namespace/name (httproute_types.go Matches)', () => {
    const older = (name: string, ts: string, svc: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, creationTimestamp: '${ts}'}
spec:
  parentRefs: [{name: gw}]
  rules: [{matches: [{path: {type: PathPrefix, value: /same}}], backendRefs: [{name: ${svc}, port: 8080}]}]
`;
    expect(outcome(compileYaml(gateway() + services() + older('b', '2020-09-08T01:02:03Z', 'v1') + older('a', '2020-09-08T01:02:04Z', 'v2')).table, { path: '/same' })).toBe('v1');
    expect(outcome(compileYaml(gateway() + services() + routeYaml('foo-baz', '  rules: [{backendRefs: [{name: v2, port: 8080}]}]\n') + routeYaml('foo-bar', '  rules: [{backendRefs: [{name: v1, port: 8080}]}]\n')).table, { path: '/' })).toBe('v1');
  });
});

describe('explain', () => {
  it('names the listener, and for each match that lost: why it does not take the request (gateway-no-match) or that one before it won (gateway-precedence)', () => {
    const { table } = compileYaml(gateway() + services() + routeYaml('r', `  rules:
    - {matches: [{path: {type: PathPrefix, value: /api}, headers: [{name: x-env, value: canary}]}], backendRefs: [{name: v2, port: 8080}]}
    - {matches: [{path: {type: PathPrefix, value: /api}}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{path: {type: PathPrefix, value: /}}], backendRefs: [{name: v3, port: 8080}]}
    - {matches: [{path: {type: Exact, value: /other}}], backendRefs: [{name: v3, port: 8080}]}
`));
    const e = explain(table, { path: '/api/x' });
    expect(e.gateway?.group.listeners.map((l) => `${l.gateway.name}/${l.name}`)).toEqual(['gw/http']);
    expect(e.gateway?.entry?.rule.id).toBe('httproute:default/r#r1');
    expect(e.candidates.map((c) => [c.id, c.reason, c.detail])).toEqual([
      ['httproute:default/r#r3.m0', 'gateway-no-match', 'path /api/x is not Exact /other'],
      ['httproute:default/r#r0.m0', 'gateway-no-match', 'header x-env is missing'],
      ['httproute:default/r#r2.m0', 'gateway-precedence', 'it matches too, but httproute:default/r#r1.m0 comes first in the Gateway API\'s precedence order'],
    ]);
  });
});

describe('status (what check prints, as a controller would write it)', () => {
  it('every listener: Accepted with its attached routes, or why not; every route: Accepted per parent and ResolvedRefs with the reason', () => {
    const { table, diagnostics } = compileYaml(gateway('gw', `
    - {name: http, protocol: HTTP, port: 80}
    - {name: tcp, protocol: TCP, port: 5432}
    - {name: dup, protocol: HTTP, port: 80}`) + services() + routeYaml('ok', '  rules: [{backendRefs: [{name: v1, port: 8080}]}]\n') + routeYaml('broken', '  rules: [{backendRefs: [{name: nonexistent, port: 8080}]}]\n'));
    expect(table.gateway?.gateways[0]?.listeners.map((l) => [l.name, l.served, l.reason, l.attachedRoutes])).toEqual([
      ['http', true, 'Accepted', 2], ['tcp', false, 'not served locally: UnsupportedProtocol', 0], ['dup', false, 'Conflicted: HostnameConflict', 0],
    ]);
    expect(table.gateway?.refs.map((r) => [r.route.name, r.resolved, r.reason])).toEqual([['broken', false, 'BackendNotFound'], ['ok', true, 'ResolvedRefs']]);
    expect(diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(['W_LISTENER_NOT_SERVED', 'E_LISTENER_CONFLICT', 'E_BACKEND_REF_INVALID']));
  });
});

describe('attachment (conformance/tests)', () => {
  it('parentRef to a missing listener port or sectionName: NoMatchingParent (httproute-invalid-parentref-*.go)', () => {
    for (const parent of ['{name: gw, port: 81}', '{name: gw, sectionName: http1, port: 80}', '{name: gw, sectionName: http, port: 81}', '{name: nowhere}']) {
      const yaml = gateway() + services() + `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [${parent}]
  rules: [{backendRefs: [{name: v1, port: 8080}]}]
`;
      const { table, diagnostics } = compileYaml(yaml);
      expect(table.gateway?.statuses[0], parent).toMatchObject({ accepted: false, reason: 'NoMatchingParent' });
      expect(outcome(table, {}), parent).toBe('404');
      // Reported at the parentRef, as file:line:col.
      const line = yaml.split('\n').findIndex((l) => l.includes('parentRefs: [')) + 1;
      expect(diagnostics.find((d) => d.code === 'E_ROUTE_NOT_ACCEPTED'), parent).toMatchObject({ file: 'gateway.yaml', line });
    }
  });

  it('allowedRoutes: Same refuses another namespace (NotAllowedByListeners); Selector takes namespaces by label (httproute-invalid-cross-namespace-parent-ref.go, httproute-cross-namespace.go)', () => {
    const same = compileYaml(gateway('gw', '[{name: http, protocol: HTTP, port: 80}]') + services('web') + routeYaml('r', '  rules: [{backendRefs: [{name: v1, port: 8080}]}]\n', 'web').replace('[{name: gw}]', '[{name: gw, namespace: default}]'));
    expect(same.table.gateway?.statuses[0]).toMatchObject({ accepted: false, reason: 'NotAllowedByListeners' });
    const selector = `[{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {gateway-conformance: backend}}}}}]`;
    const ns = `---
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {gateway-conformance: backend}}
`;
    const labelled = compileYaml(gateway('gw', selector) + ns + services('web') + routeYaml('r', '  rules: [{backendRefs: [{name: v1, port: 8080}]}]\n', 'web').replace('[{name: gw}]', '[{name: gw, namespace: default}]'));
    expect(labelled.table.gateway?.statuses[0]).toMatchObject({ accepted: true });
    expect(outcome(labelled.table, {})).toBe('v1');
    const unlabelled = compileYaml(gateway('gw', selector) + services('web') + routeYaml('r', '  rules: [{backendRefs: [{name: v1, port: 8080}]}]\n', 'web').replace('[{name: gw}]', '[{name: gw, namespace: default}]'));
    expect(unlabelled.table.gateway?.statuses[0]).toMatchObject({ accepted: false, reason: 'NotAllowedByListeners' });
  });

  it('a listener whose allowedRoutes.kinds has no HTTPRoute refuses it (httproute-disallowed-kind.go)', () => {
    const { table } = compileYaml(gateway('gw', '[{name: http, protocol: HTTP, port: 80, allowedRoutes: {kinds: [{kind: GRPCRoute}]}}]') + services() + routeYaml('r', '  rules: [{backendRefs: [{name: v1, port: 8080}]}]\n'));
    expect(table.gateway?.statuses[0]).toMatchObject({ accepted: false, reason: 'NotAllowedByListeners' });
  });

  describe('an HTTPRoute and a GRPCRoute on one listener (grpcroute_types.go Hostnames, cross serving)', () => {
    const grpc = (name: string, hostnames: string, created: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: ${name}, creationTimestamp: "${created}"}
spec:
  parentRefs: [{name: gw}]
  hostnames: ${hostnames}
  rules: [{backendRefs: [{name: v2, port: 8080}]}]
`;
    const http = (name: string, hostnames: string, created: string) => routeYaml(name, `  hostnames: ${hostnames}\n  rules: [{backendRefs: [{name: v1, port: 8080}]}]\n`)
      .replace(`{name: ${name}, namespace: default}`, `{name: ${name}, namespace: default, creationTimestamp: "${created}"}`);
    const grpcCall = { path: '/grpc.Echo/Call', method: 'POST', headers: { 'content-type': 'application/grpc' } };

    it('whose hostnames intersect: only the older is accepted; the newer gets Accepted False (HostnameConflict)', () => {
      const { table, diagnostics } = compileYaml(gateway() + services() + http('web', '[app.example.com]', '2024-01-01T00:00:00Z') + grpc('rpc', '["*.example.com"]', '2025-01-01T00:00:00Z'));
      const rpc = table.gateway?.statuses.find((s) => s.route.name === 'rpc');
      expect(rpc).toMatchObject({ accepted: false, reason: 'HostnameConflict' });
      expect(rpc?.message).toContain('HTTPRoute default/web, older, on app.example.com');
      expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'E_ROUTE_NOT_ACCEPTED', message: expect.stringContaining('HostnameConflict') }));
      // The rejected GRPCRoute serves nothing, not even hosts only it named.
      expect(outcome(table, { host: 'app.example.com', ...grpcCall })).toBe('v1');
      expect(outcome(table, { host: 'other.example.com', ...grpcCall })).toBe('404');
    });

    it('the older by creationTimestamp wins whichever kind it is; with equal times, namespace/name decides', () => {
      const older = compileYaml(gateway() + services() + http('web', '[app.example.com]', '2025-01-01T00:00:00Z') + grpc('rpc', '[app.example.com]', '2024-01-01T00:00:00Z'));
      expect(older.table.gateway?.statuses.find((s) => s.route.name === 'web')).toMatchObject({ accepted: false, reason: 'HostnameConflict' });
      expect(outcome(older.table, { host: 'app.example.com', ...grpcCall })).toBe('v2');
      expect(outcome(older.table, { host: 'app.example.com' })).toBe('404');
      const tie = compileYaml(gateway() + services() + http('b-web', '[app.example.com]', '2024-01-01T00:00:00Z') + grpc('a-rpc', '[app.example.com]', '2024-01-01T00:00:00Z'));
      expect(tie.table.gateway?.statuses.find((s) => s.route.name === 'b-web')).toMatchObject({ accepted: false, reason: 'HostnameConflict' });
    });

    it('whose hostnames do not intersect: both are accepted and each serves its own', () => {
      const { table } = compileYaml(gateway() + services() + http('web', '[app.example.com]', '2024-01-01T00:00:00Z') + grpc('rpc', '[grpc.example.com]', '2025-01-01T00:00:00Z'));
      expect(table.gateway?.statuses.map((s) => s.accepted)).toEqual([true, true]);
      expect(outcome(table, { host: 'app.example.com' })).toBe('v1');
      expect(outcome(table, { host: 'grpc.example.com', ...grpcCall })).toBe('v2');
    });

    it('on different listeners of the Gateway: no conflict', () => {
      const listeners = '[{name: web, protocol: HTTP, port: 80, hostname: app.example.com}, {name: rpc, protocol: HTTP, port: 80, hostname: "*.example.com"}]';
      const { table } = compileYaml(gateway('gw', listeners) + services()
        + http('web', '[app.example.com]', '2024-01-01T00:00:00Z').replace('[{name: gw}]', '[{name: gw, sectionName: web}]')
        + grpc('rpc', '[rpc.example.com]', '2025-01-01T00:00:00Z').replace('[{name: gw}]', '[{name: gw, sectionName: rpc}]'));
      expect(table.gateway?.statuses.map((s) => s.accepted)).toEqual([true, true]);
      expect(outcome(table, { host: 'rpc.example.com', ...grpcCall })).toBe('v2');
    });
  });

  it('routes without a Gateway: a warning, and --implicit-gateway serves them on HTTP and HTTPS for any host', () => {
    const yaml = services() + routeYaml('r', '  hostnames: [app.example.com]\n  rules: [{backendRefs: [{name: v1, port: 8080}]}]\n');
    const plain = compileYaml(yaml);
    expect(plain.diagnostics).toContainEqual(expect.objectContaining({ code: 'W_NO_GATEWAY' }));
    expect(outcome(plain.table, { host: 'app.example.com' })).toBe('404');
    const implicit = compileYaml(yaml, { implicitGateway: true });
    expect(outcome(implicit.table, { host: 'app.example.com' })).toBe('v1');
    expect(outcome(implicit.table, { host: 'app.example.com', scheme: 'https' })).toBe('v1');
    expect(outcome(implicit.table, { host: 'other.example.com' })).toBe('404');
  });
});

describe('Ingresses and HTTPRoutes in one folder', () => {
  const ingress = (host: string, svc: string) => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ing-${host.replace('*.', 'wild-')}}
spec:
  rules: [{host: "${host}", http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: ${svc}, port: {number: 8080}}}}]}}]
`;
  it('both are served on the same port; the more specific claim on a host answers, a tie goes to the Ingress, and check says so (W_HOST_BOTH_APIS)', () => {
    const { table, diagnostics } = compileYaml(gateway() + services() + ingress('app.example.com', 'v1') + ingress('*.wild.example.com', 'v1') + routeYaml('r', `  hostnames: [app.example.com, api.example.com, precise.wild.example.com]
  rules: [{backendRefs: [{name: v2, port: 8080}]}]
`));
    expect(outcome(table, { host: 'app.example.com' })).toBe('v1');
    expect(outcome(table, { host: 'api.example.com' })).toBe('v2');
    expect(outcome(table, { host: 'precise.wild.example.com' })).toBe('v2');
    expect(outcome(table, { host: 'other.wild.example.com' })).toBe('v1');
    expect(diagnostics.filter((d) => d.code === 'W_HOST_BOTH_APIS').map((d) => d.message)).toEqual([
      'Host app.example.com is served by Ingress default/ing-app.example.com and by HTTPRoute default/r: on one port the Ingress answers, and the HTTPRoute\'s rules for app.example.com are not used',
    ]);
  });
});
