/**
 * The HTTPS listener (issue 12): certificates by SNI from a local CA created in a temporary data
 * folder, HTTP/2 and HTTP/1.1 by ALPN through the same pipeline as plain HTTP, verified by real
 * clients against the CA (never `rejectUnauthorized: false`). Sources: RFC 9113 (HTTP/2:
 * `:authority`, no connection-specific headers, Cookie fields joined for HTTP/1.1), node's
 * http2 compatibility API, ingress-nginx's X-Forwarded-Proto for TLS requests (nginx.tmpl
 * `$pass_access_scheme`).
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import http2 from 'node:http2';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa, type LocalCa } from '../../src/tls/ca.js';
import { createCertificateStore } from '../../src/tls/certificates.js';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import { createEventBus } from '../../src/events/bus.js';
import type { RequestCompleted } from '../../src/events/types.js';
import { compileTable, echoHandler, ingressYaml, json, startUpstream, testResolver, type Upstream } from './harness.js';
import { acceptKey, acceptWebSocket, openHttp2WebSocket, openWebSocket } from './ws.js';

const home = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-https-'));
const env = { INGRESS_DEV_HOME: home, CAROOT: path.join(home, 'no-mkcert') };
const table = compileTable(ingressYaml('app', [{ host: 'app.example.com', paths: [{ path: '/', service: 'web' }] }]));

let ca: LocalCa;
let upstream: Upstream;
let proxy: RunningProxy;
const events: RequestCompleted[] = [];

beforeAll(async () => {
  ca = await loadOrCreateCa(env);
  upstream = await startUpstream(echoHandler);
  const bus = createEventBus();
  bus.on('request-completed', (e) => events.push(e));
  const certificates = createCertificateStore({ ca, served: () => new Map() });
  proxy = await startProxy({ host: '127.0.0.1', port: 0, https: { port: 0, certificates }, getTable: () => table, resolver: testResolver({ web: upstream.port }), events: bus });
});

afterAll(async () => {
  await proxy.close(1000);
  await upstream.close();
  rmSync(home, { recursive: true, force: true });
});

function h1(servername: string, pathname = '/', headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown>; cert: X509Certificate; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: proxy.httpsPort ?? 0, path: pathname, servername, ca: ca.certPem, headers: { host: servername, ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const socket = res.socket as tls.TLSSocket;
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers, cert: socket.getPeerX509Certificate() as X509Certificate, alpn: socket.alpnProtocol });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function h2(servername: string, pathname: string, headers: Record<string, string | string[]> = {}): Promise<{ status: number; body: string; headers: http2.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`https://${servername}:${proxy.httpsPort ?? 0}`, { ca: ca.certPem, lookup: (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }] as never, 4) });
    client.on('error', reject);
    const stream = client.request({ ':path': pathname, ...headers });
    let body = '';
    let got: http2.IncomingHttpHeaders = {};
    stream.setEncoding('utf8');
    stream.on('response', (h) => (got = h));
    stream.on('data', (c: string) => (body += c));
    stream.on('end', () => {
      client.close();
      resolve({ status: Number(got[':status']), body, headers: got });
    });
    stream.on('error', reject);
    stream.end();
  });
}

describe('the local CA', () => {
  it('is created once in the data folder, its key readable by the user only, and reused after', async () => {
    expect(ca.source).toBe('ingress-dev');
    expect(ca.certFile).toBe(path.join(home, 'ca', 'rootCA.pem'));
    expect(ca.cert.ca).toBe(true);
    expect(statSync(path.join(home, 'ca', 'rootCA-key.pem')).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateCa(env);
    expect(again.created).toBe(false);
    expect(again.cert.fingerprint256).toBe(ca.cert.fingerprint256);
  });

  it('reuses mkcert\'s CA when ingress-dev has none yet, so browsers that trust mkcert trust ingress-dev', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-mkcert-'));
    try {
      // A CA made the same way stands in for mkcert's rootCA.pem and rootCA-key.pem.
      const made = await loadOrCreateCa({ INGRESS_DEV_HOME: path.join(other, 'made'), CAROOT: path.join(other, 'none') });
      const { copyFileSync, mkdirSync } = await import('node:fs');
      mkdirSync(path.join(other, 'mkcert'));
      copyFileSync(made.certFile, path.join(other, 'mkcert', 'rootCA.pem'));
      copyFileSync(path.join(other, 'made', 'ca', 'rootCA-key.pem'), path.join(other, 'mkcert', 'rootCA-key.pem'));
      const reused = await loadOrCreateCa({ INGRESS_DEV_HOME: path.join(other, 'home'), CAROOT: path.join(other, 'mkcert') });
      expect(reused.source).toBe('mkcert');
      expect(reused.certFile).toBe(path.join(other, 'mkcert', 'rootCA.pem'));
      expect(reused.cert.fingerprint256).toBe(made.cert.fingerprint256);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('HTTPS listener', () => {
  it('serves a routed host over HTTP/1.1 with a certificate for that name, trusted through the local CA', async () => {
    const reply = await h1('app.example.com', '/get?x=1', { alpn: 'x' });
    expect(reply.status).toBe(200);
    expect(reply.cert.checkHost('app.example.com')).toBe('app.example.com');
    expect(reply.cert.checkIssued(ca.cert)).toBe(true);
    const seen = json<{ url: string; headers: Record<string, string> }>(reply);
    expect(seen.url).toBe('/get?x=1');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-forwarded-port']).toBe(String(proxy.httpsPort));
    expect(seen.headers.host).toBe('app.example.com');
  });

  it('serves HTTP/2 by ALPN through the same pipeline: :authority routes, pseudo-headers stay out, Cookie fields are joined for the HTTP/1.1 backend', async () => {
    const reply = await h2('app.example.com', '/h2?y=2', { cookie: ['a=1', 'b=2'], 'x-custom': 'v' });
    expect(reply.status).toBe(200);
    const seen = json<{ url: string; headers: Record<string, string>; rawHeaders: string[] }>(reply);
    expect(seen.url).toBe('/h2?y=2');
    // The authority as received, port included, as an HTTP/1.1 Host header would be.
    expect(seen.headers.host).toBe(`app.example.com:${proxy.httpsPort}`);
    expect(seen.headers.cookie).toBe('a=1; b=2');
    expect(seen.headers['x-custom']).toBe('v');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.rawHeaders.filter((name, i) => i % 2 === 0 && name.startsWith(':'))).toEqual([]);
    expect(events.some((e) => e.path === '/h2?y=2' && e.status === 200)).toBe(true);
  });

  it('answers a host no rule serves with ingress-dev\'s 404 (a certificate is issued for any name), over HTTP/2 without a reason phrase', async () => {
    const reply = await h2('nothing.example.org', '/', { accept: 'text/plain' });
    expect(reply.status).toBe(404);
    expect(reply.body).toContain('nothing.example.org');
    // Its hint gives https:// URLs on the HTTPS port, with the CA for curl.
    expect(reply.body).toContain(`curl --cacert "$(ingress-dev trust --print)" -H 'Host: app.example.com' https://127.0.0.1:${proxy.httpsPort ?? 0}/`);
    expect(reply.body).toContain(`https://app.example.com.localhost:${proxy.httpsPort ?? 0}/`);
    const first = await h1('nothing.example.org');
    expect(first.cert.checkHost('nothing.example.org')).toBe('nothing.example.org');
  });

  it('gives a client that sends no server name the localhost certificate (127.0.0.1 and ::1 in it)', async () => {
    const cert = await new Promise<X509Certificate>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: proxy.httpsPort ?? 0, ca: ca.certPem }, () => {
        resolve(socket.getPeerX509Certificate() as X509Certificate);
        socket.destroy();
      });
      socket.on('error', reject);
    });
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
  });

  it('caches issued certificates on disk per CA, readable by the user only, and serves the same one after a restart of the store', async () => {
    const first = await h1('cached.example.com');
    const file = path.join(ca.cacheDir, 'cached.example.com.pem');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const store = createCertificateStore({ ca, served: () => new Map() });
    await store.warm('cached.example.com');
    const { readFileSync } = await import('node:fs');
    expect(new X509Certificate(readFileSync(file)).fingerprint256).toBe(first.cert.fingerprint256);
  });
});

/** `CONNECT authority` on the plain port; the socket and the status line of the answer. */
function connect(authority: string): Promise<{ status: number; socket: import('node:net').Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'CONNECT', path: authority, headers: { host: authority }, agent: false });
    req.on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket, head: '' }));
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS through the forward proxy (CONNECT)', () => {
  it('terminates CONNECT to a routed host with a certificate of the local CA and routes what comes through it (curl -x … https://)', async () => {
    const { status, socket } = await connect('app.example.com:443');
    expect(status).toBe(200);
    const secured = tls.connect({ socket, servername: 'app.example.com', ca: ca.certPem, ALPNProtocols: ['http/1.1'] });
    await new Promise<void>((resolve, reject) => {
      secured.once('secureConnect', resolve);
      secured.once('error', reject);
    });
    expect((secured.getPeerX509Certificate() as X509Certificate).checkHost('app.example.com')).toBe('app.example.com');
    secured.write('GET /through-connect HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n\r\n');
    let text = '';
    secured.setEncoding('utf8');
    secured.on('data', (c: string) => (text += c));
    await new Promise((resolve) => secured.on('end', resolve));
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(text).toContain('"url":"/through-connect"');
    expect(text).toContain('"x-forwarded-proto":"https"');
    // The port the client asked for, as the cluster's ingress would send it, not the HTTP port it came in on.
    expect(text).toContain('"x-forwarded-port":"443"');
    expect(events.some((e) => e.method === 'CONNECT' && e.host === 'app.example.com:443' && e.status === 200)).toBe(true);
  });

  it('refuses CONNECT to a host no rule serves (403), and to another port than 443 (501): never a tunnel to the internet', async () => {
    const unrouted = await connect('example.org:443');
    expect(unrouted.status).toBe(403);
    unrouted.socket.destroy();
    const port = await connect('app.example.com:8443');
    expect(port.status).toBe(501);
    port.socket.destroy();
  });
});

describe('WebSockets over TLS', () => {
  it('relays a WebSocket opened on the HTTPS port (HTTP/1.1 Upgrade after ALPN), both ways', async () => {
    const wsUpstream = await startUpstream((_req, res) => res.end());
    wsUpstream.server.on('upgrade', (req, socket) => acceptWebSocket(req, socket));
    const wsTable = compileTable(ingressYaml('ws', [{ host: 'ws.example.com', paths: [{ path: '/', service: 'chat' }] }]));
    const bus = createEventBus();
    const store = createCertificateStore({ ca, served: () => new Map() });
    const wsProxy = await startProxy({ host: '127.0.0.1', port: 0, https: { port: 0, certificates: store }, getTable: () => wsTable, resolver: testResolver({ chat: wsUpstream.port }), events: bus });
    try {
      const ws = await openWebSocket(wsProxy.httpsPort ?? 0, '/chat', { Host: 'ws.example.com' }, { ca: ca.certPem, servername: 'ws.example.com' });
      expect(ws.status).toBe(101);
      ws.send('hello over tls');
      expect(await ws.next()).toBe('echo: hello over tls');
      ws.socket.destroy();
    } finally {
      await wsProxy.close(500);
      await wsUpstream.close();
    }
  });

  /**
   * RFC 8441: the server allows extended CONNECT with SETTINGS_ENABLE_CONNECT_PROTOCOL; the
   * client's `CONNECT` with `:protocol: websocket` stands for the HTTP/1.1 GET + Upgrade (section
   * 5: no Sec-WebSocket-Key/Accept), and a 2xx answer opens the stream for the frames. The hop
   * to the HTTP/1.1 backend is an ordinary RFC 6455 handshake.
   */
  describe('over HTTP/2 (RFC 8441 extended CONNECT)', () => {
    let wsUpstream: Upstream;
    let wsProxy: RunningProxy;
    const seen: http.IncomingHttpHeaders[] = [];
    const seenLines: string[] = [];
    const wsEvents: RequestCompleted[] = [];
    const upstreamClosed: Promise<void>[] = [];

    beforeAll(async () => {
      wsUpstream = await startUpstream((_req, res) => res.end());
      wsUpstream.server.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
        seen.push(req.headers);
        seenLines.push(`${req.method ?? ''} ${req.url ?? ''} HTTP/${req.httpVersion}`);
        upstreamClosed.push(new Promise((resolve) => socket.on('close', () => resolve())));
        if (req.url === '/forbidden') {
          socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nX-Why: origin\r\n\r\nnot from here');
          return;
        }
        if (req.url === '/bye') {
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(req.headers['sec-websocket-key'] ?? '')}\r\n\r\n`);
          socket.end();
          return;
        }
        acceptWebSocket(req, socket, { greeting: 'hi' });
      });
      const wsTable = compileTable(ingressYaml('ws', [{ host: 'ws.example.com', paths: [{ path: '/', service: 'chat' }] }]));
      const bus = createEventBus();
      bus.on('request-completed', (e) => wsEvents.push(e));
      const store = createCertificateStore({ ca, served: () => new Map() });
      wsProxy = await startProxy({ host: '127.0.0.1', port: 0, https: { port: 0, certificates: store }, getTable: () => wsTable, resolver: testResolver({ chat: wsUpstream.port }), events: bus });
    });

    afterAll(async () => {
      await wsProxy.close(500);
      await wsUpstream.close();
    });

    it('relays a WebSocket opened with :protocol websocket: the backend gets an HTTP/1.1 Upgrade with a key of its own, the client a 200 and the frames', async () => {
      const ws = await openHttp2WebSocket(wsProxy.httpsPort ?? 0, '/chat?room=1', 'ws.example.com', ca.certPem, { origin: 'https://ws.example.com', 'sec-websocket-protocol': 'chat' });
      expect(ws.status).toBe(200);
      // RFC 8441 section 5: no Sec-WebSocket-Accept; RFC 9113 section 8.2.2: no connection-specific fields.
      expect(ws.headers['sec-websocket-accept']).toBeUndefined();
      expect(ws.headers.upgrade).toBeUndefined();
      expect(await ws.next()).toBe('hi');
      ws.send('hello over h2');
      expect(await ws.next()).toBe('echo: hello over h2');
      ws.send('again');
      expect(await ws.next()).toBe('echo: again');
      const headers = seen.at(-1) ?? {};
      expect(seenLines.at(-1)).toBe('GET /chat?room=1 HTTP/1.1');
      expect(headers.upgrade).toBe('websocket');
      expect(headers.connection?.toLowerCase()).toContain('upgrade');
      expect(Buffer.from(headers['sec-websocket-key'] ?? '', 'base64')).toHaveLength(16);
      expect(headers['sec-websocket-version']).toBe('13');
      expect(headers['sec-websocket-protocol']).toBe('chat');
      expect(headers.origin).toBe('https://ws.example.com');
      expect(headers.host).toBe('ws.example.com');
      expect(headers['x-forwarded-proto']).toBe('https');
      expect(Object.keys(headers).filter((name) => name.startsWith(':'))).toEqual([]);
      const closed = upstreamClosed.at(-1);
      ws.stream.end();
      await closed;
      await ws.closed;
      ws.session.close();
      await expect.poll(() => wsEvents.find((e) => e.path === '/chat?room=1')).toBeDefined();
      const event = wsEvents.find((e) => e.path === '/chat?room=1');
      expect(event).toMatchObject({ method: 'CONNECT', status: 200, upgrade: true, protocol: 'HTTP/2', scheme: 'https', host: 'ws.example.com', routeId: expect.any(String) as string });
      expect(event?.bytesIn).toBeGreaterThan(0);
      expect(event?.bytesOut).toBeGreaterThan(0);
    });

    it('closes the backend connection when the client resets the stream (RST_STREAM CANCEL)', async () => {
      const ws = await openHttp2WebSocket(wsProxy.httpsPort ?? 0, '/reset', 'ws.example.com', ca.certPem);
      expect(await ws.next()).toBe('hi');
      const closed = upstreamClosed.at(-1);
      ws.stream.close(http2.constants.NGHTTP2_CANCEL);
      await closed;
      ws.session.close();
    });

    it('ends the stream when the backend closes the WebSocket', async () => {
      const ws = await openHttp2WebSocket(wsProxy.httpsPort ?? 0, '/bye', 'ws.example.com', ca.certPem);
      expect(ws.status).toBe(200);
      await ws.closed;
      ws.session.close();
    });

    it('answers on the stream with the backend\'s own response when it refuses the upgrade', async () => {
      const ws = await openHttp2WebSocket(wsProxy.httpsPort ?? 0, '/forbidden', 'ws.example.com', ca.certPem);
      expect(ws.status).toBe(403);
      expect(ws.headers['x-why']).toBe('origin');
      expect(await ws.all()).toBe('not from here');
      ws.session.close();
    });

    it('answers a host no rule serves with the 404 page, on the stream', async () => {
      const ws = await openHttp2WebSocket(wsProxy.httpsPort ?? 0, '/chat', 'nowhere.example.com', ca.certPem, { accept: 'application/json' });
      expect(ws.status).toBe(404);
      expect(JSON.parse(await ws.all())).toMatchObject({ error: { status: 404, kind: 'no-route' } });
      ws.session.close();
    });

    it('refuses a CONNECT without :protocol (a tunnel) with 501 and says why', async () => {
      const session = http2.connect(`https://ws.example.com:${wsProxy.httpsPort ?? 0}`, { ca: ca.certPem, lookup: (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }] as never, 4) });
      const stream = session.request({ ':method': 'CONNECT', ':authority': 'example.org:443' });
      const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        let status = 0;
        let body = '';
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => (body += c));
        stream.on('end', () => resolve({ status, body }));
        stream.on('error', reject);
      });
      session.close();
      expect(response.status).toBe(501);
      expect(response.body).toContain('an HTTP/2 CONNECT asks for a tunnel');
    });
  });
});
