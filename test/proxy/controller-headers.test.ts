import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { compileTable, ingressYaml, send, startTestProxy, startUpstream, testResolver, waitFor, type TestProxy, type Upstream } from './harness.js';

// Issue 9, defect 8: the headers a controller adds to every response. Source: the Ingress
// conformance suite (kubernetes-sigs/ingress-controller-conformance, features/default_backend.feature)
// expects "the response headers must contain" Content-Length, Content-Type, Date and Server of
// every controller it tests.
const host = 'app.example.com';
const table = compileTable(
  ingressYaml('headers', [
    { host, paths: [{ path: '/', service: 'app' }, { path: '/echo', service: 'stub' }, { path: '/none', service: 'unmapped' }] },
  ]),
);

describe('spec profile: Date and Server on every response (conformance: default_backend.feature)', () => {
  let upstream: Upstream;
  let proxy: TestProxy;

  async function start(handler: Parameters<typeof startUpstream>[0]): Promise<void> {
    upstream = await startUpstream(handler);
    proxy = await startTestProxy({ table, resolver: testResolver({ app: upstream.port, stub: 'echo' }) });
  }
  afterEach(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('adds Server: ingress-dev and one Date when the backend sent neither', async () => {
    await start((_req, res) => {
      // node's server adds Date unless told not to: this backend sends no Date and no Server.
      res.sendDate = false;
      res.end('ok');
    });
    const reply = await send(proxy.port, { headers: { host } });
    expect(reply.status).toBe(200);
    expect(reply.headers.server).toBe('ingress-dev');
    expect(reply.rawHeaders.filter((_, i) => i % 2 === 0 && reply.rawHeaders[i]?.toLowerCase() === 'date')).toHaveLength(1);
    expect(Number.isNaN(Date.parse(reply.headers.date ?? ''))).toBe(false);
  });

  it("keeps the backend's own Server and Date, once each", async () => {
    await start((_req, res) => {
      res.writeHead(200, { server: 'gunicorn', date: 'Tue, 01 Dec 2026 10:00:00 GMT' });
      res.end('ok');
    });
    const reply = await send(proxy.port, { headers: { host } });
    const names = reply.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    expect(reply.headers.server).toBe('gunicorn');
    expect(reply.headers.date).toBe('Tue, 01 Dec 2026 10:00:00 GMT');
    expect(names.filter((name) => name === 'server')).toHaveLength(1);
    expect(names.filter((name) => name === 'date')).toHaveLength(1);
  });

  it('puts Date and Server on error pages (404 and 503) and on the echo stand-in', async () => {
    await start((_req, res) => res.end('ok'));
    for (const [hostHeader, path, status] of [['unknown.example.com', '/', 404], [host, '/none', 503], [host, '/echo', 200]] as const) {
      const reply = await send(proxy.port, { path, headers: { host: hostHeader } });
      expect(reply.status).toBe(status);
      expect(reply.headers.server).toBe('ingress-dev');
      expect(reply.headers.date).toBeDefined();
    }
  });

  it('puts Date and Server on the error page written on a raw socket for an Upgrade request', async () => {
    await start((_req, res) => res.end('ok'));
    const socket = net.connect(proxy.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.write('GET /none HTTP/1.1\r\nHost: app.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    await waitFor(() => socket.readableEnded || socket.destroyed || received.includes('\r\n\r\n'), 5000, 'the error page');
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 503 /);
    expect(received).toMatch(/\r\nserver: ingress-dev\r\n/i);
    expect(received).toMatch(/\r\ndate: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} /i);
  });
});
