/**
 * HTTP/2 without TLS on the HTTP port (h2c with prior knowledge, RFC 9113 section 3.3, as gRPC
 * clients speak it): a connection that opens with the HTTP/2 preface goes to node's HTTP/2
 * server, every other to the HTTP/1.1 one, and both reach the same pipeline. A connection that
 * starts like the preface and is not HTTP/2 is closed without reaching a backend.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileTable, echoHandler, ingressYaml, json, send, startTestProxy, startUpstream, testResolver, waitFor, type TestProxy, type Upstream } from './harness.js';

let upstream: Upstream;
let proxy: TestProxy;
let seen = 0;

beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    seen++;
    echoHandler(req, res);
  });
  proxy = await startTestProxy({ table: compileTable(ingressYaml('app', [{ host: 'app.example.com', paths: [{ path: '/', service: 'web' }] }])), resolver: testResolver({ web: upstream.port }) });
});

afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

describe('h2c on the HTTP port', () => {
  it('routes a request sent as HTTP/2 with prior knowledge, through the same pipeline (the event says HTTP/2, plain http)', async () => {
    const session = http2.connect(`http://127.0.0.1:${proxy.port}`);
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const stream = session.request({ ':path': '/h2c?x=1', ':authority': 'app.example.com' });
      let body = '';
      let status = 0;
      stream.setEncoding('utf8');
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('data', (c: string) => (body += c));
      stream.on('end', () => resolve({ status, body }));
      stream.on('error', reject);
      stream.end();
    });
    session.close();
    expect(reply.status).toBe(200);
    expect(json<{ url: string; headers: Record<string, string> }>(reply)).toMatchObject({ url: '/h2c?x=1', headers: { host: 'app.example.com', 'x-forwarded-proto': 'http' } });
    await waitFor(() => proxy.events.some((e) => e.path === '/h2c?x=1'));
    expect(proxy.events.find((e) => e.path === '/h2c?x=1')).toMatchObject({ protocol: 'HTTP/2', scheme: 'http', status: 200 });
  });

  it('keeps serving HTTP/1.1 on the same port', async () => {
    const reply = await send(proxy.port, { path: '/h1', headers: { host: 'app.example.com' } });
    expect(reply.status).toBe(200);
  });

  it('closes a connection that opens like the preface but is not HTTP/2, and nothing reaches the backend', async () => {
    const before = seen;
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.on('error', () => {});
    // What the server sends (its SETTINGS and a GOAWAY) is read, so the end of the connection is seen.
    socket.resume();
    socket.write('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\nGET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n');
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    expect(seen).toBe(before);
  });
});
