import http from 'node:http';
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/events/bus.js';
import { startProxy } from '../../src/proxy/server.js';
import { compileTable, ingressYaml, send, startTestProxy, startUpstream, testResolver, waitFor, type Upstream } from './harness.js';
import { acceptWebSocket, openWebSocket } from './ws.js';

// Stopping: no new connections, in-flight requests finish (bounded), nothing is left open.
const table = compileTable(ingressYaml('app', [{ host: 'app.example.com', paths: [{ path: '/', service: 'app' }] }]));
const host = 'app.example.com';

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });
}

describe('shutdown', () => {
  let upstream: Upstream;
  afterEach(() => upstream?.close());

  it('lets an in-flight request finish and refuses new connections', async () => {
    let release: (() => void) | null = null;
    upstream = await startUpstream((req, res) => {
      if (req.url === '/slow') release = () => res.end('finished');
      else res.end('fast');
    });
    const proxy = await startTestProxy({ table, resolver: testResolver({ app: upstream.port }) });
    const agent = new http.Agent({ keepAlive: true });
    expect((await send(proxy.port, { headers: { host }, agent })).body).toBe('fast');

    const inFlight = send(proxy.port, { path: '/slow', headers: { host } });
    await waitFor(() => release !== null, 5000, 'the slow request to reach the backend');
    let closed = false;
    const closing = proxy.proxy.close(5000).then(() => (closed = true));
    expect(await refusesConnections(proxy.port)).toBe(true);
    expect(closed).toBe(false);

    (release as (() => void) | null)?.();
    expect((await inFlight).body).toBe('finished');
    await closing;
    agent.destroy();
  });

  it('destroys requests still running when the grace period ends', async () => {
    upstream = await startUpstream(() => {});
    const proxy = await startTestProxy({ table, resolver: testResolver({ app: upstream.port }) });
    const stuck = send(proxy.port, { headers: { host } }).then(
      () => 'answered',
      () => 'cut',
    );
    await waitFor(() => upstream.connections > 0);
    const started = performance.now();
    await proxy.proxy.close(100);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(await stuck).toBe('cut');
  });

  it('ends relayed WebSockets at once', async () => {
    upstream = await startUpstream(() => {});
    upstream.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => acceptWebSocket(req, socket));
    const proxy = await startTestProxy({ table, resolver: testResolver({ app: upstream.port }) });
    const ws = await openWebSocket(proxy.port, '/ws', { Host: host });
    expect(ws.status).toBe(101);
    await proxy.proxy.close(10_000);
    await ws.closed;
  });

  it('rejects with the error code when the port is in use', async () => {
    upstream = await startUpstream(() => {});
    const error = await startProxy({ host: '127.0.0.1', port: upstream.port, getTable: () => table, resolver: testResolver({}), events: createEventBus() }).then(
      () => null,
      (err: NodeJS.ErrnoException) => err,
    );
    expect(error?.code).toBe('EADDRINUSE');
  });
});
