import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileTable, echoHandler, ingressYaml, json, send, startTestProxy, startUpstream, testResolver, type TestProxy, type Upstream } from './harness.js';
import { acceptWebSocket, openWebSocket } from './ws.js';

// An https:// target: TLS to the backend, with the self-signed certificate local backends use.
const table = compileTable(ingressYaml('secure', [{ host: 'secure.example.com', paths: [{ path: '/', service: 'secure' }] }]));
const host = 'secure.example.com';

describe('upstream https', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  beforeAll(async () => {
    upstream = await startUpstream(echoHandler, { tls: true });
    upstream.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => acceptWebSocket(req, socket));
    proxy = await startTestProxy({ table, resolver: testResolver({ secure: `https://127.0.0.1:${upstream.port}` }) });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('forwards to a backend with a self-signed certificate, over one kept-alive connection', async () => {
    for (let i = 0; i < 3; i++) {
      const reply = await send(proxy.port, { path: `/tls?i=${i}`, headers: { host } });
      expect(reply.status).toBe(200);
      expect(json(reply)).toMatchObject({ url: `/tls?i=${i}`, headers: { host, 'x-forwarded-proto': 'http' } });
    }
    expect(upstream.connections).toBe(1);
    expect(proxy.events[0]?.target).toBe(`https://127.0.0.1:${upstream.port}`);
  });

  it('relays a WebSocket to a TLS backend', async () => {
    const ws = await openWebSocket(proxy.port, '/ws', { Host: host });
    expect(ws.status).toBe(101);
    ws.send('over tls');
    expect(await ws.next()).toBe('echo: over tls');
    ws.socket.destroy();
  });

  it('answers 502 with a TLS hint when an https:// target speaks plain HTTP', async () => {
    const plain = await startTestProxy({ table, resolver: testResolver({ secure: upstream.port }) });
    const tlsProxy = await startTestProxy({ table, resolver: testResolver({ secure: `https://127.0.0.1:${plain.port}` }) });
    const reply = await send(tlsProxy.port, { headers: { host } });
    expect(reply.status).toBe(502);
    expect(reply.body).toContain('hint: TLS failed');
    await tlsProxy.close();
    await plain.close();
  });
});
