import type { IncomingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { expect } from 'vitest';
import type { RouteTable } from '../../src/model/types.js';
import { closeServer, compileTable, ingressYaml, startTestProxy, startUpstream, testResolver, tlsOptions, waitFor, type TestProxy, type Upstream } from './harness.js';

// Raw sockets for the tests that choose every byte: a client that writes exact requests and
// reads the proxy's answers with a strict HTTP/1.1 response reader, and backends that read
// requests loosely and answer with exact bytes. Framing, pipelining and half-closes are the
// test's to choose; what each side received is checked byte for byte.

// ---------------------------------------------------------------------------------------------
// Every client and raw backend a test opens, closed by `closeRawResources` after the test.

const open: { close(): unknown }[] = [];

export async function closeRawResources(): Promise<void> {
  for (const resource of open.splice(0).toReversed()) await resource.close();
}

// ---------------------------------------------------------------------------------------------
// A strict HTTP/1.1 response reader: a byte the framing does not account for throws.

export interface Response {
  readonly status: number;
  readonly head: string;
  /** Names lower-cased, in order, duplicates kept. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  readonly chunked: boolean;
  /** The offset just past this response in the bytes received. */
  readonly end: number;
}

export function values(response: Response | undefined, name: string): string[] {
  return (response?.headers ?? []).filter(([n]) => n === name).map(([, v]) => v);
}

export function header(response: Response | undefined, name: string): string | undefined {
  return values(response, name)[0];
}

export function text(response: Response | undefined): string {
  return response?.body.toString('latin1') ?? '<no response>';
}

/** The reason phrase of the status line. */
export function reason(response: Response | undefined): string {
  const line = response?.head.split('\r\n')[0] ?? '';
  return line.split(' ').slice(2).join(' ');
}

/**
 * The complete responses in `data`. `methods[i]` is the method of the request the i-th final
 * response answers (a HEAD response has no body); 1xx responses are listed too; the bytes after
 * a 101 are not HTTP. A response delimited by the close is complete only once `closed`.
 */
export function parseResponses(data: Buffer, methods: readonly string[], closed: boolean): Response[] {
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
      // The proxy drops trailers (as ingress-nginx does): the empty line follows at once.
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

export class RawClient {
  readonly socket: net.Socket;
  private readonly chunks: Buffer[] = [];
  closed = false;
  /** The proxy closed its side with a FIN (not only a reset). */
  ended = false;
  error: NodeJS.ErrnoException | null = null;
  private readonly methods: string[] = [];

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

  /** Writes, and says whether the bytes went out: the proxy may have closed the connection first. */
  async tryWrite(data: string | Buffer): Promise<boolean> {
    if (this.closed || this.socket.destroyed || !this.socket.writable) return false;
    return this.write(data).then(
      () => true,
      () => false,
    );
  }

  /** One byte per write, each flushed before the next (Nagle is off), so the proxy reads them apart. */
  async trickle(data: string): Promise<void> {
    const bytes = Buffer.from(data, 'latin1');
    for (let i = 0; i < bytes.length; i++) await this.write(bytes.subarray(i, i + 1));
  }

  /**
   * Sends one request and waits for its final response: for a connection used one request at a
   * time, with `request` only. Undefined when the connection closed without it.
   */
  async request(data: string | Buffer, options: { method?: string; timeoutMs?: number } = {}): Promise<Response | undefined> {
    this.methods.push(options.method ?? 'GET');
    const index = this.methods.length - 1;
    await this.write(data);
    let finals: Response[] = [];
    await waitFor(
      () => {
        finals = this.parsed(this.methods).filter((r) => r.status >= 200);
        return finals.length > index || this.closed;
      },
      options.timeoutMs ?? 5000,
      `the response to request ${index + 1}`,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; got ${statusesOf(this.parsed(this.methods))}`);
    });
    return finals[index];
  }

  /** The complete responses received so far. */
  parsed(methods: readonly string[] = []): Response[] {
    return parseResponses(this.data, methods, this.closed);
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
      `${count} responses`,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; got ${statusesOf(parsed)}`);
    });
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

/** The statuses of the responses so far, for a failure message. */
function statusesOf(responses: readonly Response[]): string {
  return responses.length === 0 ? 'no complete response' : `responses ${responses.map((r) => r.status).join(', ')}`;
}

export function connect(port: number, options: { allowHalfOpen?: boolean } = {}): RawClient {
  const client = new RawClient(port, options);
  open.push({ close: () => client.socket.destroy() });
  return client;
}

/**
 * One request on a fresh connection: the final response (1xx ones are in `interim`), or none
 * when the proxy closed the connection without one.
 */
export async function ask(
  port: number,
  request: string | Buffer,
  options: { method?: string; timeoutMs?: number } = {},
): Promise<{ response: Response | undefined; interim: Response[]; client: RawClient }> {
  const client = connect(port);
  await client.write(request);
  let parsed: Response[] = [];
  await waitFor(
    () => {
      parsed = client.parsed([options.method ?? 'GET']);
      return parsed.some((r) => r.status >= 200) || client.closed;
    },
    options.timeoutMs ?? 5000,
    'a final response',
  ).catch((err: Error) => {
    throw new Error(`${err.message}; got ${statusesOf(parsed)}`);
  });
  return { response: parsed.find((r) => r.status >= 200), interim: parsed.filter((r) => r.status < 200), client };
}

// ---------------------------------------------------------------------------------------------
// A proxy that routes one host to one target, for the tests of the backend side.

export const rawHost = 'raw.example.com';
const rawTable = compileTable(ingressYaml('raw', [{ host: rawHost, paths: [{ path: '/', service: 'raw' }] }]), 'raw.yaml');

/** The proxy's timeouts, including those that only some versions of it know. */
export type ProxyTimeouts = NonNullable<Parameters<typeof startTestProxy>[0]['timeouts']> & { headersTimeoutMs?: number };

/** A proxy sending every request for `rawHost` to `target` (a port, or a URL such as `https://127.0.0.1:PORT`). */
export async function startProxyTo(target: number | string, timeouts: ProxyTimeouts = {}): Promise<TestProxy> {
  const proxy = await startTestProxy({ table: rawTable, resolver: testResolver({ raw: target }), timeouts });
  open.push({ close: () => proxy.close() });
  return proxy;
}

/** A GET for `rawHost`. */
export function rawGet(path: string, extra = '', method = 'GET'): string {
  return `${method} ${path} HTTP/1.1\r\nHost: ${rawHost}\r\n${extra}\r\n`;
}

/** Request builders with a default Host. */
export function requestsFor(defaultHost: string): {
  get(path: string, extra?: string, host?: string): string;
  post(path: string, body: string, extra?: string, host?: string): string;
} {
  return {
    get: (path, extra = '', host = defaultHost) => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`,
    post: (path, body, extra = '', host = defaultHost) =>
      `POST ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`,
  };
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** A fresh connection's GET to `host`, answered 200: anything the backend got before it has arrived by now. */
export async function probe(port: number, host: string): Promise<void> {
  const client = connect(port);
  await client.write(`GET /probe HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  const [response] = await client.responses(1);
  expect(response?.status).toBe(200);
  client.socket.destroy();
}

// ---------------------------------------------------------------------------------------------
// node:http backends.

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: Buffer;
}

/** Records every request and answers `METHOD URL BODY-BYTES`. */
export function recorder(seen: Seen[]): RequestListener {
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

/** Holds requests to `/hold*` until the test ends them; records and answers the rest. */
export function holdingHandler(seen: Seen[], held: ServerResponse[]): RequestListener {
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
export function streamingHandler(seen: Seen[], onClose: () => void): RequestListener {
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
// Raw backends: they parse requests loosely and answer with exact bytes.

export interface Received {
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

export type Respond = (request: Received) => unknown;

export interface RawBackend {
  readonly port: number;
  readonly sockets: net.Socket[];
  readonly requests: Received[];
  /** Every byte received, per connection. */
  readonly received: Buffer[][];
  /** Per connection: the proxy half-closed or closed it before the backend closed its side. */
  readonly closedByClient: boolean[];
  /** Per connection: the socket is closed. */
  readonly closed: boolean[];
  close(): Promise<void>;
}

/** Every byte a raw backend received on its `connection`-th connection. */
export function receivedOn(backend: RawBackend, connection: number): Buffer {
  return Buffer.concat(backend.received[connection] ?? []);
}

export function startRawBackend(respond: Respond, options: { tls?: boolean; onConnection?: (socket: net.Socket) => void } = {}): Promise<RawBackend> {
  const sockets: net.Socket[] = [];
  const requests: Received[] = [];
  const received: Buffer[][] = [];
  const closedByClient: boolean[] = [];
  const closed: boolean[] = [];
  const onConnection = (socket: net.Socket): void => {
    const connection = sockets.length;
    sockets.push(socket);
    received.push([]);
    closedByClient.push(false);
    closed.push(false);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('end', () => {
      if (socket.writable) closedByClient[connection] = true;
    });
    socket.on('close', () => (closed[connection] = true));
    options.onConnection?.(socket);
    let buffered = Buffer.alloc(0);
    let index = 0;
    let queue: Promise<unknown> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      received[connection]?.push(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const taken = takeRequest(buffered);
        if (taken === null) return;
        const raw = buffered.subarray(0, taken.length);
        buffered = buffered.subarray(taken.length);
        const request: Received = { socket, connection, index: index++, head: taken.head, body: taken.body, raw };
        requests.push(request);
        queue = queue.then(() => respond(request)).catch(() => socket.destroy());
      }
    });
  };
  const server = options.tls === true ? tls.createServer(tlsOptions(), onConnection) : net.createServer(onConnection);
  const close = (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    return closeServer(server);
  };
  open.push({ close });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve({ port: (server.address() as net.AddressInfo).port, sockets, requests, received, closedByClient, closed, close });
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
      if (Number.isNaN(size)) throw new Error('bad chunk size from the proxy');
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

/** The payload of a chunked body as framed on the wire (extensions ignored, no trailers). */
export function dechunkBody(framed: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = framed.indexOf('\r\n', at);
    if (lineEnd < 0) throw new Error('an unterminated chunked body');
    const size = Number.parseInt(framed.toString('latin1', at, lineEnd), 16);
    if (size === 0) return Buffer.concat(parts);
    parts.push(framed.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** A request head's header value (the first), by case-insensitive name. */
export function headValue(head: string, name: string): string | undefined {
  const line = head.split('\r\n').find((l) => l.slice(0, l.indexOf(':')).toLowerCase() === name.toLowerCase());
  return line?.slice(line.indexOf(':') + 1).trim();
}

export function latin1(data: string): Buffer {
  return Buffer.from(data, 'latin1');
}

export function okResponse(body: string, extraHeaders = ''): Buffer {
  return latin1(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n${extraHeaders}\r\n${body}`);
}

export function write(socket: net.Socket, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => socket.write(typeof data === 'string' ? latin1(data) : data, (err) => (err ? reject(err) : resolve())));
}

/** Two turns of the event loop, so the reader polls its socket between two writes. */
export async function twoTurns(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/** Writes `data` in pieces cut at `cuts`, letting the reader read each piece on its own. */
export async function writeInPieces(socket: net.Socket, data: Buffer, cuts: readonly number[]): Promise<void> {
  let from = 0;
  for (const at of [...cuts.toSorted((a, b) => a - b), data.length]) {
    if (at <= from || at > data.length) continue;
    await write(socket, data.subarray(from, at));
    await twoTurns();
    from = at;
  }
}

/**
 * After an answer that came before the whole request body, the client sends the rest of it.
 * If the proxy said `Connection: close`, it closes with a FIN and no reset (a reset can destroy
 * the unread answer); otherwise it reads and drops the rest, and the connection serves `next`.
 */
export async function expectCleanAfterEarlyAnswer(client: RawClient, rest: number, connection: string | undefined, next: string): Promise<void> {
  const sent = await client.tryWrite(Buffer.alloc(rest, 'z'));
  if (connection === 'close') {
    await waitFor(() => client.ended || client.closed, 5000, "the proxy's FIN");
    client.socket.end();
    await client.waitClosed();
    expect(client.error).toBeNull();
    expect(client.ended).toBe(true);
    expect(parseResponses(client.data, [], true)).toHaveLength(1);
  } else {
    expect(sent).toBe(true);
    await client.write(next);
    const responses = await client.responses(2);
    expect(responses[1]?.status).toBe(200);
  }
}

/**
 * A proxy in front of a node:http backend, shared by the tests of one file: `start()` in a test
 * (the backend records what it served into `seen`, unless `handler` answers), `close()` after
 * each. `map` adds Services to the resolver, besides `app` on the backend and the file's defaults.
 */
export interface ProxyFixture {
  readonly seen: Seen[];
  readonly proxy: TestProxy | null;
  readonly upstream: Upstream | null;
  /** The URLs the backend saw, sorted: node's server forwards the requests it parsed at once, so they may arrive in any order. */
  seenUrls(): string[];
  start(options?: { handler?: RequestListener; map?: Readonly<Record<string, number | string>>; timeouts?: ProxyTimeouts }): Promise<TestProxy>;
  close(): Promise<void>;
}

export function proxyFixture(table: RouteTable, defaults: Readonly<Record<string, number | string>> = {}): ProxyFixture {
  const fixture = {
    seen: [] as Seen[],
    proxy: null as TestProxy | null,
    upstream: null as Upstream | null,
    seenUrls: (): string[] => fixture.seen.map((s) => s.url).toSorted(),
    async start(options: { handler?: RequestListener; map?: Readonly<Record<string, number | string>>; timeouts?: ProxyTimeouts } = {}): Promise<TestProxy> {
      const upstream = await startUpstream(options.handler ?? recorder(fixture.seen));
      fixture.upstream = upstream;
      const proxy = await startTestProxy({ table, resolver: testResolver({ app: upstream.port, ...defaults, ...options.map }), timeouts: options.timeouts });
      fixture.proxy = proxy;
      return proxy;
    },
    async close(): Promise<void> {
      await fixture.proxy?.close();
      fixture.proxy = null;
      await fixture.upstream?.close();
      fixture.upstream = null;
      fixture.seen.length = 0;
    },
  };
  return fixture;
}
