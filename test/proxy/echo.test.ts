import { Readable } from 'node:stream';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoReply } from '../../src/backends/echo.js';
import { compileTable, json, send, startTestProxy, testResolver, waitFor, type TestProxy } from './harness.js';

// The built-in echo stands in for a Service that does not run yet, and shows what it would receive.
const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: stub, namespace: team}
spec:
  rules:
    - host: stub.example.com
      http:
        paths:
          - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: team}
spec: {ports: [{name: http, port: 8080}]}
`;

describe('echo target', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await startTestProxy({ table: compileTable(yaml), resolver: testResolver({ api: 'echo' }) });
  });
  afterAll(() => proxy.close());

  it('describes the request the backend would receive and what it stands in for', async () => {
    const body = 'hello echo';
    const reply = await send(proxy.port, {
      method: 'POST',
      path: '/api/items%2F1?q=a%20b&flag',
      headers: { host: 'stub.example.com', 'content-type': 'text/plain', 'x-dup': ['1', '2'], 'content-length': String(body.length) },
      body,
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    const echo = json<EchoReply>(reply);
    expect(echo).toMatchObject({
      method: 'POST',
      path: '/api/items%2F1?q=a%20b&flag',
      host: 'stub.example.com',
      bodyBytes: body.length,
      standsInFor: { service: 'api', namespace: 'team', port: 8080, portName: 'http', route: 'ingress:team/stub#r0.p0' },
    });
    expect(echo.headers).toMatchObject({ 'content-type': 'text/plain', 'x-dup': ['1', '2'], 'x-forwarded-for': '127.0.0.1', host: 'stub.example.com' });
    expect(echo.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    await waitFor(() => proxy.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ status: 200, target: 'echo', bytesIn: body.length, routeId: 'ingress:team/stub#r0.p0' });
  });

  it('counts a large body without keeping it', { timeout: 30_000 }, async () => {
    const size = 50 * 1024 * 1024;
    const req = http.request({ port: proxy.port, host: '127.0.0.1', method: 'PUT', path: '/api/upload', headers: { host: 'stub.example.com' }, agent: false });
    const reply = new Promise<string>((resolve) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      });
    });
    const chunk = Buffer.alloc(64 * 1024);
    await pipeline(Readable.from((function* () { for (let sent = 0; sent < size; sent += chunk.length) yield chunk; })()), req);
    expect((JSON.parse(await reply) as EchoReply).bodyBytes).toBe(size);
  });
});
