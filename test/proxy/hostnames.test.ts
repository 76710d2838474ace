import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRequestTarget } from '../../src/proxy/route-request.js';
import { compileTable, echoHandler, json, send, startTestProxy, startUpstream, testResolver, waitFor, type TestProxy, type Upstream } from './harness.js';

// Ingress hosts without root and without /etc/hosts: the proxy as an HTTP forward proxy
// (absolute-form requests) and the `.localhost` alias.
const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: hosts}
spec:
  rules:
    - host: app.example.com
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}]}
    - host: "*.apps.example.com"
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: tenant, port: {number: 80}}}}]}
    - host: dev.localhost
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: named, port: {number: 80}}}}]}
    - http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: catchall, port: {number: 80}}}}]}
---
{apiVersion: v1, kind: Service, metadata: {name: app}, spec: {ports: [{port: 80}]}}
---
{apiVersion: v1, kind: Service, metadata: {name: tenant}, spec: {ports: [{port: 80}]}}
---
{apiVersion: v1, kind: Service, metadata: {name: named}, spec: {ports: [{port: 80}]}}
---
{apiVersion: v1, kind: Service, metadata: {name: catchall}, spec: {ports: [{port: 80}]}}
`;

interface Received {
  readonly url: string;
  readonly headers: Record<string, string>;
}

describe('hostnames on a laptop', () => {
  const upstreams = new Map<string, Upstream>();
  let proxy: TestProxy;
  const served = async (path: string, headers: Record<string, string>) => {
    const reply = await send(proxy.port, { path, headers });
    return { status: reply.status, by: reply.headers['x-served-by'], received: json<Received>(reply) };
  };

  beforeAll(async () => {
    for (const name of ['app', 'tenant', 'named', 'catchall']) {
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

  it('routes an absolute-form request (curl -x) by the URL host, path and query byte for byte', async () => {
    const { by, received } = await served('http://app.example.com/get?x=%20&y', { host: 'ignored.example.org' });
    expect(by).toBe('app');
    expect(received.url).toBe('/get?x=%20&y');
    expect(received.headers.host).toBe('app.example.com');
    expect(received.headers['x-forwarded-host']).toBe('app.example.com');
  });

  it.each([
    ['http://app.example.com', '/', 'app.example.com'],
    ['http://app.example.com?q=1', '/?q=1', 'app.example.com'],
    ['http://app.example.com:8080/a', '/a', 'app.example.com:8080'],
    ['HTTP://user:pw@app.example.com/a', '/a', 'app.example.com'],
  ])('absolute form %s → path %s, Host %s', async (target, path, host) => {
    const { by, received } = await served(target, {});
    expect(by).toBe('app');
    expect(received.url).toBe(path);
    expect(received.headers.host).toBe(host);
  });

  it('routes HOST.localhost as HOST, and the backend sees HOST', async () => {
    const before = proxy.events.length;
    const { by, received } = await served('/x', { host: `app.example.com.localhost:${proxy.port}` });
    expect(by).toBe('app');
    expect(received.headers.host).toBe('app.example.com');
    expect(received.headers['x-forwarded-host']).toBe('app.example.com');
    expect(received.headers['x-forwarded-port']).toBe(String(proxy.port));
    await waitFor(() => proxy.events.length > before);
    expect(proxy.events.at(-1)).toMatchObject({ host: `app.example.com.localhost:${proxy.port}`, routeId: 'ingress:default/hosts#r0.p0' });
  });

  it('routes a wildcard host through the alias too', async () => {
    expect((await served('/', { host: 'acme.apps.example.com.localhost' })).by).toBe('tenant');
  });

  it('keeps a .localhost host that a rule names itself', async () => {
    const { by, received } = await served('/', { host: 'dev.localhost:8080' });
    expect(by).toBe('named');
    expect(received.headers.host).toBe('dev.localhost:8080');
  });

  it('leaves a .localhost host that names no rule, even stripped, to the host-less rules', async () => {
    const { by, received } = await served('/', { host: 'unknown.example.com.localhost' });
    expect(by).toBe('catchall');
    expect(received.headers.host).toBe('unknown.example.com.localhost');
  });

  it('answers CONNECT (https through the proxy) with 501 and what to do instead', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.write('CONNECT app.example.com:443 HTTP/1.1\r\nHost: app.example.com:443\r\n\r\n');
    let text = '';
    for await (const chunk of socket) text += (chunk as Buffer).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(text).toContain('CONNECT is not supported');
    expect(text).toContain(`curl -x http://127.0.0.1:${proxy.port} http://app.example.com/`);
  });
});

describe('parseRequestTarget', () => {
  it.each([
    ['/a?b', 'h', { host: 'h', path: '/a?b' }],
    ['http://x.example/a%2F?q', 'h', { host: 'x.example', path: '/a%2F?q' }],
    ['https://x.example:8443', undefined, { host: 'x.example:8443', path: '/' }],
    ['*', 'h', { host: 'h', path: '*' }],
  ])('%s', (url, host, expected) => {
    expect(parseRequestTarget(url, host)).toEqual(expected);
  });
});
