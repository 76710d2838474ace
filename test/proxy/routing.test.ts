import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoReply } from '../../src/backends/echo.js';
import type { BackendResolver } from '../../src/backends/types.js';
import { loadProject } from '../../src/manifest/load.js';
import { parseRouteTests, type RouteTest } from '../../src/manifest/route-tests.js';
import { compileRoutes } from '../../src/model/compile.js';
import { expectEchoAsTested, weightedServicesOf } from '../example-expectations.js';
import { compileTable, echoHandler, json, send, startTestProxy, startUpstream, testResolver, waitFor, type TestProxy, type Upstream } from './harness.js';

// Routing across hosts and paths through real sockets: each request must reach the backend
// the Ingress names, with the path it sent.
const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  defaultBackend:
    service: {name: fallback, port: {number: 80}}
  rules:
    - host: shop.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
          - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
          - {path: /api/health, pathType: Exact, backend: {service: {name: health, port: {number: 80}}}}
    - host: "*.apps.example.com"
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: tenant, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: health}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: tenant}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: fallback}
spec: {ports: [{port: 80}]}
`;

interface Received {
  readonly url: string;
  readonly headers: Record<string, string>;
}

describe('routing across hosts and paths', () => {
  const upstreams = new Map<string, Upstream>();
  let proxy: TestProxy;

  beforeAll(async () => {
    for (const name of ['web', 'api', 'health', 'tenant', 'fallback']) {
      upstreams.set(name, await startUpstream((req, res) => {
        res.setHeader('x-served-by', name);
        echoHandler(req, res);
      }));
    }
    const ports = Object.fromEntries([...upstreams].map(([name, upstream]) => [name, upstream.port]));
    proxy = await startTestProxy({ table: compileTable(yaml), resolver: testResolver(ports) });
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all([...upstreams.values()].map((u) => u.close()));
  });

  it.each([
    ['shop.example.com', '/', 'web', 'ingress:default/shop#r0.p0'],
    ['shop.example.com', '/cart?id=1', 'web', 'ingress:default/shop#r0.p0'],
    ['shop.example.com', '/api', 'api', 'ingress:default/shop#r0.p1'],
    ['shop.example.com', '/api/orders/7', 'api', 'ingress:default/shop#r0.p1'],
    ['shop.example.com', '/api/health', 'health', 'ingress:default/shop#r0.p2'],
    ['shop.example.com', '/api/health/', 'api', 'ingress:default/shop#r0.p1'],
    ['SHOP.Example.com:8080', '/api', 'api', 'ingress:default/shop#r0.p1'],
    ['acme.apps.example.com', '/x', 'tenant', 'ingress:default/shop#r1.p0'],
    ['a.b.apps.example.com', '/x', 'fallback', 'ingress:default/shop#default'],
    ['other.example.com', '/api', 'fallback', 'ingress:default/shop#default'],
  ])('Host %s, path %s → %s', async (host, target, service, routeId) => {
    const before = proxy.events.length;
    const reply = await send(proxy.port, { path: target, headers: { host } });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-served-by']).toBe(service);
    expect(json<Received>(reply).url).toBe(target);
    await waitFor(() => proxy.events.length > before);
    const event = proxy.events.at(-1);
    expect(event).toMatchObject({ status: 200, routeId, host, path: target, upstreamPath: target, method: 'GET' });
    expect(event?.target).toBe(`http://127.0.0.1:${upstreams.get(service)?.port}`);
  });

  it('emits exactly one request-completed event per request', async () => {
    const before = proxy.events.length;
    for (let i = 0; i < 5; i++) await send(proxy.port, { path: `/n${i}`, headers: { host: 'shop.example.com' } });
    await waitFor(() => proxy.events.length >= before + 5);
    const ours = proxy.events.slice(before);
    expect(ours.map((e) => e.path)).toEqual(['/n0', '/n1', '/n2', '/n3', '/n4']);
    expect(new Set(ours.map((e) => e.id)).size).toBe(5);
  });

  it('keeps the table a request started with when the table is swapped', async () => {
    const slow = await startUpstream((req, res) => {
      req.resume();
      setTimeout(() => res.end('slow done'), 200);
    });
    let table = compileTable(yaml);
    const swapping = await startTestProxy({ table: () => table, resolver: testResolver({ web: slow.port, api: slow.port }) });
    try {
      const inFlight = send(swapping.port, { path: '/', headers: { host: 'shop.example.com' } });
      await waitFor(() => slow.connections > 0);
      table = compileTable('apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n');
      expect((await inFlight).body).toBe('slow done');
      expect((await send(swapping.port, { path: '/', headers: { host: 'shop.example.com' } })).status).toBe(404);
    } finally {
      await swapping.close();
      await slow.close();
    }
  });
});

// Every example in examples/ routes through the real proxy as its route tests say, with the
// built-in echo standing in for every Service.
const repoRoot = path.join(import.meta.dirname, '..', '..');
const examples = readdirSync(path.join(repoRoot, 'examples'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .toSorted();

const echoEverything: BackendResolver = { resolve: () => ({ kind: 'target', target: { kind: 'echo' }, via: 'test' }) };

describe.each(examples)('examples/%s through the proxy', (name) => {
  const dir = path.join(repoRoot, 'examples', name);
  const { tests } = parseRouteTests(readFileSync(path.join(dir, 'ingress-dev.test.yaml'), 'utf8'), 'ingress-dev.test.yaml');
  let proxy: TestProxy;
  let weighted: Map<RouteTest, Set<string>>;

  beforeAll(async () => {
    const loaded = await loadProject(dir);
    // Each Ingress by its class, as `ingress-dev up` routes it.
    const table = compileRoutes(loaded.resources, { profile: 'auto' }).value;
    weighted = weightedServicesOf(table, tests);
    proxy = await startTestProxy({ table, resolver: echoEverything });
  });
  afterAll(() => proxy.close());

  // Requests over https:// need the HTTPS listener (issue 12), and a clientIp another address
  // than loopback's; `ingress-dev test` runs those offline.
  const plain = tests.filter((test) => !test.url.startsWith('https://') && test.clientIp === null);
  it.each(plain.map((test) => [test.name, test] as const))('%s', async (_name, test) => {
    const url = new URL(test.url, 'http://localhost');
    // The target as written (new URL would resolve dot segments, which is the proxy's business).
    const target = test.url.startsWith('/') ? test.url : test.url.replace(/^[a-z]+:\/\/[^/?]*/i, '') || '/';
    const host = test.headers.Host ?? test.headers.host ?? (test.url.startsWith('/') ? undefined : url.host);
    const others = Object.fromEntries(Object.entries(test.headers).filter(([header]) => header.toLowerCase() !== 'host'));
    const reply = await send(proxy.port, { method: test.method, path: target, headers: { ...others, ...(host === undefined ? {} : { host }) } });
    const expected = test.expect;
    for (const [header, value] of Object.entries(expected.responseHeaders ?? {})) expect(reply.headers[header] ?? null, header).toBe(value);
    if (expected.status !== undefined) expect(reply.status).toBe(expected.status);
    if (expected.location !== undefined) expect(reply.headers.location ?? null).toBe(expected.location);
    if (reply.status !== 200) {
      expect(reply.headers['x-ingress-dev-error']).toBeDefined();
      return;
    }
    expectEchoAsTested(test, json<EchoReply>(reply), weighted.get(test) ?? new Set(), test.name);
  });
});
