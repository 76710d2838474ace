import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyForwardError, defaultTimeouts } from '../../src/proxy/forward.js';
import { compileTable, freePort, ingressYaml, send, startTestProxy, startUpstream, testResolver, waitFor, type TestProxy, type Upstream } from './harness.js';

// Failures become responses that say what happened and what to do, never crashes.
const yaml = `${ingressYaml('shop', [
  { host: 'shop.example.com', paths: [{ path: '/api', service: 'api' }, { path: '/web', pathType: 'Exact', service: 'web' }] },
  { host: 'admin.example.com', paths: [{ path: '/', service: 'admin' }] },
])}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: broken}
spec:
  rules:
    - host: broken.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
`;
const table = compileTable(yaml, 'shop.yaml');
const shop = 'shop.example.com';

describe('error responses', () => {
  let proxy: TestProxy;
  let upstream: Upstream | null = null;
  afterEach(async () => {
    await proxy.close();
    await upstream?.close();
    upstream = null;
  });

  async function withBackend(handler: http.RequestListener, timeouts = {}): Promise<void> {
    upstream = await startUpstream(handler);
    proxy = await startTestProxy({ table, resolver: testResolver({ api: upstream.port, web: upstream.port }), timeouts });
  }

  it('404 lists the hosts and paths that exist and the nearest candidate', async () => {
    proxy = await startTestProxy({ table, resolver: testResolver({}) });
    const reply = await send(proxy.port, { path: '/apix', headers: { host: shop } });
    expect(reply.status).toBe(404);
    expect(reply.headers['x-ingress-dev-error']).toBe('no-route');
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(reply.body).toContain('No Ingress rule matches shop.example.com/apix');
    expect(reply.body).toMatch(/nearest routes:\n {2}shop\.example\.com Prefix \/api {2}ingress:default\/shop#r0\.p0\n.*\/api ≠ \/apix/);
    expect(reply.body).toContain('admin.example.com Prefix / → admin:80  ingress:default/shop#r1.p0');
    expect(reply.body).toContain('shop.example.com Exact /web → web:80');
    await waitFor(() => proxy.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ status: 404, routeId: null, target: null, upstreamPath: null });
  });

  it('404 for an unknown host says which hosts to use', async () => {
    proxy = await startTestProxy({ table, resolver: testResolver({}) });
    const reply = await send(proxy.port, { path: '/', headers: { host: 'nope.example.com:9999' } });
    expect(reply.status).toBe(404);
    expect(reply.body).toContain('no rule serves host nope.example.com');
    expect(reply.body).toContain(`curl -H 'Host: admin.example.com' http://127.0.0.1:${proxy.port}/`);
    expect(reply.body).toContain(`http://admin.example.com.localhost:${proxy.port}/`);
  });

  it('502 when nothing listens at the target', async () => {
    const port = await freePort();
    proxy = await startTestProxy({ table, resolver: testResolver({ api: port }) });
    const reply = await send(proxy.port, { path: '/api', headers: { host: shop } });
    expect(reply.status).toBe(502);
    expect(reply.headers['x-ingress-dev-error']).toBe('refused');
    expect(reply.body).toContain(`route    ingress:default/shop#r0.p0 (shop.yaml:`);
    expect(reply.body).toContain(`target   http://127.0.0.1:${port} (--map api=${port})`);
    expect(reply.body).toContain(`error    connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(reply.body).toContain(`hint: Nothing listens at http://127.0.0.1:${port}`);
    await waitFor(() => proxy.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ status: 502, target: `http://127.0.0.1:${port}`, error: `connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  it('502 when the backend resets the connection', async () => {
    await withBackend((req) => req.socket.destroy());
    const reply = await send(proxy.port, { path: '/api', headers: { host: shop } });
    expect(reply.status).toBe(502);
    expect(reply.headers['x-ingress-dev-error']).toBe('reset');
  });

  it('cuts the client connection when the backend fails after the response started', async () => {
    await withBackend((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setImmediate(() => res.socket?.destroy());
    });
    const error = await send(proxy.port, { path: '/api', headers: { host: shop } }).then(
      () => null,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(/aborted|socket hang up|ECONNRESET/);
    await waitFor(() => proxy.events.length === 1);
    expect(proxy.events[0]?.status).toBe(200);
    expect(proxy.events[0]?.error).toContain('closed the connection before the response was complete');
  });

  it('503 for an unmapped Service shows the flag that maps it', async () => {
    proxy = await startTestProxy({ table, resolver: testResolver({}) });
    const reply = await send(proxy.port, { path: '/api/x', headers: { host: shop } });
    expect(reply.status).toBe(503);
    expect(reply.headers['x-ingress-dev-error']).toBe('no-endpoint');
    expect(reply.body).toContain('No endpoint for api:80');
    expect(reply.body).toContain('Service default/api port 80 is not mapped to anything');
    expect(reply.body).toContain('hint: --map api:80=PORT');
  });

  it('503 for a route whose Service does not exist', async () => {
    proxy = await startTestProxy({ table, resolver: testResolver({ missing: 1 }) });
    const reply = await send(proxy.port, { path: '/', headers: { host: 'broken.example.com' } });
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('route    ingress:default/broken#r0.p0 (shop.yaml:');
    expect(reply.body).toMatch(/error {4}.*missing/);
  });

  it('504 when the backend accepts but never answers (read timeout)', async () => {
    await withBackend(() => {}, { readTimeoutMs: 200 });
    const reply = await send(proxy.port, { path: '/api', headers: { host: shop } });
    expect(reply.status).toBe(504);
    expect(reply.headers['x-ingress-dev-error']).toBe('read-timeout');
    expect(reply.body).toContain('sent no response within 200 ms');
  });

  it('504 when the backend stops reading the request body (send timeout)', async () => {
    await withBackend(() => {}, { sendTimeoutMs: 200, readTimeoutMs: 10_000 });
    const body = 'x'.repeat(32 * 1024 * 1024);
    const reply = await send(proxy.port, { method: 'POST', path: '/api', headers: { host: shop, 'content-length': String(body.length) }, body });
    expect(reply.status).toBe(504);
    expect(reply.headers['x-ingress-dev-error']).toBe('send-timeout');
    expect(reply.headers.connection).toBe('close');
  }, 20_000);

  it('answers 500 when routing throws (a bug), and keeps serving', async () => {
    let calls = 0;
    const flaky = {
      resolve: () => {
        calls++;
        if (calls === 1) throw new Error('resolver bug');
        return { kind: 'target', target: { kind: 'echo' }, via: 'test' } as const;
      },
    };
    proxy = await startTestProxy({ table, resolver: flaky });
    const reply = await send(proxy.port, { path: '/api', headers: { host: shop } });
    expect(reply.status).toBe(500);
    expect(reply.headers['x-ingress-dev-error']).toBe('internal');
    expect(reply.body).toContain('error    resolver bug');
    expect((await send(proxy.port, { path: '/api', headers: { host: shop } })).status).toBe(200);
    await waitFor(() => proxy.events.length === 2);
    expect(proxy.events.map((e) => e.status)).toEqual([500, 200]);
  });

  it('never crashes on backend errors', async () => {
    const port = await freePort();
    await withBackend((req) => req.socket.destroy());
    const refused = await startTestProxy({ table, resolver: testResolver({ api: port }) });
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(i % 2 === 0 ? proxy.port : refused.port, { path: '/api', headers: { host: shop } })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 502));
    await refused.close();
  });
});

describe('classifying upstream errors', () => {
  const target = { kind: 'http', protocol: 'http:', host: '10.0.0.1', port: 80, origin: 'http://10.0.0.1:80' } as const;
  const code = (c: string, message = c) => Object.assign(new Error(message), { code: c });

  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', 'connect-timeout'],
    ['ETIMEDOUT', 'connect-timeout'],
    ['ECONNREFUSED', 'refused'],
    // A connection never made, to an address that went away (a removed container): retried like a refusal.
    ['EHOSTUNREACH', 'refused'],
    ['ENETUNREACH', 'refused'],
    ['ECONNRESET', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['UND_ERR_HEADERS_TIMEOUT', 'read-timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'read-timeout'],
    ['HPE_INVALID_CHUNK_SIZE', 'bad-response'],
    ['HPE_LF_EXPECTED', 'bad-response'],
    ['UND_ERR_HEADERS_OVERFLOW', 'bad-response'],
    ['ENOTFOUND', 'other'],
  ])('%s is %s', (errorCode, kind) => {
    expect(classifyForwardError(code(errorCode), target, defaultTimeouts).kind).toBe(kind);
  });

  it('says how long the connect timeout was', () => {
    expect(classifyForwardError(code('UND_ERR_CONNECT_TIMEOUT'), target, defaultTimeouts).message).toBe(
      'connecting to http://10.0.0.1:80 took longer than 5000 ms',
    );
  });

  it('looks through an error cause', () => {
    const wrapped = Object.assign(new Error('fetch failed'), { cause: code('ECONNREFUSED') });
    expect(classifyForwardError(wrapped, target, defaultTimeouts).kind).toBe('refused');
  });
});
