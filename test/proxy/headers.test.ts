import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUpstreamHeaders, filterResponseHeaders } from '../../src/proxy/headers.js';
import { compileTable, echoHandler, ingressYaml, json, send, startTestProxy, startUpstream, testResolver, type TestProxy, type Upstream } from './harness.js';

// What the backend receives, as ingress-nginx would send it.
interface Received {
  readonly url: string;
  readonly headers: Record<string, string | string[]>;
  readonly rawHeaders: string[];
}

const table = compileTable(ingressYaml('app', [{ host: 'app.example.com', paths: [{ path: '/', service: 'app' }] }]));

describe('forwarding headers', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  const get = async (path: string, headers: Record<string, string | string[]> = {}) =>
    json<Received>(await send(proxy.port, { path, headers: { host: 'app.example.com', ...headers } }));

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
      echoHandler(req, res);
    });
    proxy = await startTestProxy({ table, resolver: testResolver({ app: upstream.port }) });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("keeps the client's Host", async () => {
    expect((await get('/', { host: 'app.example.com:8080' })).headers.host).toBe('app.example.com:8080');
  });

  it('sets X-Forwarded-* and X-Real-IP for the client connection', async () => {
    const { headers } = await get('/');
    expect(headers).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-real-ip': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.example.com',
      'x-forwarded-port': String(proxy.port),
      'x-scheme': 'http',
    });
  });

  it('appends the client address to an X-Forwarded-For it sent, and replaces the other forwarding headers', async () => {
    const { headers } = await get('/', { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-real-ip': '10.0.0.1' });
    expect(headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-real-ip']).toBe('127.0.0.1');
  });

  it('generates an X-Request-ID of 32 hex characters, and keeps a valid one', async () => {
    expect((await get('/')).headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect((await get('/', { 'x-request-id': 'trace-42' })).headers['x-request-id']).toBe('trace-42');
    expect((await get('/', { 'x-request-id': 'has space' })).headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    const event = proxy.events.find((e) => e.id === 'trace-42');
    expect(event?.status).toBe(200);
  });

  it('removes hop-by-hop headers and every header named in Connection', async () => {
    const { headers, rawHeaders } = await get('/', {
      connection: 'keep-alive, x-secret, X-Other',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      'proxy-connection': 'keep-alive',
      'x-secret': 'do not forward',
      'x-other': 'nor this',
      'x-kept': 'yes',
    });
    const names = rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const hop of ['keep-alive', 'te', 'proxy-authorization', 'proxy-connection', 'x-secret', 'x-other', 'upgrade', 'transfer-encoding']) {
      expect(names).not.toContain(hop);
    }
    expect(names).toContain('x-kept');
    // The proxy's own connection to the backend stays keep-alive, whatever the client asked for.
    expect(headers.connection).toBe('keep-alive');
  });

  it('keeps duplicate request headers and their order', async () => {
    const { rawHeaders } = await get('/', { 'x-dup': ['one', 'two'] });
    const values = rawHeaders.flatMap((v, i) => (rawHeaders[i - 1]?.toLowerCase() === 'x-dup' && i % 2 === 1 ? [v] : []));
    expect(values).toEqual(['one', 'two']);
  });

  it('passes every Set-Cookie of the response through', async () => {
    const reply = await send(proxy.port, { headers: { host: 'app.example.com' } });
    expect(reply.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it.each(['/a%2Fb?x=%20&y', '/%7Euser/./x/../y?q=a+b&q=%2B', '/p;matrix=1?&&=&', '/caf%C3%A9?emoji=%F0%9F%98%80', '/x?a=b?c#'])(
    'sends the path and query byte for byte: %s',
    async (target) => {
      // node:http would reject `#`; a raw socket sends the target exactly as written.
      const received = json<Received>(await rawGet(proxy.port, target, 'app.example.com'));
      expect(received.url).toBe(target);
    },
  );
});

describe('non-ASCII bytes in headers (obs-text)', () => {
  it('reach the backend and come back to the client byte for byte', async () => {
    const upstream = await startUpstream((req, res) => {
      res.setHeader('x-back', req.headers['x-name'] ?? 'missing');
      // A Buffer body: with a string body node encodes the whole head as UTF-8.
      res.end(Buffer.from('ok'));
    });
    const proxy = await startTestProxy({ table, resolver: testResolver({ app: upstream.port }) });
    try {
      const socket = net.connect(proxy.port, '127.0.0.1');
      // `café` with é as the single byte 0xE9, as a Latin-1 client would send it.
      socket.write(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\nX-Name: caf'), Buffer.from([0xe9]), Buffer.from('\r\n\r\n')]));
      const chunks: Buffer[] = [];
      for await (const chunk of socket) chunks.push(chunk as Buffer);
      const response = Buffer.concat(chunks);
      const expected = Buffer.concat([Buffer.from('x-back: caf'), Buffer.from([0xe9]), Buffer.from('\r\n')]);
      expect(response.includes(expected)).toBe(true);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});

describe('header helpers', () => {
  const context = { host: 'h', clientAddress: '10.1.2.3', localPort: 80, proto: 'http' as const, upgrade: false, requestId: 'id' };

  it('keeps Connection: upgrade and Upgrade on upgrade requests only', () => {
    const raw = ['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'];
    expect(buildUpstreamHeaders(raw, { ...context, upgrade: true })).toEqual(expect.arrayContaining(['Connection', 'upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key']));
    const plain = buildUpstreamHeaders(raw, context).map((h) => h.toLowerCase());
    expect(plain).not.toContain('upgrade');
    expect(plain).not.toContain('websocket');
  });

  it("drops a backend's Connection: close, Keep-Alive and Transfer-Encoding, and headers it named", () => {
    const raw = ['Connection', 'close, X-Internal', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'X-Internal', '1', 'Content-Type', 'text/plain'];
    expect(filterResponseHeaders(raw)).toEqual(['Content-Type', 'text/plain']);
  });
});

/** A GET written by hand on a socket, so the request target is not touched by any client. */
async function rawGet(port: number, target: string, host: string): Promise<{ status: number; body: string }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  const status = Number(head.split(' ')[1]);
  const decoded = /transfer-encoding: chunked/i.test(head) ? decodeChunked(body) : body;
  return { status, body: decoded };
}

function decodeChunked(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}
