import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { diagnosticCodes } from '../diagnostics/catalogue.js';
import type { SourcePosition } from '../diagnostics/diagnostic.js';
import { parseManifests, type ParseResult } from './parse.js';
import type { SourceFile } from './types.js';

/**
 * "Nothing a user writes may crash the tool." Broken, mutated and hostile manifests go through
 * parseManifests, which must return (never throw, never hang), with well-formed diagnostics and
 * never E_INTERNAL (that code is the safety net for bugs, so reaching it here is a bug).
 */

const seeds = [
  `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
    kubernetes.io/ingress.class: nginx
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
  tls:
    - hosts: [shop.example.com]
      secretName: shop-tls
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /api
            pathType: Prefix
            backend:
              service:
                name: api
                port:
                  name: http
          - path: /static
            pathType: ImplementationSpecific
            backend:
              resource: {apiGroup: k8s.example.com, kind: Bucket, name: assets}
`,
  `apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: legacy}
spec:
  backend: {serviceName: web, servicePort: 80}
  rules:
    - host: old.example.com
      http:
        paths:
          - path: /get
            backend: {serviceName: httpbin, servicePort: http}
`,
  `apiVersion: v1
kind: Service
metadata: {name: api, labels: {app: api}}
spec:
  type: NodePort
  selector: {app: api}
  ports:
    - {name: http, port: 80, targetPort: http, nodePort: 30080}
    - {name: https, port: 443, targetPort: 8443, protocol: TCP}
`,
  `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: v1
kind: List
items:
  - &svc {apiVersion: v1, kind: Service, metadata: {name: a}, spec: {ports: [{port: 80}]}}
  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: a}, spec: {replicas: 1}}
  - <<: *svc
    metadata: {name: b}
`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: local
  listeners:
    - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
    - name: https
      hostname: "*.example.com"
      port: 443
      protocol: HTTPS
      tls: {mode: Terminate, certificateRefs: [{name: tls}]}
      allowedRoutes:
        namespaces: {from: Selector, selector: {matchLabels: {team: shop}, matchExpressions: [{key: env, operator: In, values: [dev]}]}}
        kinds: [{kind: HTTPRoute}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: infra, sectionName: https, port: 443}]
  hostnames: [shop.example.com]
  rules:
    - name: api
      matches:
        - path: {type: PathPrefix, value: /api}
          headers: [{name: X-Version, value: "2"}]
          queryParams: [{type: RegularExpression, name: debug, value: "1"}]
          method: GET
      filters:
        - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: A, value: b}], add: [{name: C, value: d}], remove: [E]}}
        - {type: URLRewrite, urlRewrite: {hostname: api, path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}
        - {type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 80}, fraction: {numerator: 1, denominator: 2}}}
        - {type: CORS, cors: {allowOrigins: ["*"], maxAge: 5}}
        - {type: ExtensionRef, extensionRef: {group: example.com, kind: Limit, name: slow}}
      backendRefs:
        - {name: api, port: 80, weight: 9, filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {remove: [Server]}}]}
      timeouts: {request: 10s, backendRequest: 5s}
    - filters: [{type: RequestRedirect, requestRedirect: {scheme: https, port: 443, statusCode: 301, path: {type: ReplaceFullPath, replaceFullPath: /}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: rpc}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  rules: [{matches: [{method: {service: a.B, method: C}, headers: [{name: x, value: y}]}], backendRefs: [{name: rpc, port: 50051}]}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: grant, namespace: infra}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: "", kind: Service}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: local}
spec: {controllerName: example.com/gateway}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
`,
];

const yamlFragments = [
  ':', ': ', '- ', '-', '[', ']', '{', '}', ',', '*a', '&a ', '*', '&', '!', '!!str ', '!!map ', '!!int ', '<<: *a', '<<: ',
  '\t', '\n', '\n  ', '\n    - ', '---\n', '...\n', '"', "'", '#', '|', '>-', '%YAML 1.2\n', '? ', '\\', '\u0000', '\uFEFF',
  '\u2028', '😀', 'é', '\r\n', '\r', 'null', '~', 'true', 'yes', '0x1F', '0o17', '1e9', '-1', '65536', '.inf', 'port', 'number',
  'service', 'pathType', 'Prefix', 'host', 'apiVersion', 'kind', 'List', 'items', 'metadata', 'name: x', 'spec:', '@', '`',
];

type TextMutation =
  | { readonly type: 'truncate'; readonly at: number }
  | { readonly type: 'insert'; readonly at: number; readonly text: string }
  | { readonly type: 'delete'; readonly at: number; readonly length: number }
  | { readonly type: 'delete-line' | 'duplicate-line'; readonly line: number }
  | { readonly type: 'swap-lines'; readonly a: number; readonly b: number };

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ type: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    type: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...yamlFragments) }, fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 })),
  }),
  fc.record({ type: fc.constant('delete' as const), at: fc.nat(), length: fc.nat({ max: 40 }) }),
  fc.record({ type: fc.constantFrom('delete-line' as const, 'duplicate-line' as const), line: fc.nat() }),
  fc.record({ type: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
);

function applyTextMutation(text: string, m: TextMutation): string {
  const lines = text.split('\n');
  const lineAt = (n: number): number => (lines.length === 0 ? 0 : n % lines.length);
  switch (m.type) {
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'delete': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'delete-line':
      lines.splice(lineAt(m.line), 1);
      return lines.join('\n');
    case 'duplicate-line': {
      const i = lineAt(m.line);
      lines.splice(i, 0, lines[i] ?? '');
      return lines.join('\n');
    }
    case 'swap-lines': {
      const a = lineAt(m.a);
      const b = lineAt(m.b);
      const la = lines[a] ?? '';
      lines[a] = lines[b] ?? '';
      lines[b] = la;
      return lines.join('\n');
    }
  }
}

// -- structural mutations: change the parsed value, then write it back as YAML -------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

type StructuralMutation = { readonly target: number; readonly action: 'delete' | 'replace' | 'wrap-list' | 'to-string' | 'null'; readonly value: Json };

const structuralMutation: fc.Arbitrary<StructuralMutation> = fc.record({
  target: fc.nat(),
  action: fc.constantFrom('delete' as const, 'replace' as const, 'wrap-list' as const, 'to-string' as const, 'null' as const),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
});

type Slot = [Json[] | { [key: string]: Json }, string | number];

/** Every [container, key] pair of a value, depth first; a shared object (from a YAML alias) once. */
function slots(value: Json, out: Slot[] = [], seen = new Set<object>()): Slot[] {
  if (typeof value !== 'object' || value === null || seen.has(value)) return out;
  seen.add(value);
  const entries: Array<[string | number, Json]> = Array.isArray(value) ? value.map((child, i) => [i, child]) : Object.entries(value);
  for (const [key, child] of entries) {
    out.push([value, key]);
    slots(child, out, seen);
  }
  return out;
}

function applyStructuralMutation(root: Json, m: StructuralMutation): void {
  const all = slots(root);
  const slot = all[m.target % Math.max(1, all.length)];
  if (slot === undefined) return;
  const [container, key] = slot;
  const get = (): Json => (Array.isArray(container) ? (container[key as number] ?? null) : (container[key as string] ?? null));
  const set = (v: Json): void => {
    if (Array.isArray(container)) container[key as number] = v;
    else container[key as string] = v;
  };
  switch (m.action) {
    case 'delete':
      if (Array.isArray(container)) container.splice(key as number, 1);
      else delete container[key as string];
      return;
    case 'replace':
      set(structuredClone(m.value));
      return;
    case 'wrap-list':
      set([get()]);
      return;
    case 'to-string':
      set(String(JSON.stringify(get())));
      return;
    case 'null':
      set(null);
  }
}

const structurallyMutated: fc.Arbitrary<string> = fc
  .record({
    seed: fc.constantFrom(...seeds),
    mutations: fc.array(structuralMutation, { minLength: 1, maxLength: 6 }),
    style: fc.constantFrom('any' as const, 'block' as const, 'flow' as const),
  })
  .map(({ seed, mutations, style }) =>
    seed
      .split(/^---$/m)
      .map((doc) => {
        const value = parseYaml(doc, { merge: true }) as Json;
        for (const m of mutations) applyStructuralMutation(value, m);
        return stringify(value, { collectionStyle: style });
      })
      .join('---\n'),
  );

// -- generated objects of the known kinds, with any value in any place -------------------------

const anyJson = fc.jsonValue({ maxDepth: 2 });
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: anyJson });
const name = fc.oneof(fc.constantFrom('web', 'api', 'My_App', '1web', '', 'a.b', 'x'.repeat(70)), fc.string({ maxLength: 10 }));
const opt = { requiredKeys: [] as never[] };

const portRef = fc.oneof(
  fc.record({ number: maybe(fc.integer({ min: -5, max: 70_000 })), name: maybe(name) }, opt),
  fc.integer({ min: -5, max: 70_000 }),
  name,
);
const backend = fc.record(
  {
    service: maybe(fc.record({ name: maybe(name), port: maybe(portRef) }, opt)),
    resource: maybe(fc.record({ apiGroup: maybe(name), kind: maybe(name), name: maybe(name) }, opt)),
    serviceName: maybe(name),
    servicePort: maybe(fc.oneof(fc.integer({ min: -5, max: 70_000 }), name)),
  },
  opt,
);
const pathItem = fc.record(
  {
    path: maybe(fc.constantFrom('/', '/api', 'api', '')),
    pathType: maybe(fc.constantFrom('Exact', 'Prefix', 'ImplementationSpecific', 'prefix', 'Regex')),
    backend: maybe(backend),
  },
  opt,
);
const ingressRule = fc.record({ host: maybe(fc.constantFrom('a.example.com', '*.example.com', '')), http: maybe(fc.record({ paths: maybe(fc.array(maybe(pathItem), { maxLength: 3 })) }, opt)) }, opt);
const stringMap = fc.dictionary(fc.string({ maxLength: 12 }), maybe(fc.string({ maxLength: 8 })), { maxKeys: 3 });
const metadata = fc.record(
  {
    name: maybe(name),
    namespace: maybe(name),
    annotations: maybe(stringMap),
    labels: maybe(stringMap),
    creationTimestamp: maybe(fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string({ maxLength: 10 }))),
  },
  opt,
);
const ingressSpec = fc.record(
  {
    ingressClassName: maybe(name),
    defaultBackend: maybe(backend),
    backend: maybe(backend),
    rules: maybe(fc.array(maybe(ingressRule), { maxLength: 3 })),
    tls: maybe(fc.array(maybe(fc.record({ hosts: maybe(fc.array(maybe(name), { maxLength: 2 })), secretName: maybe(name) }, opt)), { maxLength: 2 })),
  },
  opt,
);
const servicePort = fc.record(
  {
    name: maybe(name),
    port: maybe(fc.integer({ min: -1, max: 70_000 })),
    targetPort: maybe(fc.oneof(fc.integer({ min: -1, max: 70_000 }), name)),
    protocol: maybe(fc.constantFrom('TCP', 'UDP', 'SCTP', 'tcp')),
    nodePort: maybe(fc.integer({ min: -1, max: 70_000 })),
  },
  opt,
);
const serviceSpec = fc.record(
  {
    type: maybe(fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName', 'clusterip')),
    selector: maybe(stringMap),
    ports: maybe(fc.array(maybe(servicePort), { maxLength: 3 })),
    externalName: maybe(name),
    clusterIP: maybe(fc.constantFrom('None', '10.0.0.1')),
  },
  opt,
);
const portNumber = fc.integer({ min: -5, max: 70_000 });
const gatewayBackendRef = fc.record(
  {
    name: maybe(name),
    namespace: maybe(name),
    group: maybe(fc.constantFrom('', 'example.com')),
    kind: maybe(fc.constantFrom('Service', 'Bucket')),
    port: maybe(portNumber),
    weight: maybe(fc.integer({ min: -2, max: 2_000_000 })),
  },
  opt,
);
const pathModifier = fc.record(
  { type: maybe(fc.constantFrom('ReplaceFullPath', 'ReplacePrefixMatch', 'replacePrefix')), replaceFullPath: maybe(fc.constantFrom('/', '/x')), replacePrefixMatch: maybe(fc.constantFrom('/', '/y')) },
  opt,
);
const headerList = fc.array(maybe(fc.record({ name: maybe(name), value: maybe(name) }, opt)), { maxLength: 2 });
const routeFilter = fc.record(
  {
    type: maybe(fc.constantFrom('RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'RequestMirror', 'ExtensionRef', 'CORS', 'ExternalAuth', 'Bogus')),
    requestHeaderModifier: maybe(fc.record({ set: maybe(headerList), add: maybe(headerList), remove: maybe(fc.array(name, { maxLength: 2 })) }, opt)),
    responseHeaderModifier: maybe(fc.record({ remove: maybe(fc.array(name, { maxLength: 2 })) }, opt)),
    requestRedirect: maybe(fc.record({ scheme: maybe(fc.constantFrom('http', 'https', 'HTTPS')), hostname: maybe(name), port: maybe(portNumber), statusCode: maybe(fc.constantFrom(301, 302, 304, 308)), path: maybe(pathModifier) }, opt)),
    urlRewrite: maybe(fc.record({ hostname: maybe(name), path: maybe(pathModifier) }, opt)),
    requestMirror: maybe(fc.record({ backendRef: maybe(gatewayBackendRef), percent: maybe(fc.integer({ min: -1, max: 101 })), fraction: maybe(fc.record({ numerator: maybe(fc.integer({ min: -1, max: 5 })), denominator: maybe(fc.integer({ min: 0, max: 5 })) }, opt)) }, opt)),
    extensionRef: maybe(fc.record({ group: maybe(name), kind: maybe(name), name: maybe(name) }, opt)),
    cors: anyJson,
  },
  opt,
);
const valueMatch = fc.record({ type: maybe(fc.constantFrom('Exact', 'RegularExpression', 'exact')), name: maybe(name), value: maybe(name) }, opt);
const routeMatch = fc.record(
  {
    path: maybe(fc.record({ type: maybe(fc.constantFrom('Exact', 'PathPrefix', 'RegularExpression', 'Prefix')), value: maybe(fc.constantFrom('/', '/api', 'api')) }, opt)),
    headers: maybe(fc.array(maybe(valueMatch), { maxLength: 2 })),
    queryParams: maybe(fc.array(maybe(valueMatch), { maxLength: 2 })),
    method: maybe(fc.oneof(fc.constantFrom('GET', 'get', 'POST'), fc.record({ type: maybe(fc.constantFrom('Exact', 'exact')), service: maybe(name), method: maybe(name) }, opt))),
  },
  opt,
);
const routeRule = fc.record(
  {
    name: maybe(name),
    matches: maybe(fc.array(maybe(routeMatch), { maxLength: 3 })),
    filters: maybe(fc.array(maybe(routeFilter), { maxLength: 3 })),
    backendRefs: maybe(fc.array(maybe(fc.record({ name: maybe(name), port: maybe(portNumber), weight: maybe(fc.integer({ min: -1, max: 10 })), filters: maybe(fc.array(maybe(routeFilter), { maxLength: 1 })) }, opt)), { maxLength: 3 })),
    timeouts: maybe(fc.record({ request: maybe(fc.constantFrom('10s', '1m')), backendRequest: maybe(name) }, opt)),
  },
  opt,
);
const routeSpec = fc.record(
  {
    parentRefs: maybe(fc.array(maybe(fc.record({ name: maybe(name), namespace: maybe(name), sectionName: maybe(name), port: maybe(portNumber), group: maybe(name), kind: maybe(name) }, opt)), { maxLength: 2 })),
    hostnames: maybe(fc.array(maybe(name), { maxLength: 2 })),
    rules: maybe(fc.array(maybe(routeRule), { maxLength: 3 })),
  },
  opt,
);
const listener = fc.record(
  {
    name: maybe(name),
    hostname: maybe(name),
    port: maybe(portNumber),
    protocol: maybe(fc.constantFrom('HTTP', 'HTTPS', 'TLS', 'http')),
    tls: maybe(fc.record({ mode: maybe(fc.constantFrom('Terminate', 'Passthrough', 'terminate')), certificateRefs: maybe(fc.array(maybe(fc.record({ name: maybe(name), namespace: maybe(name) }, opt)), { maxLength: 2 })) }, opt)),
    allowedRoutes: maybe(
      fc.record(
        {
          namespaces: maybe(fc.record({ from: maybe(fc.constantFrom('All', 'Same', 'Selector', 'all')), selector: maybe(fc.record({ matchLabels: maybe(stringMap), matchExpressions: maybe(fc.array(maybe(fc.record({ key: maybe(name), operator: maybe(fc.constantFrom('In', 'Exists', 'in')), values: maybe(fc.array(name, { maxLength: 2 })) }, opt)), { maxLength: 2 })) }, opt)) }, opt)),
          kinds: maybe(fc.array(maybe(fc.record({ group: maybe(name), kind: maybe(name) }, opt)), { maxLength: 2 })),
        },
        opt,
      ),
    ),
  },
  opt,
);
const gatewayVersion = maybe(fc.constantFrom('gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1', 'gateway.networking.k8s.io/v1alpha2'));
const gatewayObject = fc.oneof(
  fc.record({ apiVersion: gatewayVersion, kind: fc.constantFrom('HTTPRoute', 'GRPCRoute'), metadata: maybe(metadata), spec: maybe(routeSpec) }, opt),
  fc.record({ apiVersion: gatewayVersion, kind: fc.constant('Gateway'), metadata: maybe(metadata), spec: maybe(fc.record({ gatewayClassName: maybe(name), listeners: maybe(fc.array(maybe(listener), { maxLength: 3 })) }, opt)) }, opt),
  fc.record({ apiVersion: gatewayVersion, kind: fc.constant('GatewayClass'), metadata: maybe(metadata), spec: maybe(fc.record({ controllerName: maybe(name) }, opt)) }, opt),
  fc.record(
    {
      apiVersion: gatewayVersion,
      kind: fc.constant('ReferenceGrant'),
      metadata: maybe(metadata),
      spec: maybe(fc.record({ from: maybe(fc.array(maybe(fc.record({ group: maybe(name), kind: maybe(name), namespace: maybe(name) }, opt)), { maxLength: 2 })), to: maybe(fc.array(maybe(fc.record({ group: maybe(name), kind: maybe(name), name: maybe(name) }, opt)), { maxLength: 2 })) }, opt)),
    },
    opt,
  ),
  fc.record({ apiVersion: fc.constant('v1'), kind: fc.constant('Namespace'), metadata: maybe(metadata), spec: anyJson }, opt),
);
const knownObject = fc.oneof(
  fc.record(
    {
      apiVersion: maybe(fc.constantFrom('networking.k8s.io/v1', 'networking.k8s.io/v1beta1', 'extensions/v1beta1', 'v1')),
      kind: maybe(fc.constantFrom('Ingress', 'ingress', 'IngressClass')),
      metadata: maybe(metadata),
      spec: maybe(ingressSpec),
    },
    opt,
  ),
  fc.record({ apiVersion: maybe(fc.constant('v1')), kind: maybe(fc.constant('Service')), metadata: maybe(metadata), spec: maybe(serviceSpec) }, opt),
  fc.record({ apiVersion: fc.constant('apps/v1'), kind: fc.constant('Deployment'), metadata: maybe(metadata), spec: anyJson }, opt),
  gatewayObject,
);
const generatedFile: fc.Arbitrary<string> = fc
  .record({
    objects: fc.array(knownObject, { minLength: 1, maxLength: 4 }),
    asList: fc.boolean(),
    style: fc.constantFrom('any' as const, 'block' as const, 'flow' as const),
  })
  .map(({ objects, asList, style }) =>
    asList ? stringify({ apiVersion: 'v1', kind: 'List', items: objects }, { collectionStyle: style }) : objects.map((o) => stringify(o, { collectionStyle: style })).join('---\n'),
  );

// -- hostile documents ----------------------------------------------------------------------------

const aliasBomb = fc.record({ levels: fc.integer({ min: 1, max: 14 }), width: fc.integer({ min: 2, max: 12 }), kind: fc.constantFrom('ConfigMap', 'Ingress', 'Service') }).map(({ levels, width, kind }) => {
  const lines = [`apiVersion: ${kind === 'Ingress' ? 'networking.k8s.io/v1' : 'v1'}`, `kind: ${kind}`, 'metadata:', '  name: lol', '  annotations: &l0 {a: lol}', 'data:'];
  for (let level = 1; level <= levels; level++) {
    lines.push(`  l${level}: &l${level} [${Array.from({ length: width }, () => `*l${level - 1}`).join(', ')}]`);
  }
  lines.push(`spec: {rules: *l${levels}, ports: *l${levels}}`);
  return lines.join('\n');
});

const deepNesting = fc.record({ depth: fc.integer({ min: 1, max: 4000 }), open: fc.constantFrom('[', '{a: ', '- ', '{', '[{x: ') }).map(({ depth, open }) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ${open.repeat(depth)}\n`);

const tabsAndDuplicates = fc.constantFrom(...seeds).chain((seed) =>
  fc.array(fc.record({ line: fc.nat(), tab: fc.boolean() }), { minLength: 1, maxLength: 4 }).map((edits) => {
    const lines = seed.split('\n');
    for (const edit of edits) {
      const i = edit.line % lines.length;
      const line = lines[i] ?? '';
      if (edit.tab) lines[i] = line.replace(/^ {2}/, '\t');
      else lines.splice(i, 0, line);
    }
    return lines.join('\n');
  }),
);

// -- the property ---------------------------------------------------------------------------------

function checkPosition(at: SourcePosition, files: ReadonlyMap<string, string>): void {
  const text = files.get(at.file);
  expect(text).toBeDefined();
  expect(Number.isInteger(at.line) && at.line >= 1).toBe(true);
  expect(Number.isInteger(at.col) && at.col >= 1).toBe(true);
  // Lines as the YAML reader counts them: \n only.
  expect(at.line).toBeLessThanOrEqual((text ?? '').split('\n').length + 1);
}

function checkResult(result: ParseResult, files: readonly SourceFile[]): void {
  const texts = new Map(files.map((f) => [f.file, f.text]));
  for (const d of result.diagnostics) {
    expect(Object.hasOwn(diagnosticCodes, d.code), d.code).toBe(true);
    expect(d.code, `${d.code}: ${d.message}`).not.toBe('E_INTERNAL');
    expect(d.severity).toBe(d.code.startsWith('E_') ? 'error' : d.code.startsWith('W_') ? 'warning' : 'info');
    expect(typeof d.message === 'string' && d.message.length > 0).toBe(true);
    expect(typeof d.hint === 'string' && d.hint.length > 0).toBe(true);
    checkPosition(d, texts);
  }
  for (const ingress of result.resources.ingresses) {
    checkPosition(ingress.metadata.at, texts);
    for (const rule of ingress.rules) {
      for (const p of rule.paths) {
        expect(['Exact', 'Prefix', 'ImplementationSpecific']).toContain(p.pathType.value);
        expect(typeof p.path.value).toBe('string');
        checkPosition(p.at, texts);
      }
    }
  }
  for (const service of result.resources.services) {
    for (const port of service.ports) expect(port.port >= 1 && port.port <= 65535).toBe(true);
  }
  const inRange = (n: { readonly value: number } | null, min: number, max: number) => n === null || (Number.isInteger(n.value) && n.value >= min && n.value <= max);
  for (const gateway of result.resources.gateways) {
    for (const entry of gateway.listeners) {
      expect(inRange(entry.port, 1, 65535)).toBe(true);
      checkPosition(entry.port.at, texts);
    }
  }
  for (const route of [...result.resources.httpRoutes, ...result.resources.grpcRoutes]) {
    for (const parent of route.parentRefs) expect(inRange(parent.port, 1, 65535)).toBe(true);
    for (const rule of route.rules) {
      checkPosition(rule.at, texts);
      for (const ref of rule.backendRefs) {
        expect(inRange(ref.port, 1, 65535) && inRange(ref.weight, 0, 1_000_000)).toBe(true);
        expect(typeof ref.name.value).toBe('string');
      }
      for (const filter of rule.filters) {
        expect(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'RequestMirror', 'CORS', 'ExtensionRef', 'Unknown']).toContain(filter.type);
        if (filter.type === 'RequestMirror') expect(filter.percent === null || (filter.percent >= 0 && filter.percent <= 100)).toBe(true);
        if (filter.type === 'RequestRedirect') expect([null, 301, 302, 303, 307, 308]).toContain(filter.statusCode?.value ?? null);
      }
    }
  }
}

function run(texts: readonly string[]): void {
  const files = texts.map((text, i) => ({ file: `dir/file-${i}.yaml`, text }));
  checkResult(parseManifests(files), files);
}

describe('parseManifests never throws and always explains', () => {
  test('seeds parse cleanly', () => {
    const result = parseManifests(seeds.map((text, i) => ({ file: `seed-${i}.yaml`, text })));
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  test('text mutations: truncation, insertion of YAML syntax and random text, line edits', () => {
    const mutated = fc.record({ seed: fc.constantFrom(...seeds), mutations: fc.array(textMutation, { minLength: 1, maxLength: 5 }) }).map(({ seed, mutations }) => mutations.reduce(applyTextMutation, seed));
    fc.assert(fc.property(fc.array(mutated, { minLength: 1, maxLength: 2 }), run), { numRuns: 500 });
  });

  test('structural mutations: deleted keys, swapped types, nulls, in block and flow style', () => {
    fc.assert(fc.property(structurallyMutated, (text) => run([text])), { numRuns: 400 });
  });

  test('generated objects of every known kind with any value in any field', () => {
    fc.assert(fc.property(generatedFile, (text) => run([text])), { numRuns: 400 });
  });

  test('random unicode and binary text', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })), (text) => run([text])), { numRuns: 200 });
  });

  test('tabs and duplicated keys', () => {
    fc.assert(fc.property(tabsAndDuplicates, (text) => run([text])), { numRuns: 150 });
  });

  test('alias bombs are refused quickly', () => {
    fc.assert(
      fc.property(aliasBomb, (text) => {
        const started = performance.now();
        run([text]);
        expect(performance.now() - started).toBeLessThan(1000);
      }),
      { numRuns: 60 },
    );
  });

  test('deep nesting', () => {
    fc.assert(fc.property(deepNesting, (text) => run([text])), { numRuns: 25 });
  });
});
