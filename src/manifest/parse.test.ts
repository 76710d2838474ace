import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { parseManifests } from './parse.js';
import { emptyResourceSet, type BackendRef, type Ingress, type SourceFile } from './types.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/manifest');

function fixture(name: string): SourceFile {
  return { file: name, text: readFileSync(path.join(fixtures, name), 'utf8') };
}

function parseText(text: string, file = 'test.yaml') {
  return parseManifests([{ file, text }]);
}

function codes(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.code} ${d.line}:${d.col}`);
}

function serviceOf(backend: BackendRef | null | undefined): { name: string; port: unknown } | null {
  if (backend?.type !== 'service') return null;
  return { name: backend.name.value, port: backend.port.value };
}

function onlyIngress(text: string): Ingress {
  const { resources, diagnostics } = parseText(text);
  expect(resources.ingresses, codes(diagnostics).join('\n')).toHaveLength(1);
  const [ingress] = resources.ingresses;
  if (ingress === undefined) throw new Error('no ingress');
  return ingress;
}

describe('Ingress networking.k8s.io/v1', () => {
  const { resources, diagnostics } = parseManifests([fixture('valid/ingress-v1-complete.yaml')]);
  const ingress = resources.ingresses[0];

  test('reads every field, with positions', () => {
    expect(diagnostics).toEqual([]);
    expect(ingress?.metadata).toMatchObject({ name: 'web', namespace: 'shop', order: 0, creationTimestamp: Date.UTC(2024, 4, 1, 12) });
    expect(ingress?.metadata.at).toMatchObject({ file: 'valid/ingress-v1-complete.yaml', line: 4, col: 1 });
    expect(ingress?.metadata.nameAt).toMatchObject({ line: 6, col: 9 });
    expect(ingress?.metadata.labels.get('app')).toBe('web');
    expect(ingress?.metadata.annotations.get('nginx.ingress.kubernetes.io/rewrite-target')).toMatchObject({ value: '/', at: { line: 11, col: 49 } });
    expect(ingress?.ingressClassName).toMatchObject({ value: 'nginx', at: { line: 15, col: 21 } });
    expect(ingress?.classAnnotation?.value).toBe('nginx');
    expect(serviceOf(ingress?.defaultBackend)).toEqual({ name: 'fallback', port: { number: 80 } });
    expect(ingress?.tls).toHaveLength(1);
    expect(ingress?.tls[0]?.hosts.map((h) => h.value)).toEqual(['shop.example.com', '*.shop.example.com']);
    expect(ingress?.tls[0]?.secretName?.value).toBe('shop-tls');
  });

  test('rules keep host, paths and backends as written', () => {
    const rules = ingress?.rules ?? [];
    expect(rules.map((r) => r.host?.value ?? null)).toEqual(['shop.example.com', '*.shop.example.com', 'admin.example.com', null]);
    const [api, health] = rules[0]?.paths ?? [];
    expect(api).toMatchObject({ path: { value: '/api', at: { line: 30, col: 19 } }, pathType: { value: 'Prefix' }, pathTypeDefaulted: false });
    expect(serviceOf(api?.backend)).toEqual({ name: 'api', port: { name: 'http' } });
    expect(health?.pathType.value).toBe('Exact');
    expect(serviceOf(health?.backend)).toEqual({ name: 'api', port: { number: 8080 } });
    expect(rules[1]?.paths[0]?.backend).toMatchObject({ type: 'resource', apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static-assets' });
    expect(rules[2]?.paths).toEqual([]);
  });
});

describe('legacy Ingress APIs', () => {
  test('extensions/v1beta1 is converted to the v1 shape', () => {
    const { resources, diagnostics } = parseManifests([fixture('valid/legacy-extensions-v1beta1.yaml')]);
    const ingress = resources.ingresses[0];
    expect(ingress?.apiVersion).toBe('extensions/v1beta1');
    expect(serviceOf(ingress?.defaultBackend)).toEqual({ name: 'fallback', port: { number: 80 } });
    const path0 = ingress?.rules[0]?.paths[0];
    expect(serviceOf(path0?.backend)).toEqual({ name: 'httpbin', port: { name: 'http' } });
    // pathType is optional in v1beta1: defaulted without a per-path warning.
    expect(path0).toMatchObject({ pathType: { value: 'ImplementationSpecific' }, pathTypeDefaulted: true });
    expect(diagnostics.map((d) => d.code)).toEqual(['W_DEPRECATED_API']);
    expect(diagnostics[0]?.hint).toContain('networking.k8s.io/v1 is the only version served since Kubernetes 1.22; convert with:');
  });

  test('a quoted servicePort number is read as the number', () => {
    const ingress = onlyIngress(`apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: old}
spec: {backend: {serviceName: web, servicePort: "8080"}}
`);
    expect(serviceOf(ingress.defaultBackend)).toEqual({ name: 'web', port: { number: 8080 } });
  });
});

describe('common mistakes accepted with a warning', () => {
  test('port shorthand becomes {number} or {name}', () => {
    const { resources } = parseManifests([fixture('valid/port-shorthand.yaml')]);
    const ports = resources.ingresses[0]?.rules[0]?.paths.map((p) => serviceOf(p.backend)?.port);
    expect(ports).toEqual([{ number: 80 }, { number: 80 }, { name: 'http' }]);
  });

  test('a missing pathType is ImplementationSpecific, and a missing path is "/"', () => {
    const { resources } = parseManifests([fixture('valid/pathtype-missing.yaml')]);
    const paths = resources.ingresses[0]?.rules[0]?.paths ?? [];
    expect(paths.map((p) => [p.path.value, p.pathType.value, p.pathTypeDefaulted])).toEqual([
      ['/api', 'ImplementationSpecific', true],
      ['/', 'ImplementationSpecific', true],
      ['/', 'ImplementationSpecific', false],
    ]);
  });

  test('a misspelt field names the field that was meant', () => {
    const { diagnostics } = parseManifests([fixture('valid/unknown-field-typos.yaml')]);
    const hints = diagnostics.filter((d) => d.code === 'W_UNKNOWN_FIELD').map((d) => d.hint);
    expect(hints[0]).toMatch(/^Did you mean ingressClassName\?/);
    expect(hints[1]).toMatch(/^Did you mean pathType\?/);
    expect(hints[2]).toMatch(/^Did you mean selector\?/);
  });

  // issue 10, item 6: `path` and `name` are prefixes of these typos, but not what was meant.
  test('a misspelt field names the closest field, not one that is a prefix of it', () => {
    const { diagnostics } = parseText(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespce: shop}
spec:
  rules:
    - http:
        paths:
          - path: /
            pathTyp: Prefix
            backend: {service: {name: web, port: {number: 80}}}
`);
    const hints = diagnostics.filter((d) => d.code === 'W_UNKNOWN_FIELD').map((d) => d.hint);
    expect(hints).toEqual([expect.stringMatching(/^Did you mean namespace\?/), expect.stringMatching(/^Did you mean pathType\?/)]);
  });

  // issue 10, item 5: kind: Deploymnt was kept quietly, and `up --run` ran nothing.
  test('a misspelt kind in any API group the tool reads names the kind that was meant', () => {
    const { diagnostics } = parseManifests([fixture('invalid/unknown-kind-every-group.yaml')]);
    expect(diagnostics.map((d) => d.hint)).toEqual([
      'Did you mean kind: Deployment? Kinds are case-sensitive',
      'Did you mean kind: StatefulSet? Kinds are case-sensitive',
      'Did you mean kind: NetworkPolicy? Kinds are case-sensitive',
      'Did you mean kind: Secret? Kinds are case-sensitive',
      'Did you mean kind: HTTPRoute? Kinds are case-sensitive',
      'Write apiVersion: apps/v1',
      expect.stringMatching(/^Kinds of apps: Deployment, StatefulSet, DaemonSet/),
    ]);
  });

  test('spec.backend in v1 points to defaultBackend', () => {
    const { diagnostics } = parseText(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  backend: {service: {name: web, port: {number: 80}}}
`);
    expect(codes(diagnostics)).toEqual(['E_MISSING_FIELD 5:3', 'W_UNKNOWN_FIELD 5:3']);
    expect(diagnostics[1]?.hint).toContain('defaultBackend');
  });
});

describe('Service and IngressClass', () => {
  test('defaults: ClusterIP, TCP, targetPort = port', () => {
    const { resources } = parseText(`apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web, tier: front}
  ports: [{port: 80}]
`);
    const service = resources.services[0];
    expect(service).toMatchObject({ type: 'ClusterIP', externalName: null });
    expect(service?.metadata.namespace).toBe('shop');
    expect([...(service?.selector ?? [])]).toEqual([['app', 'web'], ['tier', 'front']]);
    expect(service?.ports).toEqual([{ name: null, port: 80, targetPort: 80, protocol: 'TCP', nodePort: null, at: { file: 'test.yaml', line: 6, col: 11, endLine: 6, endCol: 21 } }]);
  });

  test('every type, named target ports, ExternalName', () => {
    const { resources } = parseManifests([fixture('valid/service-types.yaml')]);
    const byName = new Map(resources.services.map((s) => [s.metadata.name, s]));
    expect(byName.get('api')?.ports.map((p) => [p.name, p.port, p.targetPort])).toEqual([['http', 80, 'http'], ['https', 443, 8443]]);
    expect(byName.get('node')?.ports[0]?.nodePort).toBe(30080);
    expect(byName.get('lb')?.ports[0]?.protocol).toBe('UDP');
    expect(byName.get('external')).toMatchObject({ type: 'ExternalName', externalName: 'api.example.com', ports: [] });
  });

  test('an unnamed port among several is reported but kept', () => {
    const { resources } = parseManifests([fixture('invalid/service-ports-unnamed.yaml')]);
    expect(resources.services[0]?.ports.map((p) => p.port)).toEqual([80, 443]);
  });

  test('IngressClass: controller and the default-class annotation', () => {
    const { resources } = parseManifests([fixture('valid/ingress-class.yaml')]);
    expect(resources.ingressClasses.map((c) => [c.metadata.name, c.controller, c.isDefault])).toEqual([
      ['nginx', 'k8s.io/ingress-nginx', true],
      ['traefik', 'traefik.io/ingress-controller', false],
    ]);
  });
});

describe('documents, files and order', () => {
  test('List items are read with their own positions', () => {
    const { resources } = parseManifests([fixture('valid/list-kind.yaml')]);
    expect(resources.services[0]?.metadata.at).toMatchObject({ line: 7, col: 5 });
    expect(resources.ingresses[0]?.metadata.at).toMatchObject({ line: 11, col: 5 });
    expect(resources.others[0]).toMatchObject({ resourceKind: 'Deployment', raw: { kind: 'Deployment', spec: { replicas: 1 } } });
  });

  test('order counts resources across files, in the order given', () => {
    const { resources } = parseManifests([fixture('valid/list-kind.yaml'), fixture('valid/empty-documents.yaml')]);
    const order = [...resources.services, ...resources.ingresses, ...resources.others]
      .map((r) => [r.metadata.at.file, r.metadata.order] as const)
      .toSorted((a, b) => a[1] - b[1]);
    expect(order).toEqual([
      ['valid/list-kind.yaml', 0],
      ['valid/list-kind.yaml', 1],
      ['valid/list-kind.yaml', 2],
      ['valid/empty-documents.yaml', 3],
      ['valid/empty-documents.yaml', 4],
    ]);
  });

  test('kinds ingress-dev does not read keep their plain value', () => {
    const { resources, diagnostics } = parseText(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {replicas: 2}
---
apiVersion: v1
kind: Secret
metadata: {name: shop-tls}
type: kubernetes.io/tls
data: {tls.crt: "", tls.key: ""}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: web}
spec: {parentRefs: [{name: gw}]}
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [web.yaml]
`);
    expect(diagnostics).toEqual([]);
    expect(resources.others.map((o) => `${o.apiVersion} ${o.resourceKind} ${o.metadata.name}`)).toEqual([
      'apps/v1 Deployment web',
      'v1 Secret shop-tls',
      'gateway.networking.k8s.io/v1alpha2 TLSRoute web',
      'kustomize.config.k8s.io/v1beta1 Kustomization ',
    ]);
    expect(resources.others[1]?.raw).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } });
  });

  // Istio's networking.istio.io Gateway and Knative's serving.knative.dev Service share a kind
  // name with a kind ingress-dev reads; they are someone else's and kept quietly.
  test('a kind of the same name in another API group is kept unread', () => {
    const { resources, diagnostics } = parseText(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: mesh}
spec: {selector: {istio: ingressgateway}}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello}
spec: {template: {}}
`);
    expect(diagnostics).toEqual([]);
    expect(resources.gateways).toEqual([]);
    expect(resources.services).toEqual([]);
    expect(resources.others.map((o) => o.resourceKind)).toEqual(['Gateway', 'Service']);
  });

  test('anchors, aliases and merge keys', () => {
    const { resources } = parseManifests([fixture('valid/anchors-and-merge-keys.yaml')]);
    const rules = resources.ingresses[0]?.rules ?? [];
    expect(rules.map((r) => r.paths.map((p) => `${p.pathType.value} ${p.path.value} ${serviceOf(p.backend)?.name}`))).toEqual([
      ['Prefix / web'],
      ['Prefix / web'],
      ['Exact /c web'],
    ]);
  });

  test('a duplicate in another file names the first one', () => {
    const service = 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n';
    const { resources, diagnostics } = parseManifests([
      { file: 'a/one.yaml', text: service },
      { file: 'b/two.yaml', text: `# the same again\n${service}` },
    ]);
    expect(resources.services).toHaveLength(1);
    expect(resources.services[0]?.metadata.at.file).toBe('a/one.yaml');
    expect(diagnostics).toMatchObject([{ code: 'E_DUPLICATE_RESOURCE', file: 'b/two.yaml', line: 4, col: 18 }]);
    expect(diagnostics[0]?.message).toContain('a/one.yaml:3:18');
  });

  test('a broken file does not affect the next one', () => {
    const { resources, diagnostics } = parseManifests([
      { file: 'bad.yaml', text: 'apiVersion: v1\nkind: Service\nmetadata: {name: [}\n' },
      { file: 'good.yaml', text: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n' },
    ]);
    expect(resources.services.map((s) => s.metadata.name)).toEqual(['web']);
    expect(diagnostics.map((d) => [d.file, d.code])).toEqual([['bad.yaml', 'E_YAML_SYNTAX']]);
  });

  test('CRLF line endings and a byte order mark keep positions right', () => {
    const text = '\uFEFFapiVersion: v1\r\nkind: Service\r\nmetadata:\r\n  name: Web\r\nspec: {ports: [{port: 80}]}\r\n';
    expect(codes(parseText(text).diagnostics)).toEqual(['E_INVALID_NAME 4:9']);
  });

  test('empty input and empty files are quiet', () => {
    expect(parseManifests([])).toEqual({ resources: emptyResourceSet, diagnostics: [] });
    expect(parseText('').diagnostics).toEqual([]);
    expect(parseText('# only a comment\n---\n').diagnostics).toEqual([]);
  });

  test('an invalid creationTimestamp is ignored', () => {
    const ingress = onlyIngress(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, creationTimestamp: yesterday}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
`);
    expect(ingress.metadata.creationTimestamp).toBeNull();
  });

  test('messages name the resource', () => {
    const { diagnostics } = parseManifests([fixture('invalid/pathtype-invalid.yaml')]);
    expect(diagnostics[0]?.message).toMatch(/^Ingress default\/web: spec\.rules\[0\]\.http\.paths\[0\]\.pathType "prefix"/);
    expect(diagnostics[0]?.hint).toMatch(/^Did you mean Prefix\? Valid values: Prefix/);
  });
});

describe('limits: nothing a user writes may hang or crash the parser', () => {
  test('runaway nesting is E_YAML_LIMIT', () => {
    const { diagnostics } = parseText(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ${'['.repeat(20_000)}\n`);
    expect(diagnostics.map((d) => d.code)).toEqual(['E_YAML_LIMIT']);
  });

  test('a billion laughs is refused without expanding it', () => {
    const started = performance.now();
    const { diagnostics } = parseManifests([fixture('invalid/alias-bomb.yaml')]);
    expect(diagnostics.map((d) => d.code)).toEqual(['E_YAML_LIMIT']);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test('an exception is reported as E_INTERNAL against the file, not thrown', () => {
    const exploding: SourceFile = {
      file: 'boom.yaml',
      get text(): string {
        throw new Error('boom');
      },
    };
    const { diagnostics } = parseManifests([exploding, { file: 'ok.yaml', text: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n' }]);
    expect(diagnostics).toMatchObject([{ code: 'E_INTERNAL', file: 'boom.yaml', line: 1, col: 1 }]);
  });
});
