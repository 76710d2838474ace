import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  maxResponseHeadBytes,
  UpstreamError,
  UpstreamPool,
  type ResponseHandler,
  type UpstreamExchange,
  type UpstreamRequest,
  type UpstreamTimeouts,
} from '../../src/proxy/upstream-client.js';
import { closeServer, freePort, startUpstream, tlsOptions, waitFor, type Upstream } from './harness.js';

// The proxy's own HTTP/1.1 client, driven directly against real backends on 127.0.0.1: mostly raw
// TCP servers that write exact response bytes, so the framing is what the test says it is.

// ---------------------------------------------------------------------------------------------
// Resources, closed after every test

const pools: UpstreamPool[] = [];
const recorders: Recorder[] = [];
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const pool of pools.splice(0)) pool.close();
  for (const cleanup of cleanups.splice(0).toReversed()) await cleanup();
  // The handler contract, for every exchange of the test: exactly one of onEnd or onError, last.
  for (const recorder of recorders.splice(0)) {
    const terminal = recorder.calls.filter((call) => call === 'end' || call === 'error');
    expect(terminal, `terminal callbacks of ${recorder.label}`).toHaveLength(1);
    expect(recorder.calls.at(-1), `last callback of ${recorder.label}`).toBe(terminal[0]);
  }
});

const defaultTimeouts: UpstreamTimeouts = { connectTimeoutMs: 5_000, readTimeoutMs: 10_000, sendTimeoutMs: 10_000 };

function createPool(port: number, timeouts: Partial<UpstreamTimeouts> = {}, protocol: 'http:' | 'https:' = 'http:'): UpstreamPool {
  const pool = new UpstreamPool({ protocol, host: '127.0.0.1', port }, { ...defaultTimeouts, ...timeouts });
  pools.push(pool);
  return pool;
}

// ---------------------------------------------------------------------------------------------
// A handler that records what it is told

type Call = 'head' | 'data' | 'end' | 'error';

interface Hooks {
  /** What onData returns (true when absent). */
  readonly onData?: (chunk: Buffer, recorder: Recorder) => boolean;
  readonly onHead?: (recorder: Recorder) => void;
}

class Recorder implements ResponseHandler {
  exchange: UpstreamExchange | null = null;
  status: number | null = null;
  statusMessage: string | null = null;
  headers: string[] = [];
  readonly chunks: Buffer[] = [];
  readonly calls: Call[] = [];
  error: UpstreamError | null = null;
  bodyProgress = 0;
  readonly settled: Promise<void>;
  private markSettled: () => void = () => {};

  constructor(
    readonly label: string,
    private readonly hooks: Hooks = {},
  ) {
    this.settled = new Promise((resolve) => (this.markSettled = resolve));
  }

  onHead(status: number, statusMessage: string, rawHeaders: string[]): void {
    this.calls.push('head');
    this.status = status;
    this.statusMessage = statusMessage;
    this.headers = rawHeaders;
    this.hooks.onHead?.(this);
  }

  onData(chunk: Buffer): boolean {
    this.calls.push('data');
    this.chunks.push(Buffer.from(chunk));
    return this.hooks.onData?.(chunk, this) ?? true;
  }

  onEnd(): void {
    this.calls.push('end');
    this.markSettled();
  }

  onError(err: UpstreamError): void {
    this.calls.push('error');
    this.error = err;
    this.markSettled();
  }

  onBodyProgress(bytes: number): void {
    this.bodyProgress = bytes;
  }

  get ended(): boolean {
    return this.calls.includes('end');
  }

  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.body.toString('latin1');
  }
}

/** Starts a request; the recorder is checked for exactly-once callbacks after the test. */
function start(pool: UpstreamPool, request: UpstreamRequest, hooks: Hooks = {}): Recorder {
  const recorder = new Recorder(`${request.method} ${JSON.stringify(request.path)}`, hooks);
  recorders.push(recorder);
  recorder.exchange = pool.request(request, recorder);
  return recorder;
}

async function settled(recorder: Recorder, timeoutMs = 5_000): Promise<Recorder> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${recorder.label} got neither onEnd nor onError within ${timeoutMs} ms (calls: ${recorder.calls.join(',')})`)), timeoutMs);
  });
  try {
    await Promise.race([recorder.settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
  return recorder;
}

function fetchFrom(pool: UpstreamPool, request: UpstreamRequest, hooks: Hooks = {}): Promise<Recorder> {
  return settled(start(pool, request, hooks));
}

function get(path = '/', headers: readonly string[] = []): UpstreamRequest {
  return { method: 'GET', path, headers: ['Host', 'backend.test', ...headers], body: null };
}

function expectEnded(recorder: Recorder): void {
  expect(recorder.error?.message ?? null, `${recorder.label}: onError`).toBeNull();
  expect(recorder.ended, `${recorder.label}: onEnd`).toBe(true);
}

function expectError(recorder: Recorder, code: string | readonly string[]): void {
  expect(recorder.ended, `${recorder.label}: onEnd`).toBe(false);
  const codes = typeof code === 'string' ? [code] : code;
  expect(codes, `${recorder.label}: error ${recorder.error?.code} ${recorder.error?.message}`).toContain(recorder.error?.code);
}

const closeCodes = ['UPSTREAM_CLOSED', 'ECONNRESET', 'EPIPE'] as const;

// ---------------------------------------------------------------------------------------------
// Raw backends: they parse requests loosely and answer with exact bytes

interface Received {
  readonly socket: net.Socket;
  /** Which accepted connection, from 0. */
  readonly connection: number;
  /** Which request on that connection, from 0. */
  readonly index: number;
  readonly head: string;
  /** The body as framed on the wire (chunk sizes included). */
  readonly body: Buffer;
  readonly raw: Buffer;
}

type Respond = (request: Received) => unknown;

interface RawBackend {
  readonly port: number;
  readonly sockets: net.Socket[];
  readonly requests: Received[];
  /** Bytes received, per connection. */
  readonly bytes: number[];
  /** Per connection: the client half-closed or closed it before the backend closed its side. */
  readonly closedByClient: boolean[];
  /** Per connection: the socket is closed. */
  readonly closed: boolean[];
}

function startRawBackend(respond: Respond, options: { tls?: boolean; onConnection?: (socket: net.Socket) => void } = {}): Promise<RawBackend> {
  const backend = { port: 0, sockets: [] as net.Socket[], requests: [] as Received[], bytes: [] as number[], closedByClient: [] as boolean[], closed: [] as boolean[] };
  const onConnection = (socket: net.Socket): void => {
    const connection = backend.sockets.length;
    backend.sockets.push(socket);
    backend.bytes.push(0);
    backend.closedByClient.push(false);
    backend.closed.push(false);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('end', () => {
      if (socket.writable) backend.closedByClient[connection] = true;
    });
    socket.on('close', () => (backend.closed[connection] = true));
    options.onConnection?.(socket);
    let buffered = Buffer.alloc(0);
    let index = 0;
    let queue: Promise<unknown> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      backend.bytes[connection] = (backend.bytes[connection] ?? 0) + chunk.length;
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const taken = takeRequest(buffered);
        if (taken === null) return;
        const raw = buffered.subarray(0, taken.length);
        buffered = buffered.subarray(taken.length);
        const request: Received = { socket, connection, index: index++, head: taken.head, body: taken.body, raw };
        backend.requests.push(request);
        queue = queue.then(() => respond(request)).catch(() => socket.destroy());
      }
    });
  };
  const server = options.tls === true ? tls.createServer(tlsOptions(), onConnection) : net.createServer(onConnection);
  cleanups.push(() => {
    for (const socket of backend.sockets) socket.destroy();
    return closeServer(server);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      backend.port = (server.address() as net.AddressInfo).port;
      resolve(backend);
    }),
  );
}

/** One request off the front of `buffer`: Content-Length or chunked (without trailers) bodies. */
function takeRequest(buffer: Buffer): { head: string; body: Buffer; length: number } | null {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buffer.toString('latin1', 0, end);
  const bodyStart = end + 4;
  const contentLength = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  if (contentLength !== null) {
    const length = bodyStart + Number(contentLength[1]);
    return buffer.length < length ? null : { head, body: buffer.subarray(bodyStart, length), length };
  }
  if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(head)) {
    let at = bodyStart;
    for (;;) {
      const lineEnd = buffer.indexOf('\r\n', at);
      if (lineEnd < 0) return null;
      const size = Number.parseInt(buffer.toString('latin1', at, lineEnd), 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size from the client');
      if (size === 0) {
        const length = lineEnd + 4;
        return buffer.length < length ? null : { head, body: buffer.subarray(bodyStart, length), length };
      }
      at = lineEnd + 2 + size + 2;
      if (buffer.length < at) return null;
    }
  }
  return { head, body: Buffer.alloc(0), length: bodyStart };
}

function latin1(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

function okResponse(body: string, extraHeaders = ''): Buffer {
  return latin1(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n${extraHeaders}\r\n${body}`);
}

function write(socket: net.Socket, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
}

/** Two turns of the event loop, so the client polls its socket between two writes. */
async function twoTurns(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/** Writes `data` in pieces cut at `cuts`, letting the client read each piece on its own. */
async function writeInPieces(socket: net.Socket, data: Buffer, cuts: readonly number[]): Promise<void> {
  let from = 0;
  for (const at of [...cuts.toSorted((a, b) => a - b), data.length]) {
    if (at <= from || at > data.length) continue;
    await write(socket, data.subarray(from, at));
    await twoTurns();
    from = at;
  }
}

/** A loopback round trip: the event loop has polled for I/O at least twice when it resolves. */
async function roundTrip(): Promise<void> {
  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('x');
  await once(socket, 'data');
  socket.destroy();
  await closeServer(server);
}

/** A request body of `total` bytes made on demand, in 64 KB pieces, hashed as it goes. */
function generatedBody(total: number): { stream: Readable; generated: () => number; sha256: () => string } {
  const hash = createHash('sha256');
  let generated = 0;
  const stream = new Readable({
    read() {
      if (generated >= total) {
        this.push(null);
        return;
      }
      const size = Math.min(64 * 1024, total - generated);
      const piece = Buffer.alloc(size, generated % 251);
      generated += size;
      hash.update(piece);
      this.push(piece);
    },
  });
  cleanups.push(() => stream.destroy());
  return { stream, generated: () => generated, sha256: () => hash.copy().digest('hex') };
}

/** A node:http backend that answers with what it received, as JSON. */
async function startEchoBackend(options: { tls?: boolean } = {}): Promise<Upstream> {
  const upstream = await startUpstream((req, res) => {
    const hash = createHash('sha256');
    const pieces: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
      if (length <= 1024 * 1024) pieces.push(chunk);
    });
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, length, sha256: hash.digest('hex'), text: Buffer.concat(pieces).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  }, options);
  cleanups.push(() => upstream.close());
  return upstream;
}

interface Echoed {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly length: number;
  readonly sha256: string;
  readonly text: string;
}

function echoed(recorder: Recorder): Echoed {
  return JSON.parse(recorder.body.toString('utf8')) as Echoed;
}

// ---------------------------------------------------------------------------------------------

describe('UpstreamPool', { timeout: 30_000 }, () => {
  describe('response bodies', () => {
    it('reads a Content-Length body and keeps the connection for the next request', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse(`hello ${req.index}`, 'X-Thing: one\r\n')));
      const pool = createPool(backend.port);
      const first = await fetchFrom(pool, get('/a'));
      expectEnded(first);
      expect(first.status).toBe(200);
      expect(first.statusMessage).toBe('OK');
      expect(first.text).toBe('hello 0');
      expect(pool.size).toBe(1);
      const second = await fetchFrom(pool, get('/b'));
      expectEnded(second);
      expect(second.text).toBe('hello 1');
      expect(backend.sockets).toHaveLength(1);
    });

    it('passes the status message and the raw headers through, duplicates and case kept, values trimmed', async () => {
      const backend = await startRawBackend((req) =>
        req.socket.write(latin1('HTTP/1.1 299 Something  Odd\r\nset-cookie: a=1\r\nSet-Cookie:b=2\r\nX-Spaces: \t padded \t\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n')),
      );
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectEnded(recorder);
      expect(recorder.status).toBe(299);
      expect(recorder.statusMessage).toBe('Something  Odd');
      expect(recorder.headers).toEqual(['set-cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Spaces', 'padded', 'X-Empty', '', 'Content-Length', '0']);
      expect(recorder.calls).toEqual(['head', 'end']);
    });

    it('accepts a status line without a reason phrase', async () => {
      const backend = await startRawBackend((req) => req.socket.write(latin1('HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectEnded(recorder);
      expect([recorder.status, recorder.statusMessage, recorder.text]).toEqual([200, '', 'ok']);
    });

    it('ends a Content-Length: 0 body at once and keeps the connection', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('')));
      const pool = createPool(backend.port);
      for (let i = 0; i < 3; i++) {
        const recorder = await fetchFrom(pool, get());
        expectEnded(recorder);
        expect(recorder.calls).toEqual(['head', 'end']);
      }
      expect(backend.sockets).toHaveLength(1);
    });

    it('reads a large Content-Length body (8 MB) intact', async () => {
      const body = Buffer.alloc(8 * 1024 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
      const backend = await startRawBackend((req) => {
        req.socket.write(latin1(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`));
        req.socket.write(body);
      });
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectEnded(recorder);
      expect(recorder.body.length).toBe(body.length);
      expect(recorder.body.equals(body)).toBe(true);
      expect(pool.size).toBe(1);
    });

    it('reads a chunked body with extensions, upper-case and zero-padded sizes and trailers, and keeps the connection', async () => {
      const response =
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '5;name=value\r\nhello\r\n' +
        '1;a;b="quoted;value"\r\n \r\n' +
        '00A\r\nwonderful \r\n' +
        '5 \r\nworld\r\n' +
        '0;last=1\r\nX-Trailer: t\r\nX-Other: o\r\n\r\n';
      const backend = await startRawBackend((req) => req.socket.write(latin1(response)));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectEnded(recorder);
      expect(recorder.text).toBe('hello wonderful world');
      // Trailers are not headers.
      expect(recorder.headers).toEqual(['Transfer-Encoding', 'chunked']);
      expect(pool.size).toBe(1);
      expectEnded(await fetchFrom(pool, get()));
      expect(backend.sockets).toHaveLength(1);
    });

    it('reads an empty chunked body, with and without trailers', async () => {
      const backend = await startRawBackend((req) =>
        req.socket.write(latin1(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${req.index === 0 ? '0\r\n\r\n' : '0\r\nX-T: 1\r\n\r\n'}`)),
      );
      const pool = createPool(backend.port);
      for (let i = 0; i < 2; i++) {
        const recorder = await fetchFrom(pool, get());
        expectEnded(recorder);
        expect(recorder.calls).toEqual(['head', 'end']);
      }
      expect(backend.sockets).toHaveLength(1);
    });

    it('reads a chunked response split at every byte boundary, over one connection', async () => {
      const response = latin1(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n00A\r\nwonderful \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n',
      );
      let cut = 0;
      const backend = await startRawBackend((req) => writeInPieces(req.socket, response, [cut]));
      const pool = createPool(backend.port);
      for (cut = 1; cut < response.length; cut++) {
        const recorder = await fetchFrom(pool, get(`/cut/${cut}`));
        expectEnded(recorder);
        expect(recorder.text, `cut at ${cut}`).toBe('hello wonderful world');
      }
      expect(backend.sockets).toHaveLength(1);
    });

    it('reads a Content-Length response split at every byte boundary, over one connection', async () => {
      const response = okResponse('hello world', 'X-A: 1\r\n');
      let cut = 0;
      const backend = await startRawBackend((req) => writeInPieces(req.socket, response, [cut]));
      const pool = createPool(backend.port);
      for (cut = 1; cut < response.length; cut++) {
        const recorder = await fetchFrom(pool, get(`/cut/${cut}`));
        expectEnded(recorder);
        expect(recorder.text, `cut at ${cut}`).toBe('hello world');
      }
      expect(backend.sockets).toHaveLength(1);
    });

    it('reads interim responses, a chunked body and trailers written one byte at a time', async () => {
      const response = latin1(
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' +
          'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n',
      );
      const backend = await startRawBackend((req) => writeInPieces(req.socket, response, Array.from({ length: response.length }, (_, i) => i)));
      const pool = createPool(backend.port);
      for (let i = 0; i < 2; i++) {
        const recorder = await fetchFrom(pool, get());
        expectEnded(recorder);
        expect(recorder.status).toBe(201);
        expect(recorder.headers).toEqual(['Transfer-Encoding', 'chunked']);
        expect(recorder.text).toBe('abcde');
      }
      expect(backend.sockets).toHaveLength(1);
    });

    it('reassembles random bodies, chunked at random and delivered in random pieces', async () => {
      const responses: { data: Buffer; cuts: number[] }[] = [];
      const backend = await startRawBackend((req) => {
        const next = responses.shift();
        if (next === undefined) throw new Error('no response queued');
        return writeInPieces(req.socket, next.data, next.cuts);
      });
      const pool = createPool(backend.port);
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 400 }),
          fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 12 }),
          fc.array(fc.nat(), { maxLength: 6 }),
          fc.boolean(),
          fc.boolean(),
          async (body, sizes, cutSeeds, extensions, trailers) => {
            let encoded = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
            const bodyText = Buffer.from(body).toString('latin1');
            for (let at = 0, i = 0; at < body.length; i++) {
              const size = Math.min(sizes[i % sizes.length] ?? 1, body.length - at);
              const hex = i % 2 === 0 ? size.toString(16) : size.toString(16).toUpperCase();
              encoded += `${hex}${extensions ? `;i=${i}` : ''}\r\n${bodyText.slice(at, at + size)}\r\n`;
              at += size;
            }
            encoded += `0\r\n${trailers ? 'X-Sum: 1\r\n' : ''}\r\n`;
            const data = latin1(encoded);
            responses.push({ data, cuts: cutSeeds.map((seed) => seed % data.length) });
            const recorder = await fetchFrom(pool, get());
            expectEnded(recorder);
            expect(recorder.body.equals(Buffer.from(body))).toBe(true);
          },
        ),
        { numRuns: 60 },
      );
      expect(backend.sockets).toHaveLength(1);
    });

    it('reads chunked responses from node:http, small and large, over one connection', async () => {
      const large = Buffer.alloc(3 * 1024 * 1024, 'z');
      const upstream = await startUpstream((req, res) => {
        if (req.url === '/large') {
          for (let at = 0; at < large.length; at += 100_000) res.write(large.subarray(at, at + 100_000));
          res.end();
        } else {
          res.write('one ');
          res.end('two');
        }
      });
      cleanups.push(() => upstream.close());
      const pool = createPool(upstream.port);
      const small = await fetchFrom(pool, get('/small'));
      expectEnded(small);
      expect(small.text).toBe('one two');
      const big = await fetchFrom(pool, get('/large'));
      expectEnded(big);
      expect(big.body.equals(large)).toBe(true);
      expect(upstream.connections).toBe(1);
    });
  });

  describe('interim and bodiless responses', () => {
    it('skips 100 Continue and 103 Early Hints before the final response', async () => {
      const backend = await startRawBackend((req) =>
        req.socket.write(
          latin1('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
        ),
      );
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectEnded(recorder);
      expect(recorder.calls).toEqual(['head', 'data', 'end']);
      expect(recorder.status).toBe(200);
      expect(recorder.headers).toEqual(['Content-Length', '2']);
      expect(recorder.text).toBe('ok');
      expectEnded(await fetchFrom(pool, get()));
      expect(backend.sockets).toHaveLength(1);
    });

    it('skips interim responses that arrive in separate packets', async () => {
      const backend = await startRawBackend(async (req) => {
        await write(req.socket, 'HTTP/1.1 100 Continue\r\n\r\n');
        await twoTurns();
        await write(req.socket, 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n');
        await twoTurns();
        await write(req.socket, okResponse('done'));
      });
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectEnded(recorder);
      expect([recorder.status, recorder.text]).toEqual([200, 'done']);
    });

    it('fails on 101 Switching Protocols to a request that asked for no upgrade', async () => {
      const backend = await startRawBackend((req) => req.socket.write(latin1('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectError(recorder, 'UPSTREAM_BAD_RESPONSE');
      expect(recorder.calls).toEqual(['error']);
      expect(pool.size).toBe(0);
    });

    it('reads no body for HEAD, with Content-Length or chunked, and reuses the connection', async () => {
      const backend = await startRawBackend((req) => {
        if (req.head.startsWith('HEAD /length')) req.socket.write(latin1('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n'));
        else if (req.head.startsWith('HEAD /chunked')) req.socket.write(latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'));
        else req.socket.write(okResponse('after'));
      });
      const pool = createPool(backend.port);
      for (const path of ['/length', '/chunked']) {
        const head = await fetchFrom(pool, { ...get(path), method: 'HEAD' });
        expectEnded(head);
        expect(head.calls).toEqual(['head', 'end']);
        expect(pool.size).toBe(1);
        const next = await fetchFrom(pool, get('/next'));
        expectEnded(next);
        expect(next.text).toBe('after');
      }
      expect(backend.sockets).toHaveLength(1);
    });

    it('reads no body for 204 and 304, whatever their framing headers say, and reuses the connection', async () => {
      const responses = [
        'HTTP/1.1 204 No Content\r\n\r\n',
        'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n',
        'HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\nETag: "x"\r\n\r\n',
        'HTTP/1.1 304 Not Modified\r\n\r\n',
      ];
      const backend = await startRawBackend((req) => req.socket.write(latin1(responses[req.index] ?? 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast')));
      const pool = createPool(backend.port);
      for (const response of responses) {
        const recorder = await fetchFrom(pool, get());
        expectEnded(recorder);
        expect(recorder.calls, response).toEqual(['head', 'end']);
        expect(pool.size).toBe(1);
      }
      const last = await fetchFrom(pool, get());
      expectEnded(last);
      expect(last.text).toBe('last');
      expect(backend.sockets).toHaveLength(1);
    });
  });

  describe('connection reuse', () => {
    it('sends sequential requests over one connection', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse(String(req.index))));
      const pool = createPool(backend.port);
      for (let i = 0; i < 20; i++) {
        const recorder = await fetchFrom(pool, get());
        expectEnded(recorder);
        expect(recorder.text).toBe(String(i));
      }
      expect(backend.sockets).toHaveLength(1);
      expect(pool.size).toBe(1);
    });

    it('opens one connection per concurrent request and reuses all of them afterwards', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('ok')));
      const pool = createPool(backend.port);
      for (let round = 0; round < 2; round++) {
        const all = await Promise.all(Array.from({ length: 5 }, () => fetchFrom(pool, get())));
        for (const recorder of all) expectEnded(recorder);
        expect(pool.size).toBe(5);
      }
      expect(backend.sockets).toHaveLength(5);
    });

    it('keeps at most 128 idle connections', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('ok')));
      const pool = createPool(backend.port);
      const all = await Promise.all(Array.from({ length: 130 }, () => fetchFrom(pool, get())));
      for (const recorder of all) expectEnded(recorder);
      expect(backend.sockets).toHaveLength(130);
      expect(pool.size).toBe(128);
      await waitFor(() => backend.closed.filter(Boolean).length === 2, 5_000, 'two connections closed');
    });

    it('ends a close-delimited body at the close and does not reuse the connection', async () => {
      const backend = await startRawBackend(async (req) => {
        await write(req.socket, 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nuntil ');
        await twoTurns();
        req.socket.end('the close');
      });
      const pool = createPool(backend.port);
      const first = await fetchFrom(pool, get());
      expectEnded(first);
      expect(first.text).toBe('until the close');
      expect(pool.size).toBe(0);
      const second = await fetchFrom(pool, get());
      expectEnded(second);
      expect(second.text).toBe('until the close');
      expect(backend.sockets).toHaveLength(2);
    });

    it('reads a body whose last transfer coding is not chunked until the close', async () => {
      const backend = await startRawBackend((req) => req.socket.end(latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n5\r\nnot a chunk\r\n0\r\n\r\n')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectEnded(recorder);
      expect(recorder.text).toBe('5\r\nnot a chunk\r\n0\r\n\r\n');
      expect(pool.size).toBe(0);
    });

    it('reads Transfer-Encoding: chunked over Content-Length, and does not reuse that connection', async () => {
      const backend = await startRawBackend((req) =>
        req.socket.write(latin1(req.index === 0 ? 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' : okResponse('x').toString('latin1'))),
      );
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectEnded(recorder);
      expect(recorder.text).toBe('hello');
      expect(pool.size).toBe(0);
      await waitFor(() => backend.closed[0] === true, 5_000, 'the connection closed');
      expect(backend.closedByClient[0]).toBe(true);
      expectEnded(await fetchFrom(pool, get()));
      expect(backend.sockets).toHaveLength(2);
    });

    it("closes the connection after a backend's Connection: close", async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('bye', 'Connection: close\r\n')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectEnded(recorder);
      expect(recorder.text).toBe('bye');
      expect(pool.size).toBe(0);
      // The backend keeps its side open: the client closes.
      await waitFor(() => backend.closedByClient[0] === true, 5_000, 'the client to close');
      expectEnded(await fetchFrom(pool, get()));
      expect(backend.sockets).toHaveLength(2);
    });

    it('does not reuse an HTTP/1.0 response without keep-alive, and reuses one with Connection: keep-alive', async () => {
      const backend = await startRawBackend((req) =>
        req.socket.write(latin1(req.head.startsWith('GET /ka') ? 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nka' : 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')),
      );
      const pool = createPool(backend.port);
      const plain = await fetchFrom(pool, get('/plain'));
      expectEnded(plain);
      expect(plain.text).toBe('ok');
      expect(pool.size).toBe(0);
      for (let i = 0; i < 2; i++) {
        const kept = await fetchFrom(pool, get('/ka'));
        expectEnded(kept);
        expect(pool.size).toBe(1);
      }
      expect(backend.sockets).toHaveLength(2);
    });

    it('does not keep a connection whose Keep-Alive timeout leaves no margin (timeout=1)', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('ok', 'Keep-Alive: timeout=1\r\n')));
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get()));
      expect(pool.size).toBe(0);
      expectEnded(await fetchFrom(pool, get()));
      expect(backend.sockets).toHaveLength(2);
    });

    it('closes an idle connection before the backend does, going by its Keep-Alive: timeout=2', async () => {
      // The backend closes after 2 s of idleness, as it announced; the client must close first.
      const backend = await startRawBackend((req) => req.socket.write(okResponse('ok', 'Keep-Alive: timeout=2, max=100\r\n')), {
        onConnection: (socket) => {
          socket.setTimeout(2_000);
          socket.on('timeout', () => socket.end());
        },
      });
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get()));
      expect(pool.size).toBe(1);
      await waitFor(() => backend.closed[0] === true, 10_000, 'the idle connection to close');
      expect(backend.closedByClient[0]).toBe(true);
      expect(pool.size).toBe(0);
    });

    // A long keep-alive time in these responses, so that the idle timer does not close the connection first.
    const keepLong = 'Keep-Alive: timeout=60\r\n';

    it('does not reuse a connection with bytes after a complete response', async () => {
      const backend = await startRawBackend((req) => req.socket.write(Buffer.concat([okResponse('ok', keepLong), latin1('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil')])));
      const pool = createPool(backend.port);
      const first = await fetchFrom(pool, get());
      expectEnded(first);
      expect(first.text).toBe('ok');
      // In one packet with the response: dropped before onEnd.
      expect(pool.size).toBe(0);
      const second = await fetchFrom(pool, get());
      expectEnded(second);
      expect(second.text).toBe('ok');
      expect(backend.sockets).toHaveLength(2);
    });

    it('drops an idle connection on which the backend sends anything', async () => {
      const backend = await startRawBackend(async (req) => {
        await write(req.socket, okResponse('ok', keepLong));
        if (req.connection === 0) {
          await twoTurns();
          await write(req.socket, 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate');
        }
      });
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get()));
      await waitFor(() => pool.size === 0, 5_000, 'the connection to be dropped');
      const second = await fetchFrom(pool, get());
      expectEnded(second);
      expect(second.text).toBe('ok');
      expect(backend.sockets).toHaveLength(2);
    });

    it('forgets an idle connection the backend closed, and opens a new one', async () => {
      const backend = await startRawBackend(async (req) => {
        await write(req.socket, okResponse(`conn ${req.connection}`, keepLong));
        req.socket.end();
      });
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get()));
      await waitFor(() => pool.size === 0, 5_000, 'the closed connection to be forgotten');
      const second = await fetchFrom(pool, get());
      expectEnded(second);
      expect(second.text).toBe('conn 1');
    });
  });

  describe('malformed responses', () => {
    const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    const bigHead = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(maxResponseHeadBytes + 10)}\r\nContent-Length: 0\r\n\r\n`;
    const cases: { name: string; response: string }[] = [
      { name: 'a status line without a status code', response: 'HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n' },
      { name: 'an HTTP/2 status line', response: 'HTTP/2 200\r\nContent-Length: 0\r\n\r\n' },
      { name: 'a four-digit status', response: 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n' },
      { name: 'a status line that is not HTTP', response: 'SSH-2.0-OpenSSH_9.6\r\n\r\n' },
      { name: 'a header line without a colon', response: 'HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nok' },
      { name: 'white space between a header name and the colon', response: 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok' },
      { name: 'an invalid character in a header name', response: 'HTTP/1.1 200 OK\r\nX-Bad(name): 1\r\nContent-Length: 0\r\n\r\n' },
      { name: 'an empty header name', response: 'HTTP/1.1 200 OK\r\n: empty\r\nContent-Length: 0\r\n\r\n' },
      { name: 'an obs-fold continuation line', response: 'HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\nContent-Length: 0\r\n\r\n' },
      { name: 'an obs-fold line with a tab and a colon', response: 'HTTP/1.1 200 OK\r\nX-Folded: one\r\n\tx: two\r\nContent-Length: 0\r\n\r\n' },
      { name: 'a bare LF in a header value', response: 'HTTP/1.1 200 OK\r\nX-A: a\nb\r\nContent-Length: 0\r\n\r\n' },
      { name: 'a NUL in a header value', response: 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n' },
      { name: 'a chunk size that is not hex', response: `${chunked}zz\r\nhello\r\n0\r\n\r\n` },
      { name: 'a chunk size with a 0x prefix', response: `${chunked}0x5\r\nhello\r\n0\r\n\r\n` },
      { name: 'a negative chunk size', response: `${chunked}-5\r\nhello\r\n0\r\n\r\n` },
      { name: 'an empty chunk size line', response: `${chunked}\r\nhello\r\n0\r\n\r\n` },
      { name: 'a chunk size of 13 hex digits', response: `${chunked}1000000000000\r\nhello\r\n0\r\n\r\n` },
      { name: 'a chunk size line longer than 1 KB', response: `${chunked}5;${'x'.repeat(2_000)}\r\nhello\r\n0\r\n\r\n` },
      { name: 'chunk data not followed by CRLF', response: `${chunked}5\r\nhelloXX0\r\n\r\n` },
      { name: 'chunk data followed by LF only', response: `${chunked}5\r\nhello\n0\r\n\r\n` },
      { name: 'two different Content-Length values', response: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!' },
      { name: 'a Content-Length that is not a number', response: 'HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\nok' },
      { name: 'a negative Content-Length', response: 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok' },
      { name: 'a Content-Length list of different values', response: 'HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok' },
      { name: 'a Content-Length of 16 digits', response: 'HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456\r\n\r\nok' },
      { name: 'a head over 64 KB', response: bigHead },
      { name: 'a head over 64 KB that never ends', response: `HTTP/1.1 200 OK\r\n${'X-Line: y\r\n'.repeat(8_000)}` },
      { name: 'trailers over 64 KB that never end', response: `${chunked}0\r\n${'X-T: y\r\n'.repeat(10_000)}` },
      { name: 'trailers over 64 KB', response: `${chunked}0\r\n${'X-T: y\r\n'.repeat(10_000)}\r\n` },
    ];

    it.each(cases)('fails with UPSTREAM_BAD_RESPONSE on $name, and closes the connection', async ({ response }) => {
      const backend = await startRawBackend((req) => req.socket.write(latin1(response)));
      // A long read timeout, so a parser that waits for more is not mistaken for one that failed.
      const pool = createPool(backend.port, { readTimeoutMs: 60_000 });
      const recorder = await fetchFrom(pool, get());
      expectError(recorder, 'UPSTREAM_BAD_RESPONSE');
      expect(pool.size).toBe(0);
      await waitFor(() => backend.closed[0] === true, 5_000, 'the connection to close');
    });

    it('accepts a head of exactly 64 KB', async () => {
      const prefix = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: ';
      const head = prefix + 'p'.repeat(maxResponseHeadBytes - prefix.length);
      expect(head.length).toBe(maxResponseHeadBytes);
      const backend = await startRawBackend((req) => req.socket.write(latin1(`${head}\r\n\r\nok`)));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectEnded(recorder);
      expect(recorder.text).toBe('ok');
    });

    it('accepts a head of exactly 64 KB whose blank line arrives in two pieces', async () => {
      const prefix = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: ';
      const head = latin1(`${prefix}${'p'.repeat(maxResponseHeadBytes - prefix.length)}\r\n\r\nok`);
      // The first piece ends inside the blank line, past the limit; the head itself is not.
      const backend = await startRawBackend((req) => writeInPieces(req.socket, head, [maxResponseHeadBytes + 2]));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectEnded(recorder);
      expect(recorder.text).toBe('ok');
    });
  });

  describe('stale pooled connections', () => {
    /** Answers the first request on each connection; closes a connection on its second. */
    function closingOnSecondRequest(close: (socket: net.Socket) => void): Respond {
      return (req) => {
        if (req.index === 0) req.socket.write(okResponse(`from connection ${req.connection}`));
        else close(req.socket);
      };
    }

    it('retries a GET once, on a new connection, when the backend closed the pooled one as the request went out', async () => {
      const backend = await startRawBackend(closingOnSecondRequest((socket) => socket.destroy()));
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get('/1')));
      const retried = await fetchFrom(pool, get('/2'));
      expectEnded(retried);
      expect(retried.text).toBe('from connection 1');
      expect(backend.requests.map((req) => [req.connection, req.index])).toEqual([
        [0, 0],
        [0, 1],
        [1, 0],
      ]);
      expect(pool.size).toBe(1);
    });

    it('retries a GET after a reset of the pooled connection', async () => {
      const backend = await startRawBackend(closingOnSecondRequest((socket) => socket.resetAndDestroy()));
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get('/1')));
      const retried = await fetchFrom(pool, get('/2'));
      expectEnded(retried);
      expect(retried.text).toBe('from connection 1');
      expect(backend.sockets).toHaveLength(2);
    });

    const methods: { name: string; request: UpstreamRequest; retried: boolean }[] = [
      { name: 'a bodiless PUT', request: { ...get('/2'), method: 'PUT' }, retried: true },
      { name: 'a bodiless DELETE', request: { ...get('/2'), method: 'DELETE' }, retried: true },
      { name: 'a bodiless POST', request: { ...get('/2'), method: 'POST' }, retried: false },
      { name: 'a bodiless PATCH', request: { ...get('/2'), method: 'PATCH' }, retried: false },
    ];

    it.each(methods)('retries $name: $retried', async ({ request, retried }) => {
      const backend = await startRawBackend(closingOnSecondRequest((socket) => socket.destroy()));
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get('/1')));
      const recorder = await fetchFrom(pool, request);
      if (retried) {
        expectEnded(recorder);
        expect(backend.sockets).toHaveLength(2);
      } else {
        expectError(recorder, closeCodes);
        expect(backend.sockets).toHaveLength(1);
      }
    });

    it('does not retry a request with a body, even an idempotent one', async () => {
      const backend = await startRawBackend(closingOnSecondRequest((socket) => socket.destroy()));
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get('/1')));
      for (const method of ['POST', 'PUT']) {
        if (pool.size === 0) expectEnded(await fetchFrom(pool, get('/warm')));
        const recorder = await fetchFrom(pool, { method, path: '/2', headers: ['Host', 'backend.test', 'Content-Length', '4'], body: Readable.from([Buffer.from('data')]) });
        expectError(recorder, closeCodes);
        expect(recorder.calls).toEqual(['error']);
      }
      // Each request with a body went out once, on the stale connection only.
      expect(backend.requests.filter((req) => req.body.toString() === 'data')).toHaveLength(2);
      expect(backend.sockets).toHaveLength(2);
    });

    it('retries on a new connection, not on another pooled one that may be stale too', async () => {
      const backend = await startRawBackend(closingOnSecondRequest((socket) => socket.destroy()));
      const pool = createPool(backend.port);
      // Two requests at once: two pooled connections, each with one request answered.
      const first = await Promise.all([fetchFrom(pool, get('/a')), fetchFrom(pool, get('/b'))]);
      for (const recorder of first) expectEnded(recorder);
      expect(pool.size).toBe(2);
      const retried = await fetchFrom(pool, get('/2'));
      expectEnded(retried);
      expect(retried.text).toBe('from connection 2');
      // One request went out on a stale connection; the retry went to a third one.
      expect(backend.requests.filter((req) => req.index === 1)).toHaveLength(1);
      expect(backend.sockets).toHaveLength(3);
    });

    it('retries only once: a fresh connection that fails is reported', async () => {
      const backend = await startRawBackend((req) => {
        if (req.connection === 0 && req.index === 0) req.socket.write(okResponse('first'));
        else req.socket.destroy();
      });
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get('/1')));
      const recorder = await fetchFrom(pool, get('/2'));
      expectError(recorder, closeCodes);
      expect(backend.sockets).toHaveLength(2);
    });

    it('does not retry a request the backend had started answering', async () => {
      const backend = await startRawBackend((req) => {
        if (req.index === 0) req.socket.write(okResponse('first'));
        else req.socket.end(latin1('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart'));
      });
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get('/1')));
      const recorder = await fetchFrom(pool, get('/2'));
      expectError(recorder, closeCodes);
      expect(recorder.calls).toEqual(['head', 'data', 'error']);
      expect(backend.sockets).toHaveLength(1);
    });
  });

  describe('errors and timeouts', () => {
    it('reports ECONNREFUSED when nothing listens', async () => {
      const pool = createPool(await freePort());
      const recorder = await fetchFrom(pool, get());
      expectError(recorder, 'ECONNREFUSED');
      expect(recorder.calls).toEqual(['error']);
      expect(pool.size).toBe(0);
    });

    it('fails when the backend resets the connection mid-body', async () => {
      const backend = await startRawBackend(async (req) => {
        await write(req.socket, 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome');
        await twoTurns();
        req.socket.resetAndDestroy();
      });
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectError(recorder, 'ECONNRESET');
      expect(recorder.text).toBe('some');
      expect(pool.size).toBe(0);
    });

    it('fails when the backend closes before a Content-Length body is complete', async () => {
      const backend = await startRawBackend((req) => req.socket.end(latin1('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectError(recorder, closeCodes);
      expect(pool.size).toBe(0);
    });

    it('fails when the backend closes before the last chunk', async () => {
      const backend = await startRawBackend((req) => req.socket.end(latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nsome\r\n')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectError(recorder, closeCodes);
      expect(recorder.text).toBe('some');
    });

    it('fails when the backend closes in the middle of the head', async () => {
      const backend = await startRawBackend((req) => req.socket.end(latin1('HTTP/1.1 200 OK\r\nContent-Le')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      expectError(recorder, closeCodes);
      expect(recorder.calls).toEqual(['error']);
    });

    it('times out waiting for the response head, and closes the connection', async () => {
      const backend = await startRawBackend(() => {});
      const pool = createPool(backend.port, { readTimeoutMs: 100 });
      const recorder = await fetchFrom(pool, get());
      expectError(recorder, 'UPSTREAM_HEADERS_TIMEOUT');
      expect(pool.size).toBe(0);
      await waitFor(() => backend.closed[0] === true, 5_000, 'the connection to close');
    });


    it('times out when a Content-Length body stalls', async () => {
      const backend = await startRawBackend((req) => req.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart'));
      const pool = createPool(backend.port, { readTimeoutMs: 100 });
      const recorder = await fetchFrom(pool, get());
      expectError(recorder, 'UPSTREAM_BODY_TIMEOUT');
      expect(recorder.text).toBe('part');
      await waitFor(() => backend.closed[0] === true, 5_000, 'the connection to close');
    });

    it.each([
      ['waiting for the final head after a 100 Continue', 'HTTP/1.1 100 Continue\r\n\r\n', 'UPSTREAM_HEADERS_TIMEOUT'],
      ['in a half-sent head', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n', 'UPSTREAM_HEADERS_TIMEOUT'],
      ['when a chunked body stalls between chunks', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart\r\n', 'UPSTREAM_BODY_TIMEOUT'],
      ['when a close-delimited body stalls', 'HTTP/1.1 200 OK\r\n\r\npart', 'UPSTREAM_BODY_TIMEOUT'],
    ])('times out %s', async (_what, sent, code) => {
      const backend = await startRawBackend((req) => req.socket.write(sent));
      const pool = createPool(backend.port, { readTimeoutMs: 100 });
      const recorder = await fetchFrom(pool, get());
      expectError(recorder, code);
    });

    it('times out sending a request body the backend does not read', async () => {
      const backend = await startRawBackend(() => {}, { onConnection: (socket) => socket.pause() });
      const pool = createPool(backend.port, { sendTimeoutMs: 200, readTimeoutMs: 60_000 });
      const body = generatedBody(1024 * 1024 * 1024);
      const recorder = await fetchFrom(pool, { method: 'POST', path: '/upload', headers: ['Host', 'backend.test', 'Content-Length', String(1024 * 1024 * 1024)], body: body.stream }, {});
      expectError(recorder, 'UPSTREAM_SEND_TIMEOUT');
      expect(body.generated()).toBeLessThan(1024 * 1024 * 1024);
      expect(body.stream.listenerCount('data')).toBe(0);
      expect(pool.size).toBe(0);
    });

    it('times out connecting when a TLS backend never answers the handshake', async () => {
      const backend = await startRawBackend(() => {});
      const pool = createPool(backend.port, { connectTimeoutMs: 100 }, 'https:');
      const recorder = await fetchFrom(pool, get());
      expectError(recorder, 'UPSTREAM_CONNECT_TIMEOUT');
    });

    it('fails when an https:// backend speaks plain HTTP', async () => {
      const upstream = await startEchoBackend();
      const pool = createPool(upstream.port, {}, 'https:');
      const recorder = await fetchFrom(pool, get());
      expect(recorder.ended).toBe(false);
      expect(recorder.error).toBeInstanceOf(UpstreamError);
      expect(pool.size).toBe(0);
    });
  });

  describe('backpressure on the response', () => {
    it('does not time out while the handler is paused for longer than the read timeout, and resume() delivers the rest', async () => {
      let restSent = false;
      const backend = await startRawBackend(async (req) => {
        await write(req.socket, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart1');
        // Silence on the connection for three read timeouts: the backend's own idle timer says when.
        req.socket.setTimeout(300);
        await Promise.race([once(req.socket, 'timeout'), once(req.socket, 'close')]);
        req.socket.setTimeout(0);
        if (req.socket.destroyed) return;
        await write(req.socket, 'part2');
        restSent = true;
      });
      const pool = createPool(backend.port, { readTimeoutMs: 100 });
      const recorder = start(pool, get(), { onData: () => false });
      await waitFor(() => restSent || backend.closed[0] === true, 5_000, 'the backend to send the rest');
      expect(recorder.error?.code ?? null).toBeNull();
      expect(recorder.text).toBe('part1');
      expect(backend.closed[0]).toBe(false);
      recorder.exchange?.resume();
      await waitFor(() => recorder.chunks.length === 2 || recorder.error !== null, 5_000, 'the rest of the body');
      recorder.exchange?.resume();
      await settled(recorder);
      expectEnded(recorder);
      expect(recorder.text).toBe('part1part2');
      expect(pool.size).toBe(1);
    });

    it('delivers nothing more after onData returned false, until resume()', async () => {
      let finish: () => void = () => {};
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const backend = await startRawBackend(async (req) => {
        // Several chunks in one packet.
        await write(req.socket, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n');
        await finished;
        await write(req.socket, '0\r\n\r\n');
      });
      const pool = createPool(backend.port);
      const recorder = start(pool, get(), { onData: () => false });
      await waitFor(() => recorder.chunks.length > 0, 5_000, 'the first chunk');
      expect(recorder.chunks.map(String)).toEqual(['one']);
      await roundTrip();
      expect(recorder.chunks.map(String)).toEqual(['one']);
      finish();
      for (let i = 0; i < 10 && !recorder.ended && recorder.error === null; i++) {
        const seen = recorder.calls.length;
        recorder.exchange?.resume();
        await waitFor(() => recorder.calls.length > seen, 5_000, 'more of the body');
      }
      await settled(recorder);
      expectEnded(recorder);
      expect(recorder.text).toBe('onetwothree');
    });

    it('ends a response paused on its last piece, and reuses the connection', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('all')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get(), { onData: () => false });
      expectEnded(recorder);
      expect(pool.size).toBe(1);
      const next = await fetchFrom(pool, get());
      expectEnded(next);
      expect(backend.sockets).toHaveLength(1);
    });

    it("a finished exchange's late resume() does not resume the next exchange on its connection", async () => {
      let sendRest: () => void = () => {};
      const restRequested = new Promise<void>((resolve) => (sendRest = resolve));
      let restSent = false;
      const backend = await startRawBackend(async (req) => {
        if (req.index === 0) {
          await write(req.socket, okResponse('ok'));
          return;
        }
        await write(req.socket, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart1');
        await restRequested;
        await write(req.socket, 'part2');
        restSent = true;
      });
      const pool = createPool(backend.port);
      // The first exchange pauses on its last piece, as the proxy does when the client is slow,
      // and resumes later (the proxy's 'drain' from the client comes after the end).
      const first = await fetchFrom(pool, get('/first'), { onData: () => false });
      expectEnded(first);
      const second = start(pool, get('/second'), { onData: () => false });
      await waitFor(() => second.chunks.length === 1, 5_000, 'the first part of the second response');
      sendRest();
      await waitFor(() => restSent, 5_000, 'the backend to send the rest');
      first.exchange?.resume();
      await roundTrip();
      await roundTrip();
      expect(second.text).toBe('part1');
      expect(second.ended).toBe(false);
      second.exchange?.resume();
      await settled(second);
      expectEnded(second);
      expect(second.text).toBe('part1part2');
      expect(backend.sockets).toHaveLength(1);
    });
  });

  describe('request bodies', () => {
    it('sends a body with Content-Length as it is', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('got it')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, {
        method: 'POST',
        path: '/upload?x=1',
        headers: ['Host', 'backend.test', 'content-length', '11'],
        body: Readable.from([Buffer.from('hello '), Buffer.from('world')]),
      });
      expectEnded(recorder);
      expect(recorder.bodyProgress).toBe(11);
      expect(backend.requests.map((req) => req.raw.toString('latin1'))).toEqual([
        'POST /upload?x=1 HTTP/1.1\r\nHost: backend.test\r\ncontent-length: 11\r\nConnection: keep-alive\r\n\r\nhello world',
      ]);
      expect(pool.size).toBe(1);
    });

    it('sends a body without Content-Length chunked', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('got it')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, {
        method: 'POST',
        path: '/upload',
        headers: ['Host', 'backend.test'],
        body: Readable.from([Buffer.from('hello '), Buffer.from('wonderful world')]),
      });
      expectEnded(recorder);
      expect(recorder.bodyProgress).toBe(21);
      expect(backend.requests.map((req) => req.raw.toString('latin1'))).toEqual([
        'POST /upload HTTP/1.1\r\nHost: backend.test\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n6\r\nhello \r\nf\r\nwonderful world\r\n0\r\n\r\n',
      ]);
      expect(pool.size).toBe(1);
    });

    it('sends an empty body without Content-Length as the last chunk alone', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, { method: 'POST', path: '/', headers: ['Host', 'backend.test'], body: Readable.from([]) });
      expectEnded(recorder);
      expect(backend.requests[0]?.body.toString('latin1')).toBe('0\r\n\r\n');
    });

    it('sends a bodiless request without framing headers', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('')));
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get('/p?q=1', ['X-Multi', 'a', 'X-Multi', 'b'])));
      expect(backend.requests[0]?.raw.toString('latin1')).toBe('GET /p?q=1 HTTP/1.1\r\nHost: backend.test\r\nX-Multi: a\r\nX-Multi: b\r\nConnection: keep-alive\r\n\r\n');
    });

    it('does not end a chunked body at an empty piece of the body stream', async () => {
      const upstream = await startEchoBackend();
      const pool = createPool(upstream.port);
      const recorder = await fetchFrom(pool, {
        method: 'POST',
        path: '/',
        headers: ['Host', 'backend.test'],
        body: Readable.from([Buffer.from('ab'), Buffer.alloc(0), Buffer.from('cd')]),
      });
      expectEnded(recorder);
      expect(recorder.status).toBe(200);
      expect(echoed(recorder).text).toBe('abcd');
    });

    it('frames a chunked body by bytes when the body stream gives strings', async () => {
      const upstream = await startEchoBackend();
      const pool = createPool(upstream.port);
      const recorder = await fetchFrom(pool, { method: 'POST', path: '/', headers: ['Host', 'backend.test'], body: Readable.from(['héllo ', 'wörld €']) });
      expectEnded(recorder);
      expect(recorder.status).toBe(200);
      expect(echoed(recorder).text).toBe('héllo wörld €');
    });

    it('streams a large chunked body intact to node:http, and counts it', async () => {
      const upstream = await startEchoBackend();
      const pool = createPool(upstream.port);
      const total = 24 * 1024 * 1024 + 123;
      const body = generatedBody(total);
      const recorder = await fetchFrom(pool, { method: 'PUT', path: '/big', headers: ['Host', 'backend.test'], body: body.stream }, {});
      expectEnded(recorder);
      expect(echoed(recorder)).toMatchObject({ method: 'PUT', length: total, sha256: body.sha256(), headers: { 'transfer-encoding': 'chunked' } });
      expect(recorder.bodyProgress).toBe(total);
      expectEnded(await fetchFrom(pool, get()));
      expect(upstream.connections).toBe(1);
    });

    it('stops pulling the body while the backend does not read, and sends all of it once it does', async () => {
      let releaseReading: () => void = () => {};
      const reading = new Promise<void>((resolve) => (releaseReading = resolve));
      const upstream = await startUpstream((req, res) => {
        req.pause();
        const hash = createHash('sha256');
        let length = 0;
        void reading.then(() => {
          req.on('data', (chunk: Buffer) => {
            hash.update(chunk);
            length += chunk.length;
          });
          req.on('end', () => res.end(JSON.stringify({ length, sha256: hash.digest('hex') })));
          req.resume();
        });
      });
      cleanups.push(() => upstream.close());
      const pool = createPool(upstream.port);
      const total = 64 * 1024 * 1024;
      const body = generatedBody(total);
      const recorder = start(pool, { method: 'POST', path: '/', headers: ['Host', 'backend.test', 'Content-Length', String(total)], body: body.stream });
      await waitFor(() => body.generated() > 0 && body.stream.readableFlowing === false, 10_000, 'the client to pause the body');
      expect(body.generated()).toBeLessThan(total);
      releaseReading();
      await settled(recorder, 20_000);
      expectEnded(recorder);
      expect(JSON.parse(recorder.text)).toEqual({ length: total, sha256: body.sha256() });
    });

    it('ends the exchange on an early response while the body is still being sent, and does not reuse the connection', async () => {
      const upstream = await startUpstream((_req, res) => {
        res.writeHead(413, { 'content-length': '8' });
        res.end('too big!');
      });
      cleanups.push(() => upstream.close());
      const pool = createPool(upstream.port);
      const body = generatedBody(256 * 1024 * 1024);
      const recorder = await fetchFrom(pool, { method: 'POST', path: '/', headers: ['Host', 'backend.test', 'Content-Length', String(256 * 1024 * 1024)], body: body.stream });
      expectEnded(recorder);
      expect([recorder.status, recorder.text]).toEqual([413, 'too big!']);
      expect(pool.size).toBe(0);
      expect(body.stream.listenerCount('data')).toBe(0);
    });

    it('fails the exchange and closes the connection when the request body stream fails', async () => {
      const backend = await startRawBackend(() => {});
      const pool = createPool(backend.port, { sendTimeoutMs: 60_000 });
      const body = new Readable({ read() {} });
      // The owner of the stream listens for its errors (as node:http does for a request).
      body.on('error', () => {});
      const recorder = start(pool, { method: 'POST', path: '/', headers: ['Host', 'backend.test'], body });
      body.push('some');
      await waitFor(() => (backend.bytes[0] ?? 0) > 0, 5_000, 'the head and a first chunk');
      body.destroy(new Error('the client went away'));
      await settled(recorder, 3_000);
      expect(recorder.ended).toBe(false);
      expect(recorder.error).not.toBeNull();
      await waitFor(() => backend.closed[0] === true, 3_000, 'the connection to close');
      expect(pool.size).toBe(0);
    });
  });

  describe('abort and close', () => {
    it('abort() mid-body closes the connection and calls onError once, with the given error', async () => {
      const backend = await startRawBackend((req) => req.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart'));
      const pool = createPool(backend.port);
      const recorder = start(pool, get());
      await waitFor(() => recorder.chunks.length > 0, 5_000, 'a first piece');
      const err = new UpstreamError('UPSTREAM_ABORTED', 'the client went away');
      recorder.exchange?.abort(err);
      expect(recorder.error).toBe(err);
      expect(recorder.calls).toEqual(['head', 'data', 'error']);
      expect(pool.size).toBe(0);
      recorder.exchange?.abort(new UpstreamError('UPSTREAM_ABORTED', 'again'));
      recorder.exchange?.resume();
      await waitFor(() => backend.closed[0] === true, 5_000, 'the connection to close');
      expect(recorder.calls).toEqual(['head', 'data', 'error']);
    });

    it('abort() before the connection is up calls onError once and sends nothing', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('ok')));
      const pool = createPool(backend.port);
      const recorder = start(pool, get());
      const err = new UpstreamError('UPSTREAM_ABORTED', 'gone');
      recorder.exchange?.abort(err);
      expect(recorder.calls).toEqual(['error']);
      expect(recorder.error).toBe(err);
      expect(pool.size).toBe(0);
      await roundTrip();
      expect(backend.requests).toHaveLength(0);
    });

    it('abort() after the end does nothing, and the connection stays pooled', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('ok')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get());
      recorder.exchange?.abort(new UpstreamError('UPSTREAM_ABORTED', 'late'));
      expect(recorder.calls).toEqual(['head', 'data', 'end']);
      expect(pool.size).toBe(1);
      expectEnded(await fetchFrom(pool, get()));
      expect(backend.sockets).toHaveLength(1);
    });

    it('abort() from inside onData stops the body', async () => {
      const backend = await startRawBackend(async (req) => {
        await write(req.socket, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n');
        await twoTurns();
        await write(req.socket, '1\r\nc\r\n0\r\n\r\n');
      });
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get(), {
        onData: (_chunk, self) => {
          self.exchange?.abort(new UpstreamError('UPSTREAM_ABORTED', 'enough'));
          return true;
        },
      });
      expect(recorder.calls).toEqual(['head', 'data', 'error']);
      expect(recorder.text).toBe('a');
      expect(pool.size).toBe(0);
    });

    it('a throwing onHead becomes one onError, and the connection is closed', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('body')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, get(), {
        onHead: () => {
          throw new Error('a header node refuses');
        },
      });
      expectError(recorder, 'UPSTREAM_BAD_RESPONSE');
      expect(recorder.error?.message).toBe('a header node refuses');
      expect(recorder.calls).toEqual(['head', 'error']);
      expect(pool.size).toBe(0);
    });

    it('close() destroys idle and busy connections, and later requests fail', async () => {
      const backend = await startRawBackend((req) => {
        if (req.head.startsWith('GET /stall')) return;
        req.socket.write(okResponse('ok'));
      });
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get('/idle')));
      const busy = start(pool, get('/stall'));
      const connecting = start(pool, get('/stall'));
      await waitFor(() => backend.requests.length === 3, 5_000, 'the stalled requests');
      expect(pool.size).toBe(2);
      pool.close();
      expectError(busy, 'UPSTREAM_ABORTED');
      expectError(connecting, 'UPSTREAM_ABORTED');
      expect(pool.size).toBe(0);
      await waitFor(() => backend.closed.length === 2 && backend.closed.every(Boolean), 5_000, 'every connection to close');
      const late = start(pool, get('/late'));
      expectError(late, 'UPSTREAM_ABORTED');
      await roundTrip();
      expect(backend.sockets).toHaveLength(2);
      expect(pool.size).toBe(0);
    });

    it('close() while connecting fails the request once', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('ok')));
      const pool = createPool(backend.port);
      const recorder = start(pool, get());
      pool.close();
      expectError(recorder, 'UPSTREAM_ABORTED');
      await roundTrip();
      expect(backend.requests).toHaveLength(0);
    });
  });

  describe('request head validation', () => {
    const injections: { name: string; request: UpstreamRequest }[] = [
      { name: 'a CRLF and a header in a header value', request: get('/', ['X-A', 'a\r\nX-Injected: yes']) },
      { name: 'a CRLF at the end of a header value', request: get('/', ['X-A', 'a\r\n']) },
      { name: 'a CRLF CRLF and a request in a header value', request: get('/', ['X-A', 'a\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x']) },
      { name: 'a bare LF in a header value', request: get('/', ['X-A', 'a\nb']) },
      { name: 'a bare CR in a header value', request: get('/', ['X-A', 'a\rb']) },
      { name: 'a NUL in a header value', request: get('/', ['X-A', 'a\0b']) },
      { name: 'a CRLF in a header name', request: get('/', ['X-A\r\nX-Injected', 'yes']) },
      { name: 'a CRLF in the path', request: get('/ HTTP/1.1\r\nX-Injected: yes\r\nX-Ignored: /') },
      { name: 'a bare LF in the path', request: get('/a\nb') },
      { name: 'a CRLF in the method', request: { ...get('/'), method: 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET' } },
    ];

    it.each(injections)('refuses $name and sends nothing', async ({ request }) => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('sent')));
      const pool = createPool(backend.port);
      const recorder = await fetchFrom(pool, request);
      expectError(recorder, 'UPSTREAM_BAD_REQUEST');
      expect(pool.size).toBe(0);
      await waitFor(() => backend.closed.length === 1 && backend.closed[0] === true, 5_000, 'the connection to close');
      expect(backend.bytes).toEqual([0]);
    });

    it('refuses a bad header on a pooled connection without sending anything, and is not retried', async () => {
      const backend = await startRawBackend((req) => req.socket.write(okResponse('sent')));
      const pool = createPool(backend.port);
      expectEnded(await fetchFrom(pool, get()));
      const sentBefore = backend.bytes[0];
      const recorder = await fetchFrom(pool, get('/', ['X-A', 'a\nb']));
      expectError(recorder, 'UPSTREAM_BAD_REQUEST');
      await waitFor(() => backend.closed[0] === true, 5_000, 'the connection to close');
      expect(backend.bytes[0]).toBe(sentBefore);
      expect(backend.sockets).toHaveLength(1);
    });
  });

  describe('TLS backends', () => {
    it('keeps one TLS connection for sequential requests to a node:https backend', async () => {
      const upstream = await startEchoBackend({ tls: true });
      const pool = createPool(upstream.port, {}, 'https:');
      for (let i = 0; i < 3; i++) {
        const recorder = await fetchFrom(pool, get(`/tls?i=${i}`));
        expectEnded(recorder);
        expect(echoed(recorder)).toMatchObject({ method: 'GET', url: `/tls?i=${i}`, headers: { host: 'backend.test' } });
      }
      const post = await fetchFrom(pool, { method: 'POST', path: '/tls', headers: ['Host', 'backend.test'], body: Readable.from([Buffer.from('over tls')]) });
      expectEnded(post);
      expect(echoed(post).text).toBe('over tls');
      expect(upstream.connections).toBe(1);
    });

    it('reads a chunked response written one byte at a time, and a close-delimited one, over TLS', async () => {
      const chunked = latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: 1\r\n\r\n');
      const backend = await startRawBackend(
        async (req) => {
          if (req.index === 0) await writeInPieces(req.socket, chunked, Array.from({ length: chunked.length }, (_, i) => i));
          else req.socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close');
        },
        { tls: true },
      );
      const pool = createPool(backend.port, {}, 'https:');
      const first = await fetchFrom(pool, get());
      expectEnded(first);
      expect(first.text).toBe('hello');
      const second = await fetchFrom(pool, get());
      expectEnded(second);
      expect(second.text).toBe('until close');
      expect(backend.sockets).toHaveLength(1);
      expect(pool.size).toBe(0);
    });
  });
});
