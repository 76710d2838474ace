import { createHash, randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, compileTable, freePort, ingressYaml, startTestProxy, startUpstream, testResolver, waitFor, type TestProxy, type Upstream } from './harness.js';
import { acceptWebSocket, decodeFrames, encodeFrame } from './ws.js';

// The front door (src/proxy/front.ts) reads HTTP/1.1 itself and hands everything else to node's
// HTTP server at a request boundary. These tests write exact bytes on raw sockets, so framing,
// pipelining and half-closes are the test's to choose, and check what the client and the backend
// each received, byte for byte.

const app = 'app.example.com';
const raw = 'raw.example.com';
const table = compileTable(
  ingressYaml('front', [
    { host: app, paths: [{ path: '/echo', service: 'echo' }, { path: '/', service: 'app' }] },
    { host: raw, paths: [{ path: '/', service: 'raw' }] },
    { host: 'down.example.com', paths: [{ path: '/', service: 'down' }] },
    { host: 'unmapped.example.com', paths: [{ path: '/', service: 'unmapped' }] },
  ]),
  'front.yaml',
);

// ---------------------------------------------------------------------------------------------
// Which requests node's HTTP server saw: the ones the front handed over. Every http.Server's
// 'request', 'upgrade' and 'connect' go through this; only those on a proxy's port count.

const handedOver: string[] = [];
const proxyPorts = new Set<number>();

beforeAll(() => {
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' || event === 'upgrade' || event === 'connect') {
      const req = args[0] as IncomingMessage;
      if (proxyPorts.has(req.socket.localPort ?? 0)) handedOver.push(`${req.method} ${req.url}`);
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof emit;
});
afterAll(() => {
  Reflect.deleteProperty(http.Server.prototype, 'emit');
});

// ---------------------------------------------------------------------------------------------
// A strict HTTP/1.1 response reader: a byte the framing does not account for throws.

interface Response {
  readonly status: number;
  readonly head: string;
  /** Names lower-cased, in order, duplicates kept. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  readonly chunked: boolean;
  /** The offset just past this response in the bytes received. */
  readonly end: number;
}

function values(response: Response | undefined, name: string): string[] {
  return (response?.headers ?? []).filter(([n]) => n === name).map(([, v]) => v);
}

function header(response: Response | undefined, name: string): string | undefined {
  return values(response, name)[0];
}

function text(response: Response | undefined): string {
  return response?.body.toString('utf8') ?? '<no response>';
}

/**
 * The complete responses in `data`. `methods[i]` is the method of the request the i-th final
 * response answers (a HEAD response has no body); 1xx responses are listed too; the bytes after
 * a 101 are not HTTP. A response delimited by the close is complete only once `closed`.
 */
function parseResponses(data: Buffer, methods: readonly string[], closed: boolean): Response[] {
  const responses: Response[] = [];
  let at = 0;
  let finals = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const head = data.toString('latin1', at, headEnd);
    const lines = head.split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (match === null) throw new Error(`not a status line at byte ${at}: ${JSON.stringify(data.toString('latin1', at, at + 80))}`);
    const status = Number(match[1]);
    const headers = lines.slice(1).map((line) => {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`a bad header line ${JSON.stringify(line)}`);
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const;
    });
    const method = status < 200 ? 'GET' : (methods[finals] ?? 'GET');
    const framed = frameBody(data, headEnd + 4, status, method, headers, closed);
    if (framed === null) break;
    responses.push({ status, head, headers, body: framed.body, chunked: framed.chunked, end: framed.end });
    at = framed.end;
    if (status === 101) break;
    if (status >= 200) finals++;
  }
  return responses;
}

interface Framed {
  readonly body: Buffer;
  readonly chunked: boolean;
  readonly end: number;
}

function frameBody(data: Buffer, from: number, status: number, method: string, headers: readonly (readonly [string, string])[], closed: boolean): Framed | null {
  if (status < 200 || status === 204 || status === 304 || method === 'HEAD') return { body: Buffer.alloc(0), chunked: false, end: from };
  const te = headers.filter(([n]) => n === 'transfer-encoding');
  const cl = headers.filter(([n]) => n === 'content-length');
  if (te.length > 0) {
    // RFC 9112 section 6.3: a proxy forwarding a message must not send both.
    if (cl.length > 0) throw new Error('a response with both Transfer-Encoding and Content-Length');
    if (te.length !== 1 || te[0]?.[1] !== 'chunked') throw new Error(`Transfer-Encoding ${JSON.stringify(te)}`);
    return dechunk(data, from);
  }
  if (cl.length > 0) {
    if (cl.length !== 1) throw new Error(`${cl.length} Content-Length headers`);
    const length = Number(cl[0]?.[1]);
    return data.length - from < length ? null : { body: data.subarray(from, from + length), chunked: false, end: from + length };
  }
  return closed ? { body: data.subarray(from), chunked: false, end: data.length } : null;
}

function dechunk(data: Buffer, from: number): Framed | null {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const line = data.toString('latin1', at, lineEnd);
    if (!/^[0-9a-fA-F]{1,12}$/.test(line)) throw new Error(`a bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
    const size = Number.parseInt(line, 16);
    at = lineEnd + 2;
    if (size === 0) {
      // Neither the front nor node sends trailers: the empty line follows at once.
      if (data.length < at + 2) return null;
      if (data[at] !== 13 || data[at + 1] !== 10) throw new Error('no empty line after the last chunk');
      return { body: Buffer.concat(parts), chunked: true, end: at + 2 };
    }
    if (data.length < at + size + 2) return null;
    parts.push(data.subarray(at, at + size));
    if (data[at + size] !== 13 || data[at + size + 1] !== 10) throw new Error('a chunk not followed by CRLF');
    at += size + 2;
  }
}

// ---------------------------------------------------------------------------------------------
// A client writing exact bytes.

class RawClient {
  readonly socket: net.Socket;
  private readonly chunks: Buffer[] = [];
  closed = false;
  /** The proxy closed its side with a FIN (not only a reset). */
  ended = false;
  error: NodeJS.ErrnoException | null = null;

  /** `allowHalfOpen`: keep writing after the proxy's FIN (node's client ends its side at once otherwise). */
  constructor(port: number, options: { allowHalfOpen?: boolean } = {}) {
    this.socket = net.connect({ port, host: '127.0.0.1', noDelay: true, allowHalfOpen: options.allowHalfOpen ?? false });
    this.socket.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('error', (err: NodeJS.ErrnoException) => (this.error = err));
    this.socket.on('close', () => (this.closed = true));
  }

  get data(): Buffer {
    if (this.chunks.length > 1) this.chunks.splice(0, this.chunks.length, Buffer.concat(this.chunks));
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Resolves once the bytes are handed to the kernel. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (err) => (err ? reject(err) : resolve())));
  }

  /** One byte per write, each flushed before the next (Nagle is off), so the proxy reads them apart. */
  async trickle(data: string): Promise<void> {
    const bytes = Buffer.from(data, 'latin1');
    for (let i = 0; i < bytes.length; i++) await this.write(bytes.subarray(i, i + 1));
  }

  /** Waits for `count` complete responses, or for the connection to close with fewer. */
  async responses(count: number, options: { methods?: readonly string[]; timeoutMs?: number } = {}): Promise<Response[]> {
    let parsed: Response[] = [];
    await waitFor(
      () => {
        parsed = parseResponses(this.data, options.methods ?? [], this.closed);
        return parsed.length >= count || this.closed;
      },
      options.timeoutMs ?? 5000,
      `${count} responses (have ${parsed.length})`,
    );
    return parsed;
  }

  /** Every response, once the connection closed. */
  async all(options: { methods?: readonly string[]; timeoutMs?: number } = {}): Promise<Response[]> {
    await this.waitClosed(options.timeoutMs);
    return parseResponses(this.data, options.methods ?? [], true);
  }

  waitClosed(timeoutMs = 5000): Promise<void> {
    return waitFor(() => this.closed, timeoutMs, 'the client connection to close');
  }
}

function get(path: string, extra = '', host = app): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

function post(path: string, body: string, extra = '', host = app): string {
  return `POST ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

// ---------------------------------------------------------------------------------------------
// Backends.

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: Buffer;
}

/** Records every request and answers `METHOD URL BODY-BYTES`. */
function recorder(seen: Seen[]): RequestListener {
  return (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
      res.setHeader('content-type', 'text/plain');
      res.end(`${req.method} ${req.url} ${body.length}`);
    });
  };
}

interface RawBackend {
  readonly port: number;
  readonly sockets: net.Socket[];
  close(): Promise<void>;
}

/** A backend on a raw socket: `onRequest` gets each request head (bodiless requests only). */
async function startRawBackend(onRequest: (socket: net.Socket, head: string) => void): Promise<RawBackend> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        onRequest(socket, head);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const backend: RawBackend = {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return closeServer(server);
    },
  };
  rawBackends.push(backend);
  return backend;
}

// ---------------------------------------------------------------------------------------------

let proxy: TestProxy | null = null;
let upstream: Upstream | null = null;
const seen: Seen[] = [];
const clients: RawClient[] = [];
const rawBackends: RawBackend[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await proxy?.close();
  proxy = null;
  await upstream?.close();
  upstream = null;
  for (const backend of rawBackends.splice(0)) await backend.close();
  handedOver.length = 0;
  seen.length = 0;
  proxyPorts.clear();
});

/** The proxy, with `app` on a node:http backend (the recorder unless `handler`), `echo` on the echo. */
async function start(options: { handler?: RequestListener; map?: Readonly<Record<string, number | string>> } = {}): Promise<TestProxy> {
  upstream = await startUpstream(options.handler ?? recorder(seen));
  proxy = await startTestProxy({ table, resolver: testResolver({ app: upstream.port, echo: 'echo', ...options.map }) });
  proxyPorts.add(proxy.port);
  return proxy;
}

function connect(port: number, options: { allowHalfOpen?: boolean } = {}): RawClient {
  const client = new RawClient(port, options);
  clients.push(client);
  return client;
}

/** A fresh connection's GET, answered: anything the backend got before it has arrived by now. */
async function probe(port: number): Promise<void> {
  const client = connect(port);
  await client.write(get('/probe'));
  const [response] = await client.responses(1);
  expect(response?.status).toBe(200);
}

/** Holds requests to `/hold*` until the test ends them; records and answers the rest. */
function holdingHandler(held: ServerResponse[]): RequestListener {
  const record = recorder(seen);
  return (req, res) => {
    if (req.url?.startsWith('/hold') === true) {
      held.push(res);
      return;
    }
    record(req, res);
  };
}

/** Streams `/stream*` until the client is gone (then `onClose`); records and answers the rest. */
function streamingHandler(onClose: () => void): RequestListener {
  const record = recorder(seen);
  return (req, res) => {
    if (req.url?.startsWith('/stream') !== true) return record(req, res);
    res.on('close', onClose);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const piece = Buffer.alloc(64 * 1024, 'x');
    const pump = (): void => {
      while (!res.destroyed && res.write(piece));
    };
    res.on('drain', pump);
    pump();
  };
}

// ---------------------------------------------------------------------------------------------

describe('front: pipelining', () => {
  it('answers ten GETs written in one write, in order, without node', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(range(10).map((i) => get(`/p${i}`)).join(''));
    const responses = await client.responses(10);
    expect(responses.map((r) => [r.status, text(r)])).toEqual(range(10).map((i) => [200, `GET /p${i} 0`]));
    expect(seen.map((s) => s.url)).toEqual(range(10).map((i) => `/p${i}`));
    expect(handedOver).toEqual([]);
    expect(client.closed).toBe(false);
    await waitFor(() => p.events.length === 10);
    expect(p.events.map((e) => [e.path, e.status])).toEqual(range(10).map((i) => [`/p${i}`, 200]));
  });

  it('hands over at an HTTP/1.0 request in the middle: the ones before by the front, it and the rest by node, in order', async () => {
    const p = await start();
    const client = connect(p.port);
    const old = `GET /c HTTP/1.0\r\nHost: ${app}\r\nConnection: keep-alive\r\n\r\n`;
    await client.write(get('/a') + get('/b') + old + get('/d') + get('/e'));
    const responses = await client.responses(5);
    expect(responses.map(text)).toEqual(['GET /a 0', 'GET /b 0', 'GET /c 0', 'GET /d 0', 'GET /e 0']);
    expect(handedOver).toEqual(['GET /c', 'GET /d', 'GET /e']);
    // node forwards the requests it parsed at once, each on its own upstream connection.
    expect(seen.slice(0, 2).map((s) => s.url)).toEqual(['/a', '/b']);
    expect(seen.slice(2).map((s) => s.url).toSorted()).toEqual(['/c', '/d', '/e']);
    await waitFor(() => p.events.length === 5);
    expect(p.events.slice(0, 2).map((e) => e.path)).toEqual(['/a', '/b']);
    expect(p.events.slice(2).map((e) => e.path).toSorted()).toEqual(['/c', '/d', '/e']);
  });

  it('hands over at a request for a Service mapped to echo', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/a') + get('/echo/x?q=1') + get('/b'));
    const responses = await client.responses(3);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(text(responses[0])).toBe('GET /a 0');
    expect(JSON.parse(text(responses[1]))).toMatchObject({ method: 'GET', path: '/echo/x?q=1', host: app });
    expect(text(responses[2])).toBe('GET /b 0');
    expect(seen.map((s) => s.url)).toEqual(['/a', '/b']);
    expect(handedOver).toEqual(['GET /echo/x?q=1', 'GET /b']);
  });

  it('hands over at a chunked POST; its body and the requests after it arrive whole', async () => {
    const p = await start();
    const client = connect(p.port);
    const chunked = `POST /up HTTP/1.1\r\nHost: ${app}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`;
    await client.write(get('/a') + chunked + get('/b'));
    const responses = await client.responses(3);
    expect(responses.map(text)).toEqual(['GET /a 0', 'POST /up 11', 'GET /b 0']);
    expect(seen[0]?.url).toBe('/a');
    expect(seen.slice(1).map((s) => [s.url, s.body.toString()]).toSorted()).toEqual([
      ['/b', ''],
      ['/up', 'hello world'],
    ]);
    expect(handedOver).toEqual(['POST /up', 'GET /b']);
  });

  it('hands over at Expect: 100-continue; node sends 100 Continue, then the answer', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/a') + post('/expect', 'hello', 'Expect: 100-continue\r\n'));
    const responses = await client.responses(3);
    expect(responses.map((r) => r.status)).toEqual([200, 100, 200]);
    expect(text(responses[2])).toBe('POST /expect 5');
    expect(handedOver).toEqual(['POST /expect']);
  });

  it('hands over at a WebSocket upgrade after two pipelined GETs; the tunnel works', async () => {
    const p = await start();
    upstream?.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => acceptWebSocket(req, socket));
    const client = connect(p.port);
    const key = randomBytes(16).toString('base64');
    const upgrade = `GET /ws HTTP/1.1\r\nHost: ${app}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    await client.write(get('/a') + get('/b') + upgrade);
    const responses = await client.responses(3);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 101]);
    expect(responses.slice(0, 2).map(text)).toEqual(['GET /a 0', 'GET /b 0']);
    const tunnelStart = responses[2]?.end ?? 0;
    await client.write(encodeFrame('hi', { masked: true }));
    await waitFor(() => decodeFrames(client.data.subarray(tunnelStart)).messages.length === 1);
    expect(decodeFrames(client.data.subarray(tunnelStart)).messages[0]?.text).toBe('echo: hi');
    expect(handedOver).toEqual(['GET /ws']);
  });

  it('hands CONNECT to node, which answers 501', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/a') + `CONNECT ${app}:443 HTTP/1.1\r\nHost: ${app}:443\r\n\r\n`);
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([200, 501]);
    expect(handedOver).toEqual([`CONNECT ${app}:443`]);
  });

  it('pipelines requests with Content-Length bodies between bodiless ones', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(post('/p1', 'abc') + get('/g1') + post('/p2', 'x'.repeat(5000)) + post('/p3', '') + get('/g2'));
    const responses = await client.responses(5);
    expect(responses.map(text)).toEqual(['POST /p1 3', 'GET /g1 0', 'POST /p2 5000', 'POST /p3 0', 'GET /g2 0']);
    expect(seen.map((s) => s.body.toString())).toEqual(['abc', '', 'x'.repeat(5000), '', '']);
    expect(handedOver).toEqual([]);
  });

  it('buffers more than 64 KB of pipelined requests behind a slow response and answers all 1500 in order', { timeout: 30_000 }, async () => {
    const held: ServerResponse[] = [];
    const p = await start({ handler: holdingHandler(held) });
    const client = connect(p.port);
    await client.write(get('/hold'));
    await waitFor(() => held.length === 1, 5000, 'the backend to hold /hold');
    const pad = `X-Pad: ${'p'.repeat(80)}\r\n`;
    const pipelined = range(1500).map((i) => get(`/q${i}`, pad)).join('');
    expect(pipelined.length).toBeGreaterThan(128 * 1024);
    await client.write(pipelined);
    held[0]?.end('held');
    const responses = await client.responses(1501, { timeoutMs: 25_000 });
    expect(responses).toHaveLength(1501);
    expect(text(responses[0])).toBe('held');
    expect(responses.slice(1).map(text)).toEqual(range(1500).map((i) => `GET /q${i} 0`));
    expect(handedOver).toEqual([]);
  });

  it('hands over at an HTTP/1.0 request with more than 64 KB buffered behind a slow response; node answers the rest in order', { timeout: 30_000 }, async () => {
    const held: ServerResponse[] = [];
    const p = await start({ handler: holdingHandler(held) });
    const client = connect(p.port);
    await client.write(get('/hold'));
    await waitFor(() => held.length === 1, 5000, 'the backend to hold /hold');
    const pad = `X-Pad: ${'p'.repeat(80)}\r\n`;
    const old = `GET /old HTTP/1.0\r\nHost: ${app}\r\nConnection: keep-alive\r\n\r\n`;
    await client.write(get('/first', pad) + old + range(1000).map((i) => get(`/n${i}`, pad)).join(''));
    held[0]?.end('held');
    const responses = await client.responses(1003, { timeoutMs: 25_000 });
    expect(responses.map(text)).toEqual(['held', 'GET /first 0', 'GET /old 0', ...range(1000).map((i) => `GET /n${i} 0`)]);
    expect(handedOver).toEqual(['GET /old', ...range(1000).map((i) => `GET /n${i}`)]);
  });

  it('goes on after an extra CRLF following a body (RFC 9112 section 2.2)', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`${post('/p', 'abc')}\r\n${get('/after')}`);
    const responses = await client.responses(2);
    expect(responses.map(text)).toEqual(['POST /p 3', 'GET /after 0']);
  });

  // One read of the socket holds thousands of these (27 bytes each): error pages are answered
  // synchronously, one request after the other. An exception there is uncaught, and kills the
  // proxy process (nothing in src/ handles 'uncaughtException').
  it('answers 3000 pipelined requests for an unknown host, written at once, without an uncaught exception', { timeout: 30_000 }, async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const p = await start();
      const client = connect(p.port);
      await client.write(get('/', '', 'x').repeat(3000) + get('/last'));
      const responses = await client.responses(3001, { timeoutMs: 25_000 });
      expect(uncaught.map(String)).toEqual([]);
      expect(responses).toHaveLength(3001);
      expect(responses.slice(0, 3000).filter((r) => r.status !== 404)).toEqual([]);
      expect(text(responses[3000])).toBe('GET /last 0');
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

describe('front: keep-alive', () => {
  it('serves 100 sequential requests over one client connection and one upstream connection', async () => {
    const p = await start();
    const client = connect(p.port);
    for (let i = 0; i < 100; i++) {
      await client.write(get(`/k${i}`));
      const responses = await client.responses(i + 1);
      expect(text(responses[i])).toBe(`GET /k${i} 0`);
      expect(header(responses[i], 'connection')).toBe('keep-alive');
    }
    expect(client.closed).toBe(false);
    expect(upstream?.connections).toBe(1);
    expect(handedOver).toEqual([]);
  });

  it("answers a client's Connection: close with Connection: close, closes, and drops what was pipelined after it", async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/a', 'Connection: close\r\n') + get('/after'));
    const responses = await client.all();
    expect(responses).toHaveLength(1);
    expect(text(responses[0])).toBe('GET /a 0');
    expect(header(responses[0], 'connection')).toBe('close');
    expect(client.ended).toBe(true);
    expect(client.error).toBeNull();
    await probe(p.port);
    expect(seen.map((s) => s.url)).toEqual(['/a', '/probe']);
  });

  it('hands an HTTP/1.0 request to node, which answers and closes', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`GET /old HTTP/1.0\r\nHost: ${app}\r\n\r\n`);
    const responses = await client.all();
    expect(responses.map((r) => [r.status, text(r)])).toEqual([[200, 'GET /old 0']]);
    expect(handedOver).toEqual(['GET /old']);
  });
});

describe('front: request bodies with Content-Length', () => {
  it('reads a request written one byte per write, then the next one', { timeout: 20_000 }, async () => {
    const p = await start();
    const client = connect(p.port);
    await client.trickle(post('/bytes', 'hello world', 'X-Any: 1\r\n') + get('/next'));
    const responses = await client.responses(2);
    expect(responses.map(text)).toEqual(['POST /bytes 11', 'GET /next 0']);
    expect(seen.map((s) => s.body.toString())).toEqual(['hello world', '']);
    expect(handedOver).toEqual([]);
  });

  it('forwards body bytes that came in the same packet as the head', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(post('/one', 'hello'));
    const [response] = await client.responses(1);
    expect(text(response)).toBe('POST /one 5');
    expect(seen[0]?.body.toString()).toBe('hello');
    expect(seen[0]?.headers['content-length']).toBe('5');
  });

  it('splits a packet holding a body and the next request at the body end', async () => {
    const p = await start();
    const client = connect(p.port);
    // The body looks like a request: it must reach the backend as body, not as a request.
    const body = get('/smuggled');
    await client.write(post('/carrier', body) + get('/next'));
    const responses = await client.responses(2);
    expect(responses.map(text)).toEqual([`POST /carrier ${body.length}`, 'GET /next 0']);
    expect(seen.map((s) => s.url)).toEqual(['/carrier', '/next']);
    expect(seen[0]?.body.toString()).toBe(body);
  });

  it('streams a 20 MB upload to a slow backend intact', { timeout: 60_000 }, async () => {
    const size = 20 * 1024 * 1024;
    const body = randomBytes(size);
    const p = await start({
      handler: (req, res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          bytes += chunk.length;
          // A slow reader: backpressure has to reach the client through the proxy.
          req.pause();
          setImmediate(() => req.resume());
        });
        req.on('end', () => res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
      },
    });
    const client = connect(p.port);
    void client.write(`POST /upload HTTP/1.1\r\nHost: ${app}\r\nContent-Length: ${size}\r\n\r\n`);
    void client.write(body);
    const [response] = await client.responses(1, { timeoutMs: 50_000 });
    expect(response?.status).toBe(200);
    expect(JSON.parse(text(response))).toEqual({ bytes: size, sha256: createHash('sha256').update(body).digest('hex') });
    await waitFor(() => p.events.length === 1);
    expect(p.events[0]).toMatchObject({ status: 200, bytesIn: size });
    expect(handedOver).toEqual([]);
  });

  it('forwards Content-Length: 0 as an empty body and keeps the connection', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(post('/zero', '') + get('/after'));
    const responses = await client.responses(2);
    expect(responses.map(text)).toEqual(['POST /zero 0', 'GET /after 0']);
    expect(seen[0]?.headers['content-length']).toBe('0');
    expect(seen[0]?.headers['transfer-encoding']).toBeUndefined();
  });

  it('answers a backend that replies before reading the body, then closes cleanly while the client still sends', async () => {
    const record = recorder(seen);
    const p = await start({
      handler: (req, res) => {
        if (req.url !== '/early') return record(req, res);
        res.writeHead(413, { 'content-type': 'text/plain' });
        res.end('too big');
      },
    });
    const client = connect(p.port, { allowHalfOpen: true });
    await client.write(`POST /early HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 300000\r\n\r\n${'z'.repeat(1000)}`);
    const [response] = await client.responses(1);
    expect(response?.status).toBe(413);
    expect(text(response)).toBe('too big');
    expect(header(response, 'connection')).toBe('close');
    await waitFor(() => client.ended, 5000, "the proxy's FIN");
    // The rest of the body after the FIN: read and dropped, no reset.
    await client.write(Buffer.alloc(299_000, 'z'));
    client.socket.end();
    await client.waitClosed();
    expect(client.error).toBeNull();
    expect(parseResponses(client.data, [], true)).toHaveLength(1);
    await probe(p.port);
  });
});

describe('front: request smuggling and malformed heads', () => {
  it('hands Content-Length with Transfer-Encoding to node: 400, and the backend sees nothing', async () => {
    const p = await start();
    const client = connect(p.port);
    const attack = `POST /clte HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: ${app}\r\n\r\n`;
    await client.write(get('/first') + attack);
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([200, 400]);
    await probe(p.port);
    expect(seen.map((s) => s.url)).toEqual(['/first', '/probe']);
  });

  it.each([
    ['two different Content-Length values', `POST /cl HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 5\r\nContent-Length: 41\r\n\r\nhello${get('/smuggled')}`],
    ['a signed Content-Length', `POST /cl HTTP/1.1\r\nHost: ${app}\r\nContent-Length: +5\r\n\r\nhello${get('/smuggled')}`],
    ['Transfer-Encoding with a space before the colon', `POST /te HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${get('/smuggled')}`],
    ['an obs-fold line', `GET /fold HTTP/1.1\r\nHost: ${app}\r\nX-Fold: a\r\n b\r\n\r\n${get('/smuggled')}`],
    ['an obs-fold Content-Length', `POST /fold HTTP/1.1\r\nHost: ${app}\r\nX-Fold: a\r\n Content-Length: 5\r\n\r\n${get('/smuggled')}`],
    ['a space before the colon', `GET /space HTTP/1.1\r\nHost : ${app}\r\n\r\n${get('/smuggled')}`],
    ['a NUL in a header value', `GET /nul HTTP/1.1\r\nHost: ${app}\r\nX-Nul: a\0b\r\n\r\n${get('/smuggled')}`],
    ['a bare CR in a header value', `GET /cr HTTP/1.1\r\nHost: ${app}\r\nX-Cr: a\rb\r\n\r\n${get('/smuggled')}`],
  ])('hands %s to node: 400 and close, the backend sees no request', async (_name, attack) => {
    const p = await start();
    const client = connect(p.port);
    await client.write(attack);
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([400]);
    await probe(p.port);
    expect(seen.map((s) => s.url)).toEqual(['/probe']);
  });

  it('hands a request without Host to node: 400 and close, the backend sees nothing', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`GET /nohost HTTP/1.1\r\nX-Any: 1\r\n\r\n`);
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([400]);
    await probe(p.port);
    expect(seen.map((s) => s.url)).toEqual(['/probe']);
  });

  it('hands a duplicate Host to node; the backend gets one Host', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`GET /dup HTTP/1.1\r\nHost: ${app}\r\nHost: evil.example.com\r\n\r\n`);
    const [response] = await client.responses(1);
    expect(handedOver).toEqual(['GET /dup']);
    if (response?.status === 200) {
      expect(seen).toHaveLength(1);
      expect(seen[0]?.rawHeaders.filter((_, i, all) => i % 2 === 0 && all[i]?.toLowerCase() === 'host')).toHaveLength(1);
      expect(seen[0]?.headers.host).toBe(app);
    } else {
      expect(response?.status).toBe(400);
      expect(seen).toEqual([]);
    }
  });

  it('hands a head larger than 16 KB to node: 431', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/big', `X-Big: ${'a'.repeat(20_000)}\r\n`));
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([431]);
    expect(seen).toEqual([]);
  });

  it('answers 431 once 16 KB arrived without the end of the head, without waiting for the rest', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`GET /big HTTP/1.1\r\nHost: ${app}\r\nX-Big: ${'a'.repeat(17 * 1024)}`);
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([431]);
  });

  it.each([
    ['a TLS ClientHello', Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), randomBytes(32)])],
    ['an SSH banner', Buffer.from('SSH-2.0-OpenSSH_9.6\r\n')],
    ['the HTTP/2 connection preface', Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')],
    ['a PROXY protocol line', Buffer.from('PROXY TCP4 192.0.2.1 192.0.2.2 56324 443\r\n')],
    ['a request with bare LF line endings', Buffer.from(`GET /lf HTTP/1.1\nHost: ${app}\n\n`)],
    ['a head ending in bare LFs', Buffer.from(`GET /lf HTTP/1.1\r\nHost: ${app}\n\n`)],
  ])('hands %s to node, which answers 400 and closes, without waiting for more bytes', { timeout: 15_000 }, async (_name, bytes) => {
    const p = await start();
    const client = connect(p.port);
    await client.write(bytes);
    // The front's idle timer would close a connection that hangs after 5 s, without an answer.
    const responses = await client.all({ timeoutMs: 10_000 });
    expect(responses.map((r) => r.status)).toEqual([400]);
    expect(seen).toEqual([]);
  });
});

describe('front: error pages', () => {
  it('answers 404 for an unknown host and keeps the connection for the next request', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/', '', 'nope.example.com') + get('/ok'));
    const responses = await client.responses(2);
    expect(responses.map((r) => r.status)).toEqual([404, 200]);
    expect(header(responses[0], 'connection')).toBe('keep-alive');
    expect(header(responses[0], 'x-ingress-dev-error')).toBe('no-route');
    expect(text(responses[0])).toContain('nope.example.com');
    expect(text(responses[1])).toBe('GET /ok 0');
    expect(handedOver).toEqual([]);
    await waitFor(() => p.events.length === 2);
    expect(p.events.map((e) => e.status)).toEqual([404, 200]);
  });

  it('answers 503 for a Service mapped to nothing, from the front', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/', '', 'unmapped.example.com') + get('/ok'));
    const responses = await client.responses(2);
    expect(responses.map((r) => r.status)).toEqual([503, 200]);
    expect(handedOver).toEqual([]);
  });

  it('closes after a 404 for a request with a body; the pipelined request is dropped, other connections are served', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(post('/', 'hello', '', 'nope.example.com') + get('/dropped'));
    const responses = await client.all();
    expect(responses.map((r) => r.status)).toEqual([404]);
    expect(header(responses[0], 'connection')).toBe('close');
    await probe(p.port);
    expect(seen.map((s) => s.url)).toEqual(['/probe']);
  });

  it('reads and drops the rest of a body after its 404, so the client sees the answer and a clean close', async () => {
    const p = await start();
    const client = connect(p.port, { allowHalfOpen: true });
    await client.write(`POST /upload HTTP/1.1\r\nHost: nope.example.com\r\nContent-Length: 500000\r\n\r\n${'b'.repeat(1000)}`);
    const [response] = await client.responses(1);
    expect(response?.status).toBe(404);
    expect(header(response, 'connection')).toBe('close');
    await waitFor(() => client.ended, 5000, "the proxy's FIN");
    await client.write(Buffer.alloc(499_000, 'b'));
    client.socket.end();
    await client.waitClosed();
    expect(client.error).toBeNull();
    expect(parseResponses(client.data, [], true)).toHaveLength(1);
  });

  it('answers HEAD with the error page headers and no body, and the connection stays usable', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`HEAD /x HTTP/1.1\r\nHost: nope.example.com\r\n\r\n${get('/after')}`);
    const responses = await client.responses(2, { methods: ['HEAD', 'GET'] });
    expect(responses.map((r) => r.status)).toEqual([404, 200]);
    expect(Number(header(responses[0], 'content-length'))).toBeGreaterThan(0);
    expect(responses[0]?.body.length).toBe(0);
    expect(text(responses[1])).toBe('GET /after 0');
  });

  it('answers JSON when the client accepts JSON', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/x', 'Accept: application/json\r\n', 'nope.example.com'));
    const [response] = await client.responses(1);
    expect(header(response, 'content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(text(response))).toMatchObject({ error: { status: 404, kind: 'no-route' } });
  });
});

describe('front: upstream failures', () => {
  it('answers 502 when the backend refuses, and keeps the connection', async () => {
    const port = await freePort();
    const p = await start({ map: { down: port } });
    const client = connect(p.port);
    await client.write(get('/x', '', 'down.example.com') + get('/after'));
    const responses = await client.responses(2);
    expect(responses.map((r) => r.status)).toEqual([502, 200]);
    expect(header(responses[0], 'x-ingress-dev-error')).toBe('refused');
    expect(header(responses[0], 'connection')).toBe('keep-alive');
    await waitFor(() => p.events.length === 2);
    expect(p.events[0]).toMatchObject({ status: 502, error: `connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  it('answers 502 with Connection: close to a request whose body is still coming, then closes cleanly', async () => {
    const port = await freePort();
    const p = await start({ map: { down: port } });
    const client = connect(p.port, { allowHalfOpen: true });
    await client.write(`PUT /x HTTP/1.1\r\nHost: down.example.com\r\nContent-Length: 200000\r\n\r\n${'u'.repeat(1000)}`);
    const [response] = await client.responses(1);
    expect(response?.status).toBe(502);
    expect(header(response, 'connection')).toBe('close');
    await waitFor(() => client.ended, 5000, "the proxy's FIN");
    await client.write(Buffer.alloc(199_000, 'u'));
    client.socket.end();
    await client.waitClosed();
    expect(client.error).toBeNull();
    await probe(p.port);
  });

  it.each([
    ['resets during a Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789', true],
    ['closes during a Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789', false],
    ['resets during a chunked body', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n', true],
    ['closes during a chunked body', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n', false],
  ])('cuts the client connection when the backend %s after the head went out', async (_name, partial, reset) => {
    const backend = await startRawBackend((socket) => socket.write(partial));
    const p = await start({ map: { raw: backend.port } });
    const client = connect(p.port);
    await client.write(get('/partial', '', raw));
    await waitFor(() => client.data.includes('0123456789'), 5000, 'the partial body');
    const socket = backend.sockets[0] as net.Socket;
    if (reset) socket.resetAndDestroy();
    else socket.end();
    await client.waitClosed();
    expect(client.data.toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    // The client can tell: the response is incomplete by its own framing.
    expect(parseResponses(client.data, [], false)).toEqual([]);
    expect(client.data.includes('0\r\n\r\n')).toBe(false);
    await waitFor(() => p.events.length >= 1);
    expect(p.events[0]?.status).toBe(200);
    expect(p.events[0]?.error).toContain('closed the connection before the response was complete');
    await probe(p.port);
    expect(p.events).toHaveLength(2);
  });

  it('does not start a request pipelined behind a response it had to cut', async () => {
    const backend = await startRawBackend((socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789');
    });
    const p = await start({ map: { raw: backend.port } });
    const client = connect(p.port);
    await client.write(get('/partial', '', raw) + get('/never'));
    await client.waitClosed();
    await probe(p.port);
    expect(seen.map((s) => s.url)).toEqual(['/probe']);
    expect(p.events.map((e) => e.path)).toEqual(['/partial', '/probe']);
  });

  it('releases the upstream connection when the client disconnects mid-response', async () => {
    let backendSawClose = false;
    const p = await start({ handler: streamingHandler(() => (backendSawClose = true)) });
    const client = connect(p.port);
    await client.write(get('/stream'));
    await waitFor(() => client.data.length > 100_000, 5000, 'the stream to flow');
    client.socket.destroy();
    await waitFor(() => backendSawClose, 5000, 'the backend to see the close');
    await waitFor(() => p.events.length >= 1);
    expect(p.events[0]).toMatchObject({ path: '/stream', status: 499, error: 'the client closed the connection' });
    await probe(p.port);
    expect(p.events).toHaveLength(2);
  });
});

describe('front: responses', () => {
  it('re-chunks a chunked response correctly', async () => {
    const record = recorder(seen);
    const p = await start({
      handler: (req, res) => {
        if (req.url !== '/chunks') return record(req, res);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('a');
        res.write(Buffer.alloc(100_000, 'b'));
        setImmediate(() => res.end('c'));
      },
    });
    const client = connect(p.port);
    await client.write(get('/chunks') + get('/after'));
    const responses = await client.responses(2);
    expect(responses[0]?.chunked).toBe(true);
    expect(text(responses[0])).toBe(`a${'b'.repeat(100_000)}c`);
    expect(text(responses[1])).toBe('GET /after 0');
  });

  it.each([
    ['an HTTP/1.1 response delimited by the close', 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil the close'],
    ['an HTTP/1.0 response', 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close'],
  ])('sends %s on chunked, and keeps the client connection', async (_name, response) => {
    const backend = await startRawBackend((socket) => socket.end(response));
    const p = await start({ map: { raw: backend.port } });
    const client = connect(p.port);
    await client.write(get('/1', '', raw) + get('/2', '', raw));
    const responses = await client.responses(2);
    expect(responses.map((r) => [r.status, r.chunked, text(r), header(r, 'connection')])).toEqual([
      [200, true, 'until the close', 'keep-alive'],
      [200, true, 'until the close', 'keep-alive'],
    ]);
    expect(client.closed).toBe(false);
  });

  it('sends 204 and 304 without a body or chunked framing', async () => {
    const record = recorder(seen);
    const p = await start({
      handler: (req, res) => {
        if (req.url === '/204') res.writeHead(204).end();
        else if (req.url === '/304') res.writeHead(304, { etag: '"v1"' }).end();
        else record(req, res);
      },
    });
    const client = connect(p.port);
    await client.write(get('/204') + get('/304') + get('/after'));
    const responses = await client.responses(3);
    expect(responses.map((r) => r.status)).toEqual([204, 304, 200]);
    expect(values(responses[0], 'transfer-encoding')).toEqual([]);
    expect(values(responses[1], 'transfer-encoding')).toEqual([]);
    expect(header(responses[1], 'etag')).toBe('"v1"');
    expect(text(responses[2])).toBe('GET /after 0');
  });

  it('answers HEAD with the backend Content-Length and no body', async () => {
    const record = recorder(seen);
    const p = await start({
      handler: (req, res) => {
        if (req.method !== 'HEAD') return record(req, res);
        res.writeHead(200, { 'content-length': '1234', 'content-type': 'text/plain' });
        res.end();
      },
    });
    const client = connect(p.port);
    await client.write(`HEAD /h HTTP/1.1\r\nHost: ${app}\r\n\r\n${get('/after')}`);
    const responses = await client.responses(2, { methods: ['HEAD', 'GET'] });
    expect(responses[0]?.status).toBe(200);
    expect(header(responses[0], 'content-length')).toBe('1234');
    expect(values(responses[0], 'transfer-encoding')).toEqual([]);
    expect(responses[0]?.body.length).toBe(0);
    expect(text(responses[1])).toBe('GET /after 0');
  });

  it('sends one Date header, whether the backend sent one or not', async () => {
    const backend = await startRawBackend((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const p = await start({ map: { raw: backend.port } });
    const client = connect(p.port);
    await client.write(get('/with-date') + get('/without-date', '', raw) + get('/x', '', 'nope.example.com'));
    const responses = await client.responses(3);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 404]);
    for (const response of responses) expect(values(response, 'date')).toHaveLength(1);
    expect(Number.isNaN(Date.parse(header(responses[1], 'date') ?? ''))).toBe(false);
  });

  it('generates an X-Request-ID (32 hex) when absent or invalid, and keeps a valid one', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/none') + get('/kept', 'X-Request-ID: trace-123\r\n') + get('/invalid', 'X-Request-ID: has space\r\n'));
    await client.responses(3);
    const ids = seen.map((s) => s.headers['x-request-id']);
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[1]).toBe('trace-123');
    expect(ids[2]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[2]).not.toBe(ids[0]);
    await waitFor(() => p.events.length === 3);
    expect(p.events.map((e) => e.id)).toEqual(ids);
  });

  it('appends the client address to X-Forwarded-For and sets the other forwarding headers', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/xff', 'X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: 198.51.100.1\r\nX-Real-IP: 6.6.6.6\r\n'));
    await client.responses(1);
    expect(seen[0]?.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.7, 198.51.100.1, 127.0.0.1',
      'x-real-ip': '127.0.0.1',
      'x-forwarded-host': app,
      'x-forwarded-port': String(p.port),
      'x-forwarded-proto': 'http',
      host: app,
    });
  });

  it('forwards header values with obs-text bytes unchanged', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(Buffer.from(get('/latin', 'X-Latin: caf\xe9 \xff\r\n'), 'latin1'));
    await client.responses(1);
    expect(handedOver).toEqual([]);
    const at = seen[0]?.rawHeaders.indexOf('X-Latin') ?? -1;
    expect(Buffer.from(seen[0]?.rawHeaders[at + 1] ?? '', 'latin1')).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff]));
  });

  // RFC 9112 section 6.3: Transfer-Encoding overrides Content-Length, and an intermediary must
  // remove the Content-Length before forwarding. Passing both on (or the length alone, with the
  // de-chunked body) lets the client read the body with the wrong length: a desynchronised stream.
  it('does not pass on a backend Content-Length that Transfer-Encoding overrides', async () => {
    const backend = await startRawBackend((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n'),
    );
    const p = await start({ map: { raw: backend.port } });
    const client = connect(p.port);
    await client.write(get('/te-cl', '', raw) + get('/after'));
    const responses = await client.responses(2);
    expect(text(responses[0])).toBe('0123456789');
    expect(text(responses[1])).toBe('GET /after 0');
  });
});

describe('front: half-close', () => {
  it('answers a request whose client half-closed right after it', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/hc'));
    client.socket.end();
    const responses = await client.all();
    expect(responses.map(text)).toEqual(['GET /hc 0']);
  });

  it('answers a slow request whose client half-closed while it was in flight', async () => {
    const held: ServerResponse[] = [];
    const p = await start({ handler: holdingHandler(held) });
    const client = connect(p.port);
    await client.write(post('/hold', 'body'));
    client.socket.end();
    await waitFor(() => held.length === 1);
    held[0]?.end('late answer');
    const responses = await client.all();
    expect(responses.map(text)).toEqual(['late answer']);
  });

  // The body can never be completed: node's server aborts such a request at the FIN (the backend
  // sees its upload cut); holding it until the upstream send timeout (60 s) keeps the backend
  // waiting for bytes that will not come.
  it('aborts the upstream request when the client half-closes in the middle of a Content-Length body', async () => {
    let backendSawAbort = false;
    const record = recorder(seen);
    const p = await start({
      handler: (req, res) => {
        if (req.url !== '/upload') return record(req, res);
        req.resume();
        req.on('close', () => (backendSawAbort = !req.complete));
      },
    });
    const client = connect(p.port);
    await client.write(`POST /upload HTTP/1.1\r\nHost: ${app}\r\nContent-Length: 100000\r\n\r\n${'q'.repeat(1000)}`);
    await waitFor(() => p.events.length === 0 && upstream !== null && upstream.connections === 1);
    client.socket.end();
    await waitFor(() => backendSawAbort, 5000, 'the backend to see the upload aborted');
    await waitFor(() => p.events.length === 1);
    await probe(p.port);
  });

  // node's own server answers every request it read before the FIN (checked by hand on node 20).
  it('answers every pipelined request written before the half-close', async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/one') + get('/two'));
    client.socket.end();
    const responses = await client.all();
    expect(responses.map(text)).toEqual(['GET /one 0', 'GET /two 0']);
  });
});

describe('front: shutdown', () => {
  it('closes an idle kept-alive connection at once', { timeout: 10_000 }, async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(get('/a'));
    await client.responses(1);
    // A grace far past the test's timeout: the close must not wait for it.
    await p.proxy.close(30_000);
    await client.waitClosed();
  });

  it('closes an idle connection node serves (after an HTTP/1.0 keep-alive request) at once', { timeout: 10_000 }, async () => {
    const p = await start();
    const client = connect(p.port);
    await client.write(`GET /old HTTP/1.0\r\nHost: ${app}\r\nConnection: keep-alive\r\n\r\n`);
    await client.responses(1);
    expect(handedOver).toEqual(['GET /old']);
    await p.proxy.close(30_000);
    await client.waitClosed();
  });

  it('lets a request in flight finish, then closes its connection', { timeout: 10_000 }, async () => {
    const held: ServerResponse[] = [];
    const p = await start({ handler: holdingHandler(held) });
    const client = connect(p.port);
    await client.write(get('/hold'));
    await waitFor(() => held.length === 1);
    const closing = p.proxy.close(30_000);
    held[0]?.end('finished after close');
    const responses = await client.all();
    expect(responses.map(text)).toEqual(['finished after close']);
    await closing;
  });

  it('says Connection: close on a response that started after the close began', { timeout: 10_000 }, async () => {
    const held: ServerResponse[] = [];
    const p = await start({ handler: holdingHandler(held) });
    const client = connect(p.port);
    await client.write(get('/hold'));
    await waitFor(() => held.length === 1);
    const closing = p.proxy.close(30_000);
    held[0]?.end('finished after close');
    const responses = await client.all();
    expect(header(responses[0], 'connection')).toBe('close');
    await closing;
  });
});

describe('front: events', () => {
  it('emits exactly one request-completed event per request, with its status', async () => {
    const port = await freePort();
    let streamClosed = false;
    const p = await start({ handler: streamingHandler(() => (streamClosed = true)), map: { down: port } });
    const client = connect(p.port);
    const id = (n: number): string => `X-Request-ID: ev-${n}\r\n`;
    await client.write(
      get('/e1', id(1)) +
        get('/', id(2), 'nope.example.com') +
        get('/', id(3), 'down.example.com') +
        `HEAD /e4 HTTP/1.1\r\nHost: ${app}\r\n${id(4)}\r\n` +
        post('/e5', 'body', id(5)) +
        `GET /e6 HTTP/1.0\r\nHost: ${app}\r\nConnection: keep-alive\r\n${id(6)}\r\n` +
        get('/e7', id(7)),
    );
    const responses = await client.responses(7, { methods: ['GET', 'GET', 'GET', 'HEAD', 'POST', 'GET', 'GET'] });
    expect(responses.map((r) => r.status)).toEqual([200, 404, 502, 200, 200, 200, 200]);

    const gone = connect(p.port);
    await gone.write(get('/stream', id(8)));
    await waitFor(() => gone.data.length > 0);
    gone.socket.destroy();
    await waitFor(() => streamClosed && p.events.length >= 8);
    await probe(p.port);
    await waitFor(() => p.events.length >= 9);

    const byId = new Map<string, number[]>();
    for (const event of p.events) byId.set(event.id, [...(byId.get(event.id) ?? []), event.status]);
    expect(Object.fromEntries([...byId].filter(([key]) => key.startsWith('ev-')))).toEqual({
      'ev-1': [200],
      'ev-2': [404],
      'ev-3': [502],
      'ev-4': [200],
      'ev-5': [200],
      'ev-6': [200],
      'ev-7': [200],
      'ev-8': [499],
    });
    expect(p.events).toHaveLength(9);
  });
});
