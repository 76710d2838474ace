import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { parseManifests } from './parse.js';
import type { HTTPRouteFilter, ResourceSet } from './types.js';

/**
 * The Gateway API kinds read into typed values: every field as written, with its position, and
 * what the API server would refuse on the object alone reported with the path of the field.
 */

function parse(text: string) {
  return parseManifests([{ file: 'gateway.yaml', text }]);
}

function found(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.code} ${d.line}:${d.col}`);
}

const header = (kind: string, name = 'web', apiVersion = 'gateway.networking.k8s.io/v1') => `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\n`;
/** An HTTPRoute whose rules start on line 7. */
const route = (rules: string) => `${header('HTTPRoute')}spec:\n  parentRefs: [{name: edge}]\n  rules:\n${rules}`;

const filterTypes = (filters: readonly HTTPRouteFilter[] | undefined) => filters?.map((f) => (f.type === 'Unknown' ? `Unknown(${f.written?.value ?? ''})` : f.type));

describe('every kind, as written, with positions', () => {
  const text = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: local}
spec:
  controllerName: example.com/gateway
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: local
  listeners:
    - name: http
      port: 80
      protocol: HTTP
      allowedRoutes:
        namespaces: {from: All}
    - name: https
      hostname: "*.example.com"
      port: 443
      protocol: HTTPS
      tls:
        mode: Terminate
        certificateRefs: [{name: wildcard-tls}]
      allowedRoutes:
        namespaces:
          from: Selector
          selector:
            matchLabels: {team: shop}
            matchExpressions: [{key: env, operator: In, values: [dev, test]}]
        kinds: [{kind: HTTPRoute}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: infra, sectionName: https}]
  hostnames: [shop.example.com]
  rules:
    - name: api
      matches:
        - path: {type: PathPrefix, value: /api}
          headers: [{name: X-Version, value: "2"}]
          queryParams: [{type: RegularExpression, name: debug, value: "[01]"}]
          method: GET
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set: [{name: X-Env, value: dev}]
            add: [{name: X-Trace, value: "1"}]
            remove: [Cookie]
        - type: URLRewrite
          urlRewrite: {hostname: api.internal, path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
        - type: RequestMirror
          requestMirror: {backendRef: {name: shadow, port: 8080}, percent: 10}
        - type: ExtensionRef
          extensionRef: {group: example.com, kind: RateLimit, name: slow}
        - type: CORS
          cors: {allowOrigins: ["https://app.example.com"], maxAge: 60}
      backendRefs:
        - name: api
          port: 80
          weight: 90
        - {name: api-canary, port: 80, weight: 10, filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {remove: [Server]}}]}
      timeouts: {request: 10s}
    - filters:
        - type: RequestRedirect
          requestRedirect: {scheme: https, port: 443, statusCode: 301, path: {type: ReplaceFullPath, replaceFullPath: /new}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: greeter, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: infra, port: 443}]
  rules:
    - matches:
        - method: {service: helloworld.Greeter, method: SayHello}
          headers: [{name: x-tenant, value: a}]
      backendRefs: [{name: greeter, port: 50051}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: routes-to-services, namespace: backends}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: "", kind: Service}, {group: "", kind: Secret, name: wildcard-tls}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
`;
  const { resources, diagnostics } = parse(text);

  test('no diagnostics, and each kind in its own list, numbered in file order', () => {
    expect(diagnostics).toEqual([]);
    expect(resources.others).toEqual([]);
    const kinds = [resources.gatewayClasses, resources.gateways, resources.httpRoutes, resources.grpcRoutes, resources.referenceGrants, resources.namespaces];
    expect(kinds.map((list) => list.map((r) => `${r.kind} ${r.metadata.name} #${r.metadata.order}`))).toEqual([
      ['GatewayClass local #0'],
      ['Gateway edge #1'],
      ['HTTPRoute web #2'],
      ['GRPCRoute greeter #3'],
      ['ReferenceGrant routes-to-services #4'],
      ['Namespace shop #5'],
    ]);
  });

  test('GatewayClass and Gateway', () => {
    expect(resources.gatewayClasses[0]?.controllerName).toMatchObject({ value: 'example.com/gateway', at: { file: 'gateway.yaml', line: 5, col: 19 } });
    const gateway = resources.gateways[0];
    expect(gateway).toMatchObject({ apiVersion: 'gateway.networking.k8s.io/v1', metadata: { namespace: 'infra' }, gatewayClassName: { value: 'local', at: { line: 11, col: 21 } } });
    const [http, https] = gateway?.listeners ?? [];
    expect(http).toMatchObject({ name: { value: 'http', at: { line: 13, col: 13 } }, port: { value: 80, at: { line: 14, col: 13 } }, protocol: { value: 'HTTP' }, hostname: null, tls: null, at: { line: 13, col: 7 } });
    expect(http?.allowedRoutes).toMatchObject({ from: { value: 'All', at: { line: 17, col: 28 } }, selector: null, kinds: [] });
    expect(https).toMatchObject({ hostname: { value: '*.example.com', at: { line: 19, col: 17 } }, port: { value: 443 }, protocol: { value: 'HTTPS' } });
    expect(https?.tls).toMatchObject({ mode: { value: 'Terminate' }, certificateRefs: [{ name: { value: 'wildcard-tls', at: { line: 24, col: 34 } }, group: null, kind: null, namespace: null }] });
    const selector = https?.allowedRoutes?.selector;
    expect([...(selector?.matchLabels ?? [])]).toEqual([['team', 'shop']]);
    expect(selector?.matchExpressions).toMatchObject([{ key: 'env', operator: 'In', values: ['dev', 'test'], at: { line: 30, col: 32 } }]);
    expect(https?.allowedRoutes?.kinds).toMatchObject([{ group: null, kind: { value: 'HTTPRoute', at: { line: 31, col: 24 } } }]);
  });

  test('HTTPRoute: parentRefs, hostnames, matches, timeouts', () => {
    const httpRoute = resources.httpRoutes[0];
    expect(httpRoute?.parentRefs).toMatchObject([{ group: null, kind: null, namespace: 'infra', name: { value: 'edge', at: { line: 37, col: 23 } }, sectionName: { value: 'https' }, port: null, at: { line: 37, col: 16 } }]);
    expect(httpRoute?.hostnames).toMatchObject([{ value: 'shop.example.com', at: { line: 38, col: 15 } }]);
    const [api, redirect] = httpRoute?.rules ?? [];
    expect(api?.name?.value).toBe('api');
    expect(api?.matches).toMatchObject([
      {
        path: { type: { value: 'PathPrefix', at: { line: 42, col: 24 } }, value: { value: '/api', at: { line: 42, col: 43 } }, at: { line: 42, col: 17 } },
        headers: [{ type: null, name: { value: 'X-Version' }, value: { value: '2' } }],
        queryParams: [{ type: { value: 'RegularExpression' }, name: { value: 'debug' }, value: { value: '[01]' } }],
        method: { value: 'GET', at: { line: 45, col: 19 } },
        at: { line: 42, col: 11 },
      },
    ]);
    expect(api?.timeouts).toMatchObject({ request: { value: '10s' }, backendRequest: null });
    expect(redirect).toMatchObject({ name: null, matches: [], backendRefs: [], timeouts: null, at: { line: 66, col: 7 } });
  });

  test('HTTPRoute: every filter type, with its settings', () => {
    const [api, redirect] = resources.httpRoutes[0]?.rules ?? [];
    expect(filterTypes(api?.filters)).toEqual(['RequestHeaderModifier', 'URLRewrite', 'RequestMirror', 'ExtensionRef', 'CORS']);
    const [headers, rewrite, mirror, extension, cors] = api?.filters ?? [];
    expect(headers).toMatchObject({
      modifier: { set: [{ name: { value: 'X-Env', at: { line: 49, col: 26 } }, value: { value: 'dev' } }], add: [{ name: { value: 'X-Trace' }, value: { value: '1' } }], remove: [{ value: 'Cookie' }] },
      at: { line: 47, col: 11 },
    });
    expect(rewrite).toMatchObject({ hostname: { value: 'api.internal' }, path: { type: { value: 'ReplacePrefixMatch' }, replacePrefixMatch: { value: '/' }, replaceFullPath: null } });
    expect(mirror).toMatchObject({ percent: 10, backendRef: { name: { value: 'shadow' }, port: { value: 8080 }, weight: null, filters: [] } });
    expect(extension).toEqual({ type: 'ExtensionRef', group: 'example.com', kind: 'RateLimit', name: 'slow', at: expect.objectContaining({ line: 56, col: 11 }) });
    expect(cors).toMatchObject({ raw: { allowOrigins: ['https://app.example.com'], maxAge: 60 } });
    expect(redirect?.filters).toMatchObject([
      { type: 'RequestRedirect', scheme: { value: 'https' }, hostname: null, port: { value: 443 }, statusCode: { value: 301, at: { line: 68, col: 67 } }, path: { type: { value: 'ReplaceFullPath' }, replaceFullPath: { value: '/new' } } },
    ]);
  });

  test('HTTPRoute: backendRefs with weights and their own filters', () => {
    const refs = resources.httpRoutes[0]?.rules[0]?.backendRefs ?? [];
    expect(refs).toMatchObject([
      { group: null, kind: null, namespace: null, name: { value: 'api', at: { line: 61, col: 17 } }, port: { value: 80, at: { line: 62, col: 17 } }, weight: { value: 90, at: { line: 63, col: 19 } }, filters: [] },
      { name: { value: 'api-canary' }, weight: { value: 10 } },
    ]);
    expect(refs[1]?.filters).toMatchObject([{ type: 'ResponseHeaderModifier', modifier: { set: [], add: [], remove: [{ value: 'Server' }] } }]);
  });

  test('GRPCRoute, ReferenceGrant and Namespace', () => {
    const grpc = resources.grpcRoutes[0];
    expect(grpc?.parentRefs).toMatchObject([{ name: { value: 'edge' }, port: { value: 443, at: { line: 74, col: 53 } }, sectionName: null }]);
    expect(grpc?.rules[0]?.matches).toMatchObject([
      { method: { type: null, service: { value: 'helloworld.Greeter', at: { line: 77, col: 29 } }, method: { value: 'SayHello' } }, headers: [{ name: { value: 'x-tenant' }, value: { value: 'a' } }] },
    ]);
    expect(grpc?.rules[0]?.backendRefs).toMatchObject([{ name: { value: 'greeter' }, port: { value: 50051 } }]);
    expect(resources.referenceGrants[0]).toMatchObject({
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      metadata: { namespace: 'backends' },
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'shop', at: { line: 85, col: 10 } }],
      to: [{ group: '', kind: 'Service', name: null }, { group: '', kind: 'Secret', name: 'wildcard-tls' }],
    });
    expect(resources.namespaces[0]?.metadata).toMatchObject({ name: 'shop', nameAt: { line: 90, col: 18 } });
    expect(resources.namespaces[0]?.metadata.labels.get('team')).toBe('shop');
  });
});

describe('defaults are left null when not written (the model applies them)', () => {
  test('a minimal Gateway, HTTPRoute and GRPCRoute', () => {
    const { resources, diagnostics } = parse(`${header('Gateway', 'edge')}spec: {gatewayClassName: local, listeners: [{name: http, port: 80, protocol: HTTP}]}
---
${route(`    - matches: [{path: {value: /a}}, {headers: [{name: X-A, value: b}]}]
      backendRefs: [{name: web, port: 80}]
`)}---
${header('GRPCRoute', 'rpc')}spec:
  rules: [{matches: [{method: {method: Get}}]}]
`);
    expect(diagnostics).toEqual([]);
    expect(resources.gateways[0]?.listeners[0]).toMatchObject({ hostname: null, tls: null, allowedRoutes: null });
    const httpRoute = resources.httpRoutes[0];
    expect(httpRoute?.hostnames).toEqual([]);
    expect(httpRoute?.parentRefs[0]).toMatchObject({ group: null, kind: null, namespace: null, sectionName: null, port: null });
    const rule = httpRoute?.rules[0];
    expect(rule).toMatchObject({ name: null, filters: [], timeouts: null });
    expect(rule?.matches).toMatchObject([
      { path: { type: null, value: { value: '/a' } }, headers: [], queryParams: [], method: null },
      { path: null, headers: [{ type: null }] },
    ]);
    expect(rule?.backendRefs[0]).toMatchObject({ group: null, kind: null, namespace: null, weight: null, filters: [] });
    expect(resources.grpcRoutes[0]?.parentRefs).toEqual([]);
    expect(resources.grpcRoutes[0]?.rules[0]?.matches[0]?.method).toMatchObject({ type: null, service: null, method: { value: 'Get' } });
  });

  test('a route without rules has none (the model serves its default rule)', () => {
    const { resources, diagnostics } = parse(`${header('HTTPRoute')}spec: {parentRefs: [{name: edge}]}\n`);
    expect(diagnostics).toEqual([]);
    expect(resources.httpRoutes[0]?.rules).toEqual([]);
  });
});

interface Case {
  readonly name: string;
  readonly text: string;
  /** Every diagnostic, `CODE line:col`, in output order. */
  readonly diagnostics: readonly string[];
  /** The first diagnostic's message, exactly. */
  readonly message?: string;
  /** The first diagnostic's hint. */
  readonly hint?: RegExp;
  readonly check?: (resources: ResourceSet) => void;
}

const cases: readonly Case[] = [
  {
    name: 'a path type that is not one of the Gateway API (Ingress\'s Prefix) leaves the match out',
    text: route(`    - matches:
        - path: {type: Prefix, value: /a}
        - path: {value: /b}
      backendRefs: [{name: web, port: 80}]
`),
    diagnostics: ['E_MATCH_INVALID 8:24'],
    message: 'HTTPRoute default/web: spec.rules[0].matches[0].path.type "Prefix" is not Exact, PathPrefix or RegularExpression; the match is ignored',
    hint: /^Did you mean PathPrefix\? PathPrefix \(the default\)/,
    check: (r) => expect(r.httpRoutes[0]?.rules[0]?.matches.map((m) => m.path?.value?.value)).toEqual(['/b']),
  },
  {
    name: 'a rule whose every match is unusable is left out, not widened to every request',
    text: route(`    - matches:
        - method: get
      backendRefs: [{name: web, port: 80}]
    - backendRefs: [{name: other, port: 80}]
`),
    diagnostics: ['E_RULE_NO_MATCH 7:7', 'E_MATCH_INVALID 8:19'],
    message: 'HTTPRoute default/web: spec.rules[0] has no usable match; the rule is ignored (with no match it would take every request)',
    check: (r) => expect(r.httpRoutes[0]?.rules.map((rule) => rule.backendRefs[0]?.name.value)).toEqual(['other']),
  },
  {
    name: 'a method in lower case',
    text: route(`    - matches: [{method: get}, {method: POST}]
`),
    diagnostics: ['E_MATCH_INVALID 7:26'],
    message: 'HTTPRoute default/web: spec.rules[0].matches[0].method "get" is not GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE or PATCH; the match is ignored',
    hint: /^Did you mean GET\? Methods are upper case/,
    check: (r) => expect(r.httpRoutes[0]?.rules[0]?.matches.map((m) => m.method?.value)).toEqual(['POST']),
  },
  {
    name: 'header and query matches: a bad type or a missing name or value leaves the whole match out',
    text: route(`    - matches:
        - headers: [{type: exact, name: X-A, value: "1"}]
        - queryParams: [{name: debug}]
        - headers: [{value: "1"}]
        - path: {value: /ok}
`),
    diagnostics: ['E_MATCH_INVALID 8:28', 'E_MISSING_FIELD 9:25', 'E_MISSING_FIELD 10:21'],
    hint: /^Did you mean Exact\?/,
    check: (r) => expect(r.httpRoutes[0]?.rules[0]?.matches.map((m) => m.path?.value?.value)).toEqual(['/ok']),
  },
  {
    name: 'a misspelt filter type is kept as Unknown, with the type meant',
    text: route(`    - filters:
        - type: RequestHeaderModifer
          requestHeaderModifier: {set: [{name: A, value: b}]}
`),
    diagnostics: ['E_FILTER_TYPE_UNKNOWN 8:17'],
    message: 'HTTPRoute default/web: spec.rules[0].filters[0].type "RequestHeaderModifer" is not a filter type of HTTPRoute; the filter cannot be applied',
    hint: /^Did you mean RequestHeaderModifier\? Filter types of HTTPRoute: RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, ExtensionRef, CORS/,
    check: (r) => expect(r.httpRoutes[0]?.rules[0]?.filters).toMatchObject([{ type: 'Unknown', written: { value: 'RequestHeaderModifer', at: { line: 8, col: 17 } }, at: { line: 8, col: 11 } }]),
  },
  {
    name: 'ExternalAuth (experimental) is a filter type ingress-dev does not emulate',
    text: route(`    - filters:
        - type: ExternalAuth
          externalAuth: {protocol: HTTP, backendRef: {name: auth}}
`),
    diagnostics: ['E_FILTER_TYPE_UNKNOWN 8:17'],
    message: 'HTTPRoute default/web: spec.rules[0].filters[0].type ExternalAuth is not emulated by ingress-dev; the filter cannot be applied',
    check: (r) => expect(filterTypes(r.httpRoutes[0]?.rules[0]?.filters)).toEqual(['Unknown(ExternalAuth)']),
  },
  {
    name: 'a filter without the settings its type needs',
    text: route(`    - filters:
        - type: RequestRedirect
`),
    diagnostics: ['E_MISSING_FIELD 8:11'],
    message: 'HTTPRoute default/web: spec.rules[0].filters[0].requestRedirect is missing, which type RequestRedirect needs; the filter cannot be applied',
    check: (r) => expect(filterTypes(r.httpRoutes[0]?.rules[0]?.filters)).toEqual(['Unknown(RequestRedirect)']),
  },
  {
    name: 'a redirect scheme in upper case and a status code that is no redirect',
    text: route(`    - filters:
        - type: RequestRedirect
          requestRedirect: {scheme: HTTPS, statusCode: 304}
`),
    diagnostics: ['E_FILTER_INVALID 9:37', 'E_FILTER_INVALID 9:56'],
    message: 'HTTPRoute default/web: spec.rules[0].filters[0].requestRedirect.scheme "HTTPS" is not http or https; the filter cannot be applied',
    hint: /^Did you mean https\?/,
    check: (r) => expect(filterTypes(r.httpRoutes[0]?.rules[0]?.filters)).toEqual(['Unknown(RequestRedirect)']),
  },
  {
    name: 'a path modifier needs the field of its type, and only that one',
    text: route(`    - matches: [{path: {type: PathPrefix, value: /api}}]
      filters:
        - type: URLRewrite
          urlRewrite: {path: {type: ReplacePrefixMatch, replaceFullPath: /x}}
        - type: RequestRedirect
          requestRedirect: {path: {type: ReplacePrefix, replacePrefixMatch: /}}
`),
    diagnostics: ['E_FILTER_INVALID 10:30', 'E_FILTER_INVALID 10:57', 'E_FILTER_INVALID 12:42'],
    message: 'HTTPRoute default/web: spec.rules[0].filters[0].urlRewrite.path has type ReplacePrefixMatch but no replacePrefixMatch; the filter cannot be applied',
    check: (r) => expect(filterTypes(r.httpRoutes[0]?.rules[0]?.filters)).toEqual(['Unknown(URLRewrite)', 'Unknown(RequestRedirect)']),
  },
  {
    name: 'a mirror percentage above 100, and the settings of another filter type',
    text: route(`    - filters:
        - type: RequestMirror
          requestMirror: {backendRef: {name: shadow, port: 80}, percent: 150}
        - type: RequestHeaderModifier
          requestHeaderModifier: {remove: [Cookie]}
          urlRewrite: {hostname: x}
`),
    diagnostics: ['E_FILTER_INVALID 9:74', 'E_FILTER_INVALID 12:11'],
    message: 'HTTPRoute default/web: spec.rules[0].filters[0].requestMirror.percent 150 is not a percentage (0-100); the filter cannot be applied',
    check: (r) => expect(filterTypes(r.httpRoutes[0]?.rules[0]?.filters)).toEqual(['Unknown(RequestMirror)', 'Unknown(RequestHeaderModifier)']),
  },
  {
    name: 'backendRefs: weight and port ranges, a quoted port, a missing name, a Service without port',
    text: route(`    - backendRefs:
        - {name: a, port: 80, weight: -1}
        - {name: b, port: 70000}
        - {name: c, port: "80"}
        - {port: 80}
        - {name: e}
        - {name: f, group: example.com, kind: Bucket}
        - {name: g, port: 80}
`),
    diagnostics: ['E_BACKEND_INVALID 8:39', 'E_BACKEND_INVALID 9:27', 'E_FIELD_TYPE 10:27', 'E_MISSING_FIELD 11:11', 'E_MISSING_FIELD 12:11'],
    message: 'HTTPRoute default/web: spec.rules[0].backendRefs[0].weight -1 is not a weight (0-1000000); the backendRef is ignored',
    check: (r) => expect(r.httpRoutes[0]?.rules[0]?.backendRefs.map((b) => b.name.value)).toEqual(['f', 'g']),
  },
  {
    name: 'parentRefs: a missing name and a port out of range leave the reference out',
    text: `${header('HTTPRoute')}spec:\n  parentRefs: [{sectionName: http}, {name: edge, port: 0}, {name: ok}]\n`,
    diagnostics: ['E_MISSING_FIELD 5:16', 'E_PARENT_REF_INVALID 5:56'],
    message: 'HTTPRoute default/web: spec.parentRefs[0].name is missing; the parent reference is ignored',
    check: (r) => expect(r.httpRoutes[0]?.parentRefs.map((p) => p.name.value)).toEqual(['ok']),
  },
  {
    name: 'unknown fields name the field meant; experimental fields are known',
    text: route(`    - name: main
      matchs: [{path: {value: /}}]
      retry: {attempts: 2}
      sessionPersistence: {sessionName: s}
      backendRefs: [{name: web, port: 80, weigth: 1}]
`),
    diagnostics: ['W_UNKNOWN_FIELD 8:7', 'W_UNKNOWN_FIELD 11:43'],
    message: 'HTTPRoute default/web: spec.rules[0].matchs is not a field of spec.rules[0]; it is ignored',
    hint: /^Did you mean matches\?/,
    check: (r) => expect(r.httpRoutes[0]?.rules[0]?.name?.value).toBe('main'),
  },
  {
    name: 'GRPCRoute: a method match type, a method match with neither service nor method, a filter of HTTPRoute only',
    text: `${header('GRPCRoute', 'greeter')}spec:
  rules:
    - matches:
        - method: {type: exact, service: a.B}
        - method: {type: Exact}
        - method: {service: a.B}
      filters:
        - type: RequestRedirect
          requestRedirect: {scheme: https}
`,
    diagnostics: ['E_MATCH_INVALID 7:26', 'E_MISSING_FIELD 8:19', 'E_FILTER_TYPE_UNKNOWN 11:17', 'W_UNKNOWN_FIELD 12:11'],
    message: 'GRPCRoute default/greeter: spec.rules[0].matches[0].method.type "exact" is not Exact or RegularExpression; the match is ignored',
    check: (r) => {
      expect(r.grpcRoutes[0]?.rules[0]?.matches.map((m) => m.method?.service?.value)).toEqual(['a.B']);
      expect(filterTypes(r.grpcRoutes[0]?.rules[0]?.filters)).toEqual(['Unknown(RequestRedirect)']);
    },
  },
  {
    name: 'Gateway listeners: missing name, port or protocol, a port out of range, enumerations; a custom protocol is kept',
    text: `${header('Gateway', 'edge')}spec:
  gatewayClassName: local
  listeners:
    - {name: a, protocol: HTTP}
    - {name: b, port: 0, protocol: HTTP}
    - {port: 80, protocol: HTTP}
    - {name: d, port: 80}
    - {name: e, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: all}}}
    - {name: f, port: 443, protocol: HTTPS, tls: {mode: terminate}}
    - {name: g, port: 9000, protocol: example.com/custom}
`,
    diagnostics: ['E_MISSING_FIELD 7:7', 'E_LISTENER_INVALID 8:23', 'E_MISSING_FIELD 9:7', 'E_MISSING_FIELD 10:7', 'E_LISTENER_INVALID 11:78', 'E_LISTENER_INVALID 12:57'],
    message: 'Gateway default/edge: spec.listeners[0].port is missing; the listener is ignored',
    check: (r) => expect(r.gateways[0]?.listeners.map((l) => `${l.name.value} ${l.protocol.value}`)).toEqual(['g example.com/custom']),
  },
  {
    name: 'allowedRoutes.namespaces.from names the value meant',
    text: `${header('Gateway', 'edge')}spec:\n  gatewayClassName: local\n  listeners: [{name: a, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: all}}}]\n`,
    diagnostics: ['E_LISTENER_INVALID 6:86'],
    message: 'Gateway default/edge: spec.listeners[0].allowedRoutes.namespaces.from "all" is not All, Same or Selector; the listener is ignored',
    hint: /^Did you mean All\?/,
  },
  {
    name: 'a Gateway without class and listeners is kept, and reported',
    text: `${header('Gateway', 'edge')}spec: {addresses: []}\n`,
    diagnostics: ['E_MISSING_FIELD 4:7', 'E_MISSING_FIELD 4:7'],
    message: 'Gateway default/edge: spec.gatewayClassName is missing; the Gateway belongs to no GatewayClass',
    check: (r) => expect(r.gateways[0]).toMatchObject({ gatewayClassName: null, listeners: [] }),
  },
  {
    name: 'a GatewayClass without controllerName',
    text: `${header('GatewayClass', 'local')}spec: {description: local}\n`,
    diagnostics: ['E_MISSING_FIELD 4:7'],
    message: 'GatewayClass local: spec.controllerName is missing; the GatewayClass names no controller',
    check: (r) => expect(r.gatewayClasses[0]?.controllerName).toBeNull(),
  },
  {
    name: 'ReferenceGrant: group is required ("" for the core group)',
    text: `${header('ReferenceGrant', 'grant')}spec:\n  from: [{kind: HTTPRoute, namespace: shop}]\n  to: [{group: "", kind: Service}]\n`,
    diagnostics: ['E_MISSING_FIELD 5:10'],
    message: 'ReferenceGrant default/grant: spec.from[0].group is missing; the entry is ignored',
    hint: /^Write group: "" for the core group/,
    check: (r) => expect(r.referenceGrants[0]).toMatchObject({ from: [], to: [{ group: '', kind: 'Service', name: null }] }),
  },
  {
    name: 'a ReferenceGrant without spec allows nothing',
    text: header('ReferenceGrant', 'grant'),
    diagnostics: ['E_MISSING_FIELD 2:1'],
    message: 'ReferenceGrant default/grant: spec is missing; the ReferenceGrant allows nothing',
  },
  {
    name: 'a Namespace name follows the DNS label rule',
    text: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: Shop}\n',
    diagnostics: ['E_INVALID_NAME 3:18'],
    check: (r) => expect(r.namespaces).toEqual([]),
  },
  {
    name: 'a duplicate route is reported at the second one',
    text: `${header('HTTPRoute')}spec: {}\n---\n${header('HTTPRoute')}spec: {}\n`,
    diagnostics: ['E_DUPLICATE_RESOURCE 8:18'],
    check: (r) => expect(r.httpRoutes).toHaveLength(1),
  },
];

describe('validation', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { resources, diagnostics } = parse(c.text);
    expect(found(diagnostics), diagnostics.map((d) => `${d.code} ${d.line}:${d.col} ${d.message}`).join('\n')).toEqual(c.diagnostics);
    for (const d of diagnostics) expect(d.hint.length).toBeGreaterThan(10);
    if (c.message !== undefined) expect(diagnostics[0]?.message).toBe(c.message);
    if (c.hint !== undefined) expect(diagnostics[0]?.hint).toMatch(c.hint);
    c.check?.(resources);
  });
});

describe('API versions', () => {
  const bodies: Readonly<Record<string, string>> = {
    GatewayClass: 'spec: {controllerName: example.com/gateway}',
    Gateway: 'spec: {gatewayClassName: local, listeners: [{name: http, port: 80, protocol: HTTP}]}',
    HTTPRoute: 'spec: {parentRefs: [{name: edge}]}',
    GRPCRoute: 'spec: {parentRefs: [{name: edge}]}',
    ReferenceGrant: 'spec: {from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}], to: [{group: "", kind: Service}]}',
  };
  test.each([
    ['GatewayClass', 'v1beta1', ['W_DEPRECATED_API 1:13'], 'deprecated'],
    ['Gateway', 'v1beta1', ['W_DEPRECATED_API 1:13'], 'deprecated'],
    ['HTTPRoute', 'v1beta1', ['W_DEPRECATED_API 1:13'], 'deprecated'],
    ['GRPCRoute', 'v1alpha2', ['W_DEPRECATED_API 1:13'], 'no longer served'],
    ['GRPCRoute', 'v1beta1', ['E_UNKNOWN_KIND 1:13'], null],
    ['HTTPRoute', 'v1alpha2', ['E_UNKNOWN_KIND 1:13'], null],
    ['ReferenceGrant', 'v1beta1', [], null],
    ['ReferenceGrant', 'v1', [], null],
  ] as const)('%s %s', (kind, version, expected, wording) => {
    const apiVersion = `gateway.networking.k8s.io/${version}`;
    const { resources, diagnostics } = parse(`${header(kind, 'x', apiVersion)}${bodies[kind] ?? ''}\n`);
    expect(found(diagnostics)).toEqual(expected);
    if (wording !== null) {
      expect(diagnostics[0]?.message).toBe(`${kind} ${kind === 'GatewayClass' ? '' : 'default/'}x: apiVersion ${apiVersion} is ${wording}; it is read as gateway.networking.k8s.io/v1`);
      expect(diagnostics[0]?.hint).toMatch(/^Write apiVersion: gateway\.networking\.k8s\.io\/v1;/);
    }
    const all = [...resources.gatewayClasses, ...resources.gateways, ...resources.httpRoutes, ...resources.grpcRoutes, ...resources.referenceGrants];
    expect(all.map((r) => r.kind)).toEqual(expected.some((e) => e.startsWith('E_')) ? [] : [kind]);
  });

  test('kinds of the group ingress-dev does not type yet stay raw, quietly', () => {
    const { resources, diagnostics } = parse(
      [
        ['v1alpha2', 'TLSRoute'],
        ['v1alpha2', 'TCPRoute'],
        ['v1alpha2', 'UDPRoute'],
        ['v1', 'BackendTLSPolicy'],
        ['v1', 'ListenerSet'],
      ]
        .map(([version, kind]) => `apiVersion: gateway.networking.k8s.io/${version}\nkind: ${kind}\nmetadata: {name: x}\nspec: {parentRefs: [{name: edge}]}\n`)
        .join('---\n'),
    );
    expect(diagnostics).toEqual([]);
    expect(resources.others.map((o) => o.resourceKind)).toEqual(['TLSRoute', 'TCPRoute', 'UDPRoute', 'BackendTLSPolicy', 'ListenerSet']);
    expect(resources.others[0]?.raw).toMatchObject({ spec: { parentRefs: [{ name: 'edge' }] } });
  });

  test('a misspelt kind of the group names the kind meant', () => {
    const { diagnostics } = parse(header('HTTPRoutes'));
    expect(found(diagnostics)).toEqual(['E_UNKNOWN_KIND 2:7']);
    expect(diagnostics[0]?.hint).toBe('Did you mean kind: HTTPRoute? Kinds are case-sensitive');
  });
});
