import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { compileTable, freePort, ingressYaml, startTestProxy, startUpstream, testResolver, waitFor, type TestProxy, type Upstream } from './harness.js';
import { acceptKey, acceptWebSocket, openWebSocket } from './ws.js';

// WebSockets (and any Upgrade) are routed by the same rules and relayed both ways.
const table = compileTable(
  ingressYaml('chat', [{ host: 'chat.example.com', paths: [{ path: '/ws', service: 'chat' }, { path: '/stub', service: 'stub' }, { path: '/down', service: 'down' }] }]),
);
const host = 'chat.example.com';

describe('WebSockets', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  let upgrades: { req: IncomingMessage; socket: Duplex }[];

  async function start(onUpgrade: (req: IncomingMessage, socket: Duplex) => void, map: Record<string, number | string> = {}): Promise<void> {
    upgrades = [];
    upstream = await startUpstream((_req, res) => res.end('plain'));
    upstream.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      upgrades.push({ req, socket });
      onUpgrade(req, socket);
    });
    proxy = await startTestProxy({ table, resolver: testResolver({ chat: upstream.port, ...map }) });
  }
  afterEach(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('completes the handshake and relays messages both ways', async () => {
    await start((req, socket) => acceptWebSocket(req, socket, { greeting: 'welcome' }));
    const ws = await openWebSocket(proxy.port, '/ws/room?id=1', { Host: host });
    expect(ws.status).toBe(101);
    const key = upgrades[0]?.req.headers['sec-websocket-key'] ?? '';
    expect(ws.head).toContain(`Sec-WebSocket-Accept: ${acceptKey(key)}`);
    expect(await ws.next()).toBe('welcome');
    ws.send('hello');
    expect(await ws.next()).toBe('echo: hello');
    ws.send('again');
    expect(await ws.next()).toBe('echo: again');

    const received = upgrades[0]?.req;
    expect(received?.url).toBe('/ws/room?id=1');
    expect(received?.headers).toMatchObject({ host, upgrade: 'websocket', connection: 'upgrade', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': host });
    expect(received?.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    ws.socket.end();
    await ws.closed;
  });

  it('closes the backend connection when the client closes, and reports the relay once', async () => {
    await start((req, socket) => acceptWebSocket(req, socket));
    const ws = await openWebSocket(proxy.port, '/ws', { Host: host });
    ws.send('ping');
    expect(await ws.next()).toBe('echo: ping');
    const backendClosed = new Promise<void>((resolve) => upgrades[0]?.socket.on('close', () => resolve()));
    ws.socket.destroy();
    await backendClosed;
    await waitFor(() => proxy.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ upgrade: true, status: 101, routeId: 'ingress:default/chat#r0.p0', error: null });
    expect(proxy.events[0]?.bytesIn).toBeGreaterThan(0);
    expect(proxy.events[0]?.bytesOut).toBeGreaterThan(0);
  });

  it('closes the backend connection when the client resets its connection (no FIN for the relay to pass on)', async () => {
    await start((req, socket) => acceptWebSocket(req, socket));
    const ws = await openWebSocket(proxy.port, '/ws', { Host: host });
    ws.send('ping');
    expect(await ws.next()).toBe('echo: ping');
    const backendClosed = new Promise<void>((resolve) => upgrades[0]?.socket.on('close', () => resolve()));
    ws.socket.resetAndDestroy();
    await backendClosed;
    await waitFor(() => proxy.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ upgrade: true, status: 101, error: null });
  });

  it('closes the client connection when the backend closes', async () => {
    await start((req, socket) => acceptWebSocket(req, socket));
    const ws = await openWebSocket(proxy.port, '/ws', { Host: host });
    upgrades[0]?.socket.destroy();
    await ws.closed;
  });

  it('relays a backend that refuses the upgrade with its own response', async () => {
    await start((_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno'));
    const ws = await openWebSocket(proxy.port, '/ws', { Host: host });
    expect(ws.status).toBe(403);
    expect(await ws.all()).toMatch(/\r\n\r\nno$/);
    await waitFor(() => proxy.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ upgrade: true, status: 403 });
  });

  it('answers an Upgrade with no route, no endpoint or a refused backend with an error response', async () => {
    await start((req, socket) => acceptWebSocket(req, socket), { down: await freePort() });
    const noRoute = await openWebSocket(proxy.port, '/elsewhere', { Host: host });
    expect(noRoute.status).toBe(404);
    expect(await noRoute.all()).toContain('x-ingress-dev-error: no-route');

    const unmapped = await startTestProxy({ table, resolver: testResolver({}) });
    const noEndpoint = await openWebSocket(unmapped.port, '/ws', { Host: host });
    expect(noEndpoint.status).toBe(503);
    expect(await noEndpoint.all()).toContain('--map chat:80=PORT');
    await unmapped.close();

    const refused = await openWebSocket(proxy.port, '/down', { Host: host, Accept: 'application/json' });
    expect(refused.status).toBe(502);
    const body = (await refused.all()).split('\r\n\r\n')[1] ?? '';
    expect(JSON.parse(body)).toMatchObject({ error: { kind: 'refused', status: 502 } });
  });

  it('answers a WebSocket handshake to an echo target with the echo JSON', async () => {
    await start((req, socket) => acceptWebSocket(req, socket), { stub: 'echo' });
    const ws = await openWebSocket(proxy.port, '/stub?x=1', { Host: host });
    expect(ws.status).toBe(200);
    const body = JSON.parse((await ws.all()).split('\r\n\r\n')[1] ?? '') as { path: string; headers: Record<string, string>; standsInFor: { service: string } };
    expect(body).toMatchObject({ path: '/stub?x=1', standsInFor: { service: 'stub' } });
    expect(body.headers.upgrade).toBe('websocket');
  });

  it('answers 504 when the backend accepts the upgrade but never responds', async () => {
    upgrades = [];
    upstream = await startUpstream((_req, res) => res.end());
    upstream.server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => socket.on('error', () => {}));
    proxy = await startTestProxy({ table, resolver: testResolver({ chat: upstream.port }), timeouts: { readTimeoutMs: 200 } });
    const ws = await openWebSocket(proxy.port, '/ws', { Host: host });
    expect(ws.status).toBe(504);
    expect(await ws.all()).toContain('x-ingress-dev-error: read-timeout');
  });
});
