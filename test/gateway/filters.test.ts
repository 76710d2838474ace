/**
 * Gateway API filters and backendRefs (issue 13): redirects, rewrites, header modifiers, weights
 * and the 500s the specification requires, with the cases of kubernetes-sigs/gateway-api
 * conformance/tests and the tables of apis/v1/httproute_types.go.
 */
import { describe, expect, it } from 'vitest';
import { applyHeaderEdits } from '../../src/proxy/headers.js';
import { compileYaml, gateway, outcome, route, services } from './harness.js';

function rules(spec: string, extra = ''): string {
  return gateway() + services() + extra + `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
${spec}`;
}

const redirect = (path: string, filter: string) => `    - matches: [{path: {type: PathPrefix, value: ${path}}}]
      filters: [{type: RequestRedirect, requestRedirect: ${filter}}]
`;

describe('RequestRedirect (conformance/tests/httproute-redirect-*.go)', () => {
  it('httproute-redirect-path.go and -host-and-status.go: ReplacePrefixMatch, ReplaceFullPath, hostname, statusCode (302 by default)', () => {
    const { table } = compileYaml(rules(
      redirect('/original-prefix', '{path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}}')
      + redirect('/full', '{path: {type: ReplaceFullPath, replaceFullPath: /full-path-replacement}}')
      + redirect('/path-and-host', '{hostname: example.org, path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}}')
      + redirect('/path-and-status', '{path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}, statusCode: 301}')
      + redirect('/hostname-redirect', '{hostname: example.org}')
      + redirect('/host-and-status', '{hostname: example.org, statusCode: 301}'),
    ));
    expect(outcome(table, { path: '/original-prefix/lemon' })).toBe('302 http://example.com/replacement-prefix/lemon');
    expect(outcome(table, { path: '/full/path/original' })).toBe('302 http://example.com/full-path-replacement');
    expect(outcome(table, { path: '/path-and-host' })).toBe('302 http://example.org/replacement-prefix');
    expect(outcome(table, { path: '/path-and-status' })).toBe('301 http://example.com/replacement-prefix');
    expect(outcome(table, { path: '/hostname-redirect' })).toBe('302 http://example.org/hostname-redirect');
    expect(outcome(table, { path: '/host-and-status' })).toBe('301 http://example.org/host-and-status');
  });

  it('httproute-redirect-port-and-scheme.go: the port of the scheme set, else the listener\'s; none written for http:80 and https:443', () => {
    const { table } = compileYaml(rules(
      redirect('/nil-nil', '{hostname: example.org}')
      + redirect('/nil-80', '{hostname: example.org, port: 80}')
      + redirect('/nil-8080', '{hostname: example.org, port: 8080}')
      + redirect('/https-nil', '{hostname: example.org, scheme: https}')
      + redirect('/https-443', '{hostname: example.org, scheme: https, port: 443}')
      + redirect('/https-8443', '{hostname: example.org, scheme: https, port: 8443}')
      + redirect('/http-nil', '{hostname: example.org, scheme: http}'),
    ).replace('[{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]', '[{name: http, protocol: HTTP, port: 80}, {name: https, protocol: HTTPS, port: 443}]'));
    // On the HTTP listener, port 80.
    expect(outcome(table, { path: '/nil-nil' })).toBe('302 http://example.org/nil-nil');
    expect(outcome(table, { path: '/nil-80' })).toBe('302 http://example.org/nil-80');
    expect(outcome(table, { path: '/nil-8080' })).toBe('302 http://example.org:8080/nil-8080');
    expect(outcome(table, { path: '/https-nil' })).toBe('302 https://example.org/https-nil');
    expect(outcome(table, { path: '/https-443' })).toBe('302 https://example.org/https-443');
    expect(outcome(table, { path: '/https-8443' })).toBe('302 https://example.org:8443/https-8443');
    // On an HTTP listener on 8080: the listener's port when the filter sets neither.
    expect(outcome(table, { path: '/nil-nil', port: 8080 })).toBe('302 http://example.org:8080/nil-nil');
    expect(outcome(table, { path: '/nil-80', port: 8080 })).toBe('302 http://example.org/nil-80');
    expect(outcome(table, { path: '/https-nil', port: 8080 })).toBe('302 https://example.org/https-nil');
    // On the HTTPS listener, 443.
    expect(outcome(table, { path: '/nil-nil', scheme: 'https' })).toBe('302 https://example.org/nil-nil');
    expect(outcome(table, { path: '/http-nil', scheme: 'https' })).toBe('302 http://example.org/http-nil');
  });

  it('locally, a scheme change without a port points at ingress-dev\'s own HTTPS port, so the browser comes back (README); 443 when none is given', () => {
    const { table } = compileYaml(rules(redirect('/', '{scheme: https}')));
    expect(route(table, { path: '/x?y=1', port: 8080, httpsPort: 8443 }).redirect?.location).toBe('https://example.com:8443/x?y=1');
    expect(route(table, { path: '/x?y=1', port: 8080 }).redirect?.location).toBe('https://example.com/x?y=1');
  });

  it('httproute-303/307/308-redirect.go: the status codes of the filter', () => {
    const { table } = compileYaml(rules(redirect('/see-other', '{statusCode: 303}') + redirect('/temporary', '{statusCode: 307}') + redirect('/permanent', '{statusCode: 308}')));
    expect(outcome(table, { method: 'POST', path: '/see-other' })).toBe('303 http://example.com/see-other');
    expect(outcome(table, { path: '/temporary' })).toBe('307 http://example.com/temporary');
    expect(outcome(table, { path: '/permanent' })).toBe('308 http://example.com/permanent');
  });
});

describe('URLRewrite (conformance/tests/httproute-rewrite-*.go, httproute_types.go HTTPPathModifier)', () => {
  it('httproute-rewrite-path.go: ReplacePrefixMatch and ReplaceFullPath; the query is kept', () => {
    const rewrite = (path: string, to: string) => `    - matches: [{path: {type: PathPrefix, value: ${path}}}]
      filters: [{type: URLRewrite, urlRewrite: {path: ${to}}}]
      backendRefs: [{name: v1, port: 8080}]
`;
    const { table } = compileYaml(rules(
      rewrite('/prefix/one', '{type: ReplacePrefixMatch, replacePrefixMatch: /one}')
      + rewrite('/strip-prefix', '{type: ReplacePrefixMatch, replacePrefixMatch: /}')
      + rewrite('/full/one', '{type: ReplaceFullPath, replaceFullPath: /one}'),
    ));
    expect(route(table, { path: '/prefix/one/two' }).upstreamPath).toBe('/one/two');
    expect(route(table, { path: '/strip-prefix/three' }).upstreamPath).toBe('/three');
    expect(route(table, { path: '/strip-prefix' }).upstreamPath).toBe('/');
    expect(route(table, { path: '/full/one/two' }).upstreamPath).toBe('/one');
    expect(route(table, { path: '/prefix/one/two?a=1&b=2' }).upstreamPath).toBe('/one/two?a=1&b=2');
  });

  it('the ReplacePrefixMatch table of HTTPPathModifier (httproute_types.go)', () => {
    const table: [string, string, string, string][] = [
      ['/foo/bar', '/foo', '/xyz', '/xyz/bar'], ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'], ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'], ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
      ['/foo', '/foo', '/xyz', '/xyz'], ['/foo/', '/foo', '/xyz', '/xyz/'], ['/foo/bar', '/foo', '', '/bar'], ['/foo/', '/foo', '', '/'], ['/foo', '/foo', '', '/'], ['/foo/', '/foo', '/', '/'], ['/foo', '/foo', '/', '/'],
    ];
    for (const [request, prefix, replace, want] of table) {
      const { table: t } = compileYaml(rules(`    - matches: [{path: {type: PathPrefix, value: '${prefix}'}}]
      filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: '${replace}'}}}]
      backendRefs: [{name: v1, port: 8080}]
`));
      expect(route(t, { path: request }).upstreamPath, `${request} ${prefix} → ${replace}`).toBe(want);
    }
  });

  it('httproute-rewrite-host.go: the backend gets the hostname of the filter as Host', () => {
    const { table } = compileYaml(rules(`    - matches: [{path: {type: PathPrefix, value: /one}}]
      filters: [{type: URLRewrite, urlRewrite: {hostname: one.example.org}}]
      backendRefs: [{name: v1, port: 8080}]
    - filters: [{type: URLRewrite, urlRewrite: {hostname: example.org}}]
      backendRefs: [{name: v2, port: 8080}]
`));
    expect(route(table, { host: 'rewrite.example', path: '/one' })).toMatchObject({ upstreamHost: 'one.example.org', upstreamPath: '/one' });
    expect(route(table, { host: 'rewrite.example', path: '/two' })).toMatchObject({ upstreamHost: 'example.org' });
  });
});

describe('header modifiers (conformance/tests/httproute-request-header-modifier.go)', () => {
  const edits = { set: [['X-Header-Set', 'set-overwrites-values']] as const, add: [['X-Header-Add', 'add-appends-values']] as const, remove: ['x-header-remove'] };

  it('set overwrites, add appends with a comma and no space, remove drops; names compare case-insensitively', () => {
    expect(applyHeaderEdits(['Some-Other-Header', 'val', 'X-Header-Set', 'some-other-value', 'X-Header-Add', 'some-other-value', 'X-Header-Remove', 'val'], [edits])).toEqual([
      'Some-Other-Header', 'val', 'X-Header-Set', 'set-overwrites-values', 'X-Header-Add', 'some-other-value,add-appends-values',
    ]);
    // /case-insensitivity: lower-case request headers, filter names in another case.
    expect(applyHeaderEdits(['x-header-set', 'original-val-set', 'x-header-add', 'original-val-add', 'x-header-remove', 'original-val-remove'], [{ set: [['X-Header-Set', 'header-set']], add: [['X-Header-Add', 'header-add']], remove: ['x-header-remove'] }]))
      .toEqual(['X-Header-Set', 'header-set', 'X-Header-Add', 'original-val-add,header-add']);
  });

  it('/multiple: several of each action', () => {
    const out = applyHeaderEdits(['X-Header-Set-2', 'set-val-2', 'X-Header-Add-2', 'add-val-2', 'X-Header-Remove-2', 'remove-val-2', 'Another-Header', 'another-header-val'], [{
      set: [['X-Header-Set-1', 'header-set-1'], ['X-Header-Set-2', 'header-set-2']],
      add: [['X-Header-Add-1', 'header-add-1'], ['X-Header-Add-2', 'header-add-2'], ['X-Header-Add-3', 'header-add-3']],
      remove: ['x-header-remove-1', 'x-header-remove-2'],
    }]);
    const got = Object.fromEntries(out.flatMap((v, i) => (i % 2 === 0 ? [[v, out[i + 1]]] : [])));
    expect(got).toEqual({ 'X-Header-Set-1': 'header-set-1', 'X-Header-Set-2': 'header-set-2', 'X-Header-Add-1': 'header-add-1', 'X-Header-Add-2': 'add-val-2,header-add-2', 'X-Header-Add-3': 'header-add-3', 'Another-Header': 'another-header-val' });
  });

  it('the rule\'s RequestHeaderModifier and ResponseHeaderModifier reach the forward decision; a backendRef\'s only when that backend is chosen (-backend-weights.go)', () => {
    const { table } = compileYaml(rules(`    - filters:
        - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Rule, value: r}]}}
        - {type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: X-Resp, value: a}]}}
      backendRefs:
        - {name: v1, port: 8080, weight: 10, filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Backend, value: v1}]}}]}
        - {name: v2, port: 8080, weight: 10, filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Backend, value: v2}]}}]}
`));
    for (const [random, backend] of [[0.1, 'v1'], [0.9, 'v2']] as const) {
      const outcomeOf = route(table, { random }).gateway?.outcome;
      expect(outcomeOf?.kind).toBe('forward');
      if (outcomeOf?.kind !== 'forward') continue;
      expect(outcomeOf.backend).toMatchObject({ service: backend });
      expect(outcomeOf.requestEdits.flatMap((e) => e.set)).toEqual([['X-Rule', 'r'], ['Backend', backend]]);
      expect(outcomeOf.responseEdits.flatMap((e) => e.add)).toEqual([['X-Resp', 'a']]);
    }
  });
});

describe('backendRefs: weights and the 500s (conformance/tests)', () => {
  it('httproute-weight.go: 70/30/0 split by the random number; weight 0 gets nothing', () => {
    const { table } = compileYaml(rules(`    - backendRefs: [{name: v1, port: 8080, weight: 70}, {name: v2, port: 8080, weight: 30}, {name: v3, port: 8080, weight: 0}]
`));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const got = outcome(table, { random: i / 1000 });
      counts[got] = (counts[got] ?? 0) + 1;
    }
    expect(counts).toEqual({ v1: 700, v2: 300 });
  });

  it('httproute-omitted-backendrefs.go: a rule with no backendRefs (omitted or empty) answers 500', () => {
    const { table } = compileYaml(rules(`    - {matches: [{path: {type: PathPrefix, value: /forward}}], backendRefs: [{name: v1, port: 8080}]}
    - {matches: [{path: {type: Exact, value: /omitted-no-forward}}]}
    - {matches: [{path: {type: Exact, value: /empty-no-forward}}], backendRefs: []}
`));
    expect(outcome(table, { path: '/forward' })).toBe('v1');
    expect(outcome(table, { path: '/omitted-no-forward' })).toBe('500');
    expect(outcome(table, { path: '/empty-no-forward' })).toBe('500');
  });

  it('httproute-invalid-*.go: unknown kind (InvalidKind), missing Service (BackendNotFound), another namespace without a grant (RefNotPermitted) answer 500, and the rule still matches', () => {
    const { table, diagnostics } = compileYaml(rules(`    - {matches: [{path: {type: PathPrefix, value: /kind}}], backendRefs: [{group: unknownkind.example.com, kind: NonExistent, name: x}]}
    - {matches: [{path: {type: PathPrefix, value: /missing}}], backendRefs: [{name: nonexistent, port: 8080}]}
    - {matches: [{path: {type: PathPrefix, value: /cross}}], backendRefs: [{name: web-backend, namespace: web, port: 8080}]}
    - {backendRefs: [{name: v1, port: 8080}]}
`, services('web', ['web-backend'])));
    expect(outcome(table, { path: '/kind' })).toBe('500');
    expect(outcome(table, { path: '/missing' })).toBe('500');
    expect(outcome(table, { path: '/cross' })).toBe('500');
    expect(outcome(table, { path: '/other' })).toBe('v1');
    const reasons = diagnostics.filter((d) => d.code === 'E_BACKEND_REF_INVALID').map((d) => /ResolvedRefs: False, (\w+)/.exec(d.message)?.[1]);
    expect(reasons).toEqual(['InvalidKind', 'BackendNotFound', 'RefNotPermitted']);
  });

  it('httproute-reference-grant.go and -partially-invalid-via-invalid-reference-grant.go: a grant opens the Services it names, and only those', () => {
    const grant = (to: string) => `---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: grant, namespace: web}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [${to}]
`;
    const yaml = (to: string) => rules(`    - {matches: [{path: {type: PathPrefix, value: /v2}}], backendRefs: [{name: app-backend-v2, namespace: web, port: 8080}]}
    - {backendRefs: [{name: app-backend-v1, namespace: web, port: 8080}]}
`, services('web', ['app-backend-v1', 'app-backend-v2']) + grant(to));
    const partial = compileYaml(yaml('{group: "", kind: Service, name: app-backend-v1}')).table;
    expect(outcome(partial, { path: '/' })).toBe('app-backend-v1');
    expect(outcome(partial, { path: '/v2' })).toBe('500');
    const all = compileYaml(yaml('{group: "", kind: Service}')).table;
    expect(outcome(all, { path: '/v2' })).toBe('app-backend-v2');
    // A grant of another kind or from another namespace opens nothing (httproute-invalid-reference-grant.go).
    const wrong = compileYaml(yaml('{group: "", kind: Secret}')).table;
    expect(outcome(wrong, { path: '/' })).toBe('500');
  });

  it('half the traffic of a rule with one valid and one invalid backendRef of equal weight answers 500 (httproute_types.go BackendRefs)', () => {
    const { table } = compileYaml(rules(`    - backendRefs: [{name: v1, port: 8080}, {name: nonexistent, port: 8080}]
`));
    expect(outcome(table, { random: 0.25 })).toBe('v1');
    expect(outcome(table, { random: 0.75 })).toBe('500');
  });

  it('an ExtensionRef filter makes the rule answer 500, never skipped (httproute_types.go HTTPRouteFilter)', () => {
    const { table, diagnostics } = compileYaml(rules(`    - filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Magic, name: m}}]
      backendRefs: [{name: v1, port: 8080}]
`));
    expect(outcome(table, {})).toBe('500');
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'E_FILTER_INVALID' }));
  });
});

describe('CORS (conformance/tests/httproute-cors.go, httproute_types.go HTTPCORSFilter)', () => {
  const { table } = compileYaml(rules(`    - matches: [{path: {type: PathPrefix, value: /cors-1}}]
      filters:
        - type: CORS
          cors:
            allowOrigins: ["https://www.foo.com", "https://*.bar.com"]
            allowMethods: [GET, OPTIONS]
            allowHeaders: [x-header-1, x-header-2]
            exposeHeaders: [x-header-3, x-header-4]
            allowCredentials: true
            maxAge: 3600
      backendRefs: [{name: v1, port: 8080}]
`));
  const preflight = (origin: string) => route(table, { method: 'OPTIONS', path: '/cors-1', headers: { Origin: origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-header-1, x-header-2' } });

  it('answers the preflight of an allowed origin itself, 204, with the origin echoed and the policy', () => {
    const m = preflight('https://www.foo.com');
    expect(m.status).toBe(204);
    expect(Object.fromEntries(m.reply?.headers ?? [])).toEqual({
      'Access-Control-Allow-Origin': 'https://www.foo.com',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'GET,OPTIONS',
      'Access-Control-Allow-Headers': 'x-header-1,x-header-2',
      'Access-Control-Expose-Headers': 'x-header-3,x-header-4',
      'Access-Control-Max-Age': '3600',
    });
  });

  it('a * in an origin matches any labels to its left; another origin gets no CORS headers', () => {
    expect(Object.fromEntries(preflight('https://www.bar.com').reply?.headers ?? [])['Access-Control-Allow-Origin']).toBe('https://www.bar.com');
    expect(Object.fromEntries(preflight('https://xpto.www.bar.com').reply?.headers ?? [])['Access-Control-Allow-Origin']).toBe('https://xpto.www.bar.com');
    const denied = preflight('https://foobar.com');
    expect(denied.status).toBe(204);
    expect(denied.reply?.headers).toEqual([]);
    expect(preflight('http://www.foo.com').reply?.headers).toEqual([]);
  });

  it('an actual request from an allowed origin goes to the backend and its response gets the origin echoed; another origin\'s none', () => {
    const allowed = route(table, { path: '/cors-1', headers: { Origin: 'https://www.foo.com' } });
    expect(allowed.status).toBe(200);
    const edits = allowed.gateway?.outcome.kind === 'forward' ? allowed.gateway.outcome.responseEdits.flatMap((e) => e.set) : [];
    expect(Object.fromEntries(edits)).toEqual({ 'Access-Control-Allow-Origin': 'https://www.foo.com', 'Access-Control-Allow-Credentials': 'true', 'Access-Control-Expose-Headers': 'x-header-3,x-header-4' });
    const other = route(table, { path: '/cors-1', headers: { Origin: 'https://foobar.com' } });
    expect(other.gateway?.outcome.kind === 'forward' ? other.gateway.outcome.responseEdits : null).toEqual([]);
  });
});
