import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { compileTable, ingressYaml, send, startTestProxy, startUpstream, testResolver, type TestProxy, type Upstream } from './harness.js';

// Pitfalls of naive forwarding, pinned: without a keep-alive pool every request opens a new
// upstream connection; hop-by-hop headers let the client's `Connection: close` kill the pooled
// connection and the backend's `Connection: close` reach the client.
const table = compileTable(ingressYaml('app', [{ host: 'app.example.com', paths: [{ path: '/', service: 'app' }] }]));
const host = 'app.example.com';

describe('keep-alive to backends', () => {
  let upstream: Upstream;
  let proxy: TestProxy;

  async function start(handler: http.RequestListener): Promise<void> {
    upstream = await startUpstream(handler);
    proxy = await startTestProxy({ table, resolver: testResolver({ app: upstream.port }) });
  }
  afterEach(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('sends 50 sequential requests over one upstream connection', async () => {
    await start((_req, res) => res.end('ok'));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 50; i++) expect((await send(proxy.port, { headers: { host }, agent })).body).toBe('ok');
    agent.destroy();
    expect(upstream.connections).toBe(1);
  });

  it("does not let a client's Connection: close close the pooled upstream connection", async () => {
    await start((req, res) => res.end(req.headers.connection ?? 'none'));
    for (let i = 0; i < 20; i++) {
      const reply = await send(proxy.port, { headers: { host, connection: 'close' } });
      expect(reply.body).toBe('keep-alive');
      expect(reply.headers.connection).toBe('close');
    }
    expect(upstream.connections).toBe(1);
  });

  it("does not pass a backend's Connection: close to the client, whose connection stays open", async () => {
    await start((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('bye');
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const clientSockets = new Set<unknown>();
    agent.on('free', (socket) => clientSockets.add(socket));
    for (let i = 0; i < 5; i++) {
      const reply = await send(proxy.port, { headers: { host }, agent });
      expect(reply.body).toBe('bye');
      expect(reply.headers.connection).toBe('keep-alive');
    }
    agent.destroy();
    expect(clientSockets.size).toBe(1);
    // The backend closed each of its connections, so the proxy opened a new one each time.
    expect(upstream.connections).toBe(5);
  });
});
