import { STATUS_CODES, type Server } from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { clientClosedStatus, emitCompleted, errorEnding, timingFor, upstreamErrorOf, type HandlerContext, type RequestFacts, type Timing } from './context.js';
import { negotiateFormat, renderErrorPage, type ErrorPage } from './error-pages.js';
import { classifyForwardError, type HttpTarget } from './forward.js';
import { buildUpstreamHeaders, clientAddressOf, filterResponseHeaders, headersToRecord, rawHeader, trimOws, type RawHeaders } from './headers.js';
import { internalError, type ProxyError } from './errors.js';
import { routeRequest, type ForwardRouting, type Routing } from './route-request.js';
import { UpstreamError, type ResponseHandler, type UpstreamExchange } from './upstream-client.js';

/**
 * The proxy's front door: a TCP server that reads HTTP/1.1 requests itself and forwards the
 * common ones (routed to an HTTP backend, no `Upgrade`, no `Expect`, no body or a Content-Length
 * one) straight to the upstream client, writing the answer on the client's socket. Every other
 * request, and anything it does not fully understand, goes to node's HTTP server with the bytes
 * read so far, at a request boundary, and that connection stays with node from then on: error
 * pages for routing failures, the echo target, WebSockets, `CONNECT`, chunked uploads, HTTP/1.0,
 * malformed requests (node answers 400 or 431).
 *
 * Why: on the path of a request, node's HTTP server (its request and response objects, streams
 * and events) cost more than everything the proxy itself does. With this front, `npm run bench`
 * measured the added latency at 1 connection at about 1.3x nginx's, down from about 1.5x,
 * and 61 MB peak RSS instead of 65-80 (README, "How fast").
 */

/** Largest request head read here (node's default limit, so node answers 431 beyond it). */
const maxHeadBytes = 16 * 1024;
/**
 * A connection with no request in flight closes after this long without a byte either way, as
 * node's server closes idle keep-alive connections (and a head that stops arriving halfway).
 * One timer per connection, refreshed by the socket's own activity: no timer work per request.
 */
const keepAliveTimeoutMs = 5_000;
/** A body piece up to this size is copied to go out with its head or chunk framing in one write. */
const maxCopiedBytes = 16 * 1024;
/** Bytes of pipelined requests buffered while a response is in flight, before reading pauses. */
const maxBufferedBytes = 64 * 1024;

export interface Front {
  readonly server: net.Server;
  /** Stops new requests: idle connections close, busy ones after their response. */
  beginClose(): void;
  /** Destroys every connection the front still owns. */
  destroyAll(): void;
}

export function createFront(context: HandlerContext, httpServer: Server): Front {
  const connections = new Set<ClientConnection>();
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const connection = new ClientConnection(context, httpServer, socket, () => connections.delete(connection));
    connections.add(connection);
    if (context.state.closing) connection.beginClose();
  });
  // node's HTTP server never listens itself; it tracks the connections handed to it (for
  // closeIdleConnections and closeAllConnections) from its 'listening' event on.
  httpServer.emit('listening');
  return {
    server,
    beginClose() {
      for (const connection of connections) connection.beginClose();
    },
    destroyAll() {
      for (const connection of connections) connection.destroy();
    },
  };
}

/** One client connection, while the front owns it. */
class ClientConnection {
  private buffer: Buffer | null = null;
  private exchange: FrontExchange | null = null;
  private closing = false;
  private gone = false;
  private readonly clientAddress: string;
  private readonly localPort: number;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onEnd = (): void => this.clientEnded();
  private readonly onClose = (): void => this.closed();
  private readonly onError = (): void => void this.socket.destroy();
  private readonly onTimeout = (): void => {
    // A request in flight is the upstream timeouts' business.
    if (this.exchange === null) this.socket.destroy();
  };
  private clientHalfClosed = false;
  private starting = false;
  private startAgain = false;
  /** The connection closes once the response in flight is out. */
  private ending = false;

  constructor(
    readonly context: HandlerContext,
    private readonly httpServer: Server,
    private readonly socket: net.Socket,
    private readonly forget: () => void,
  ) {
    this.clientAddress = clientAddressOf(socket.remoteAddress);
    this.localPort = socket.localPort ?? 0;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('timeout', this.onTimeout);
    socket.setTimeout(keepAliveTimeoutMs);
  }

  beginClose(): void {
    this.closing = true;
    if (this.exchange === null) this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    // Closing after a response: whatever the client still sends is read and dropped.
    if (this.ending) return;
    const exchange = this.exchange;
    if (exchange !== null && exchange.bodyRemaining > 0) {
      const rest = exchange.feedBody(chunk);
      if (rest === null) return;
      chunk = rest;
    }
    this.buffer = this.buffer === null ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.exchange !== null) {
      // A pipelined request waits for the response in flight.
      if (this.buffer.length > maxBufferedBytes) this.socket.pause();
      return;
    }
    this.next();
  }

  /**
   * Starts the requests at the head of the buffer, as long as they are there and answered at
   * once (error pages): a loop, not recursion, so thousands of pipelined 404s cannot overflow
   * the stack.
   */
  private next(): void {
    if (this.starting) {
      this.startAgain = true;
      return;
    }
    this.starting = true;
    try {
      do {
        this.startAgain = false;
        this.startNext();
      } while (this.startAgain);
    } finally {
      this.starting = false;
    }
  }

  private startNext(): void {
    const buffer = this.buffer;
    // A connection the front cut (a response broken halfway) starts nothing more.
    if (buffer === null || this.exchange !== null || this.gone || this.socket.destroyed) return;
    const end = buffer.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.clientHalfClosed) {
        // The client will send no more: a partial request is not answered (as node does).
        this.ending = true;
        this.socket.end();
        return;
      }
      // Not HTTP as the front reads it (a TLS handshake, a PROXY line, bare LF line ends):
      // node answers it (400) at once instead of the front waiting for a head that never ends.
      if (buffer.length > maxHeadBytes || !startsLikeRequest(buffer) || !plainLineEnds(buffer)) this.handOver();
      return;
    }
    if (end > maxHeadBytes) {
      this.handOver();
      return;
    }
    const request = parseRequestHead(buffer.toString('latin1', 0, end));
    if (request === null || this.closing) {
      this.handOver();
      return;
    }
    const facts = new LazyFacts(request);
    let routing: Routing;
    try {
      routing = routeRequest(this.context.options.getTable(), this.context.resolverOf(), {
        method: request.method,
        url: request.target,
        hostHeader: request.host,
        localPort: this.localPort,
      });
    } catch (err) {
      // A bug: answered with a 500 page, and the connection keeps serving.
      const line = { method: request.method, host: request.host, path: request.target, port: this.localPort };
      this.answerError(request, facts, buffer.subarray(end + 4), null, internalError(line, err));
      return;
    }
    if (routing.kind === 'error') {
      this.answerError(request, facts, buffer.subarray(end + 4), routing, routing.error);
      return;
    }
    if (routing.kind === 'echo') {
      this.handOver();
      return;
    }
    this.buffer = null;
    const timing = timingFor(request.requestId, false);
    const exchange = new FrontExchange(this, request, facts, routing, timing);
    this.exchange = exchange;
    // Body bytes that came with the head go to the body; what follows is the next request.
    const after = exchange.feedBody(buffer.subarray(end + 4));
    if (after !== null && after.length > 0) this.buffer = after;
    const headers = buildUpstreamHeaders(request.rawHeaders, {
      host: routing.upstreamHost,
      clientAddress: this.clientAddress,
      localPort: this.localPort,
      proto: 'http',
      upgrade: false,
      requestId: timing.requestId,
    });
    exchange.start(headers);
  }

  /**
   * A request routing turned down (404, 503) or failed on (500): the error page, then the next
   * request. A request with a body closes the connection, as nobody reads the body.
   */
  private answerError(request: ParsedRequest, facts: RequestFacts, rest: Buffer, routing: Routing | null, error: ProxyError): void {
    const timing = timingFor(request.requestId, false);
    const page = renderErrorPage(error, negotiateFormat(request.accept));
    const keepOpen = !request.wantsClose && request.contentLength === 0 && !this.closing && (!this.clientHalfClosed || rest.includes('\r\n\r\n'));
    this.write(errorResponse(page, request.method, keepOpen));
    emitCompleted(this.context, facts, timing, errorEnding(routing, error, page.headers));
    this.buffer = rest.length > 0 ? rest : null;
    this.exchangeDone(keepOpen);
  }

  /** node's HTTP server takes the connection from here, starting with the bytes read so far. */
  private handOver(): void {
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onClose);
    socket.off('error', this.onError);
    socket.off('timeout', this.onTimeout);
    socket.setTimeout(0);
    this.forget();
    socket.pause();
    if (this.buffer !== null) socket.unshift(this.buffer);
    this.buffer = null;
    this.httpServer.emit('connection', socket);
    socket.resume();
  }

  /** The response in flight is complete: keep the connection for the next request, or close it. */
  exchangeDone(keepOpen: boolean): void {
    this.exchange = null;
    if (!keepOpen || this.closing || (this.clientHalfClosed && !this.hasCompleteHead())) {
      // End after the response is written; keep reading (and dropping) until the client closes
      // too, so a client still sending does not get a reset that could discard the response.
      this.ending = true;
      this.buffer = null;
      this.socket.end();
      if (this.socket.isPaused()) this.socket.resume();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    this.next();
  }

  /** Resumes reading a request body the upstream client asked for more of. */
  resumeReading(): void {
    if (!this.gone) this.socket.resume();
  }

  pauseReading(): void {
    this.socket.pause();
  }

  private clientEnded(): void {
    this.clientHalfClosed = true;
    if (this.exchange === null) {
      // A request cut short by the end is not answered (as node does).
      this.socket.end();
    } else if (this.exchange.bodyRemaining > 0) {
      // Its body can never be complete: the request is abandoned (as node's server does).
      this.socket.destroy();
    } else {
      // The request is whole: its response still goes out, and so do those of requests
      // pipelined before the end; then the connection closes.
      this.exchange.clientEnded(this.hasCompleteHead());
    }
  }

  /** Whether a whole request head waits in the buffer. */
  hasCompleteHead(): boolean {
    return this.buffer !== null && this.buffer.indexOf('\r\n\r\n') >= 0;
  }

  private closed(): void {
    this.gone = true;
    this.forget();
    this.exchange?.clientGone();
  }

  write(data: string | Buffer): boolean {
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  onceDrain(listener: () => void): void {
    this.socket.once('drain', listener);
  }

  /**
   * A piece of the body with what goes before (the head, a chunk size) and after it (a chunk's
   * CRLF), in one write: copied into one buffer when small, corked into one writev when not.
   */
  writeFramed(prefix: string, chunk: Buffer, suffix: string): boolean {
    if (prefix === '' && suffix === '') return this.socket.write(chunk);
    if (chunk.length <= maxCopiedBytes) return this.socket.write(framed(prefix, chunk, suffix));
    this.socket.cork();
    if (prefix !== '') this.socket.write(prefix, 'latin1');
    this.socket.write(chunk);
    const ok = suffix === '' || this.socket.write(suffix, 'latin1');
    this.socket.uncork();
    return ok && this.socket.writableLength < this.socket.writableHighWaterMark;
  }

  get isGone(): boolean {
    return this.gone;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  get timeouts(): HandlerContext['timeouts'] {
    return this.context.timeouts;
  }
}

interface ParsedRequest {
  readonly method: string;
  readonly target: string;
  readonly rawHeaders: string[];
  readonly host: string;
  readonly contentLength: number;
  readonly accept: string | undefined;
  readonly requestId: string | undefined;
  readonly wantsClose: boolean;
}

/**
 * A whole request head the front may take, checked in one pass: an HTTP/1.1 request line with
 * a token method and a visible-ASCII target, then header lines of a token name, a colon and a
 * value without control characters (HTAB aside). Obs-fold, a space before the colon, bare CR or
 * LF and NUL all fail it.
 */
// eslint-disable-next-line no-control-regex
const validHead = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [\x21-\x7e]+ HTTP\/1\.1(?:\r\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*)*$/;

/**
 * The request head, when it is one the front forwards itself; null for anything else (node's
 * server decides about it): HTTP/1.0, `CONNECT`, `Upgrade`, `Expect`, `Transfer-Encoding`, a
 * missing or repeated Host, a bad or repeated Content-Length, obs-fold, or a character out of place.
 */
export function parseRequestHead(text: string): ParsedRequest | null {
  if (!validHead.test(text)) return null;
  const space = text.indexOf(' ');
  const method = text.slice(0, space);
  if (method === 'CONNECT') return null;
  const lineEnd = text.indexOf('\r\n');
  const requestLineEnd = lineEnd < 0 ? text.length : lineEnd;
  const target = text.slice(space + 1, requestLineEnd - 9);
  const rawHeaders: string[] = [];
  let host: string | null = null;
  let contentLength = -1;
  let accept: string | undefined;
  let requestId: string | undefined;
  let wantsClose = false;
  let start = requestLineEnd + 2;
  while (start < text.length) {
    let end = text.indexOf('\r\n', start);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', start);
    const name = text.slice(start, colon);
    const value = trimOws(text, colon + 1, end);
    rawHeaders.push(name, value);
    start = end + 2;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() !== 'host') break;
        if (host !== null) return null;
        host = value;
        break;
      case 6: {
        const lower = name.toLowerCase();
        if (lower === 'expect') return null;
        if (lower === 'accept') accept ??= value;
        break;
      }
      case 7:
        if (name.toLowerCase() === 'upgrade') return null;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          const tokens = value.toLowerCase();
          if (tokens.includes('upgrade')) return null;
          if (/(^|[\s,])close($|[\s,])/.test(tokens)) wantsClose = true;
        }
        break;
      case 12:
        if (name.toLowerCase() === 'x-request-id') requestId ??= value;
        break;
      case 14:
        if (name.toLowerCase() !== 'content-length') break;
        if (contentLength !== -1 || !/^\d{1,15}$/.test(value)) return null;
        contentLength = Number(value);
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') return null;
        break;
    }
  }
  if (host === null) return null;
  return { method, target, rawHeaders, host, contentLength: Math.max(0, contentLength), accept, requestId, wantsClose };
}

/** What events need of a request; its headers as a record only when asked (after the response). */
class LazyFacts implements RequestFacts {
  readonly method: string;
  readonly url: string;
  private record: Record<string, string | string[]> | null = null;

  constructor(private readonly request: ParsedRequest) {
    this.method = request.method;
    this.url = request.target;
  }

  get headers(): Record<string, string | string[]> {
    this.record ??= headersToRecord(this.request.rawHeaders);
    return this.record;
  }
}

/** A request body, fed from the client socket with backpressure. */
class RequestBody extends Readable {
  constructor(private readonly connection: ClientConnection) {
    super();
  }

  override _read(): void {
    this.connection.resumeReading();
  }
}

/** Cached `Date` header value, refreshed once a second (node's servers do the same). */
let dateValue = '';
let dateSecond = -1;
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

/**
 * A response head: the status line, the headers, `Date` unless there is one, and the
 * connection's fate, as node's server writes them.
 */
function responseHead(status: number, statusMessage: string, headers: readonly string[], keepOpen: boolean, chunked = false): string {
  let head = `HTTP/1.1 ${status} ${statusMessage}\r\n`;
  let hasDate = false;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] as string;
    head += `${name}: ${headers[i + 1]}\r\n`;
    if (name.length === 4 && name.toLowerCase() === 'date') hasDate = true;
  }
  if (!hasDate) head += `Date: ${httpDate()}\r\n`;
  if (chunked) head += 'Transfer-Encoding: chunked\r\n';
  return head + (keepOpen ? `Connection: keep-alive\r\nKeep-Alive: timeout=${keepAliveTimeoutMs / 1000}\r\n\r\n` : 'Connection: close\r\n\r\n');
}

/** An error page as a whole response in one buffer (without its body for HEAD). */
function errorResponse(page: ErrorPage, method: string, keepOpen: boolean): Buffer {
  const head = responseHead(page.status, STATUS_CODES[page.status] ?? '', Object.entries(page.headers).flat(), keepOpen);
  return method === 'HEAD' ? Buffer.from(head, 'latin1') : framed(head, Buffer.from(page.body), '');
}

/** One forwarded request: the upstream client's handler, writing straight to the client socket. */
class FrontExchange implements ResponseHandler {
  bodyRemaining: number;
  private body: RequestBody | null = null;
  private upstream: UpstreamExchange | null = null;
  private head: string | null = null;
  private headWritten = false;
  private chunked = false;
  private noBody = false;
  private status: number | null = null;
  private responseHeaders: RawHeaders | null = null;
  private bytesIn = 0;
  private bytesOut = 0;
  private settled = false;
  private keepOpen = true;

  constructor(
    private readonly connection: ClientConnection,
    private readonly request: ParsedRequest,
    private readonly facts: RequestFacts,
    private readonly routing: ForwardRouting,
    private readonly timing: Timing,
  ) {
    this.bodyRemaining = request.contentLength;
    this.keepOpen = !request.wantsClose;
    if (this.bodyRemaining > 0) this.body = new RequestBody(connection);
  }

  start(headers: RawHeaders): void {
    const target: HttpTarget = this.routing.target;
    this.upstream = this.connection.context.forwarder
      .pool(target)
      .request({ method: this.request.method, path: this.routing.upstreamPath, headers, body: this.body }, this);
  }

  /** Client bytes while the body is incomplete: the body's part goes on, the rest is returned. */
  feedBody(chunk: Buffer): Buffer | null {
    if (chunk.length === 0) return null;
    const take = Math.min(chunk.length, this.bodyRemaining);
    const part = take === chunk.length ? chunk : chunk.subarray(0, take);
    this.bodyRemaining -= take;
    if (this.body !== null && !this.settled) {
      if (!this.body.push(part)) this.connection.pauseReading();
      if (this.bodyRemaining === 0) this.body.push(null);
    }
    return take === chunk.length ? null : chunk.subarray(take);
  }

  onBodyProgress(bytes: number): void {
    this.bytesIn = bytes;
  }

  onHead(status: number, statusMessage: string, rawHeaders: string[]): void {
    const headers = filterResponseHeaders(rawHeaders);
    this.status = status;
    this.responseHeaders = headers;
    this.noBody = this.request.method === 'HEAD' || status === 204 || status === 304;
    this.chunked = !this.noBody && rawHeader(headers, 'content-length') === undefined;
    // A client still sending a body nobody will read gets the answer and a closed connection.
    if (this.bodyRemaining > 0 || this.connection.isClosing) this.keepOpen = false;
    this.head = responseHead(status, statusMessage, headers, this.keepOpen, this.chunked);
  }

  onData(chunk: Buffer): boolean {
    if (this.noBody) return true;
    this.bytesOut += chunk.length;
    const prefix = (this.head ?? '') + (this.chunked ? `${chunk.length.toString(16)}\r\n` : '');
    const suffix = this.chunked ? '\r\n' : '';
    this.head = null;
    this.headWritten = true;
    const ok = this.connection.writeFramed(prefix, chunk, suffix);
    if (!ok) this.connection.onceDrain(() => this.upstream?.resume());
    return ok;
  }

  onEnd(): void {
    // A Content-Length body is out already; a chunked one needs its last chunk.
    const last = this.chunked && !this.noBody ? '0\r\n\r\n' : '';
    const rest = (this.head ?? '') + last;
    this.head = null;
    if (rest !== '') this.connection.write(rest);
    this.headWritten = true;
    this.settle(null);
  }

  onError(err: UpstreamError): void {
    if (this.connection.isGone) {
      this.settle('the client closed the connection');
      return;
    }
    const forwardError = classifyForwardError(err, this.routing.target, this.connection.timeouts);
    if (this.headWritten) {
      // Too late for an error page: cut the connection, so the client sees the response is incomplete.
      this.connection.destroy();
      this.settle(forwardError.message);
      return;
    }
    const error = upstreamErrorOf(this.routing, forwardError);
    const page = renderErrorPage(error, negotiateFormat(this.request.accept));
    if (this.bodyRemaining > 0 || this.connection.isClosing) this.keepOpen = false;
    this.head = null;
    this.connection.write(errorResponse(page, this.request.method, this.keepOpen));
    this.status = page.status;
    this.responseHeaders = Object.entries(page.headers).flat();
    this.settle(forwardError.message);
  }

  /** The client closed its side for writing: fine, the response still goes out. */
  clientEnded(morePipelined: boolean): void {
    if (!morePipelined) this.keepOpen = false;
  }

  /** The client connection closed: the upstream request is aborted, which releases its connection. */
  clientGone(): void {
    if (this.settled) return;
    if (this.upstream !== null) this.upstream.abort(new UpstreamError('UPSTREAM_ABORTED', 'the client closed the connection'));
    else this.settle('the client closed the connection');
  }

  private settle(error: string | null): void {
    if (this.settled) return;
    this.settled = true;
    const gone = this.connection.isGone;
    emitCompleted(this.connection.context, this.facts, this.timing, {
      status: gone ? clientClosedStatus : (this.status ?? 502),
      routing: this.routing,
      target: this.routing.target.origin,
      error,
      responseHeaders: this.responseHeaders === null ? {} : headersToRecord(this.responseHeaders),
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
    });
    if (!gone) this.connection.exchangeDone(this.keepOpen);
  }
}

/** Whether a buffer starts as a request line does: a method (token characters), then a space. */
function startsLikeRequest(buffer: Buffer): boolean {
  const length = Math.min(buffer.length, 24);
  for (let i = 0; i < length; i++) {
    const byte = buffer[i] as number;
    if (byte === 0x20) return i > 0;
    if (!isTokenByte(byte)) return false;
  }
  return true;
}

function isTokenByte(byte: number): boolean {
  return (
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    (byte > 0x20 && byte < 0x7f && "!#$%&'*+-.^_`|~".includes(String.fromCharCode(byte)))
  );
}

/** `prefix`, `chunk` and `suffix` in one new buffer. */
function framed(prefix: string, chunk: Buffer, suffix: string): Buffer {
  if (prefix === '' && suffix === '') return chunk;
  const out = Buffer.allocUnsafe(prefix.length + chunk.length + suffix.length);
  out.write(prefix, 0, 'latin1');
  chunk.copy(out, prefix.length);
  if (suffix !== '') out.write(suffix, prefix.length + chunk.length, 'latin1');
  return out;
}

/**
 * Whether every line end so far is CR LF, and a finished first line is an HTTP/1.1 request line:
 * else the front hands the bytes to node rather than wait for a head it would not take.
 */
function plainLineEnds(buffer: Buffer): boolean {
  const firstEnd = buffer.indexOf(10);
  if (firstEnd < 0) return true;
  if (firstEnd === 0 || buffer[firstEnd - 1] !== 13 || !requestLineStart.test(buffer.toString('latin1', 0, firstEnd - 1))) return false;
  for (let at = buffer.indexOf(10, firstEnd + 1); at >= 0; at = buffer.indexOf(10, at + 1)) {
    if (buffer[at - 1] !== 13) return false;
  }
  return true;
}

const requestLineStart = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [\x21-\x7e]+ HTTP\/1\.1$/;
