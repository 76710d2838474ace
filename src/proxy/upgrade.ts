import { STATUS_CODES, validateHeaderName, validateHeaderValue, type OutgoingHttpHeaders } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { classifyForwardError, type ForwardError, type ForwardTimeouts, type HttpTarget } from './forward.js';
import { filterResponseHeaders, switchingProtocolsHeaders, type RawHeaders } from './headers.js';

/**
 * WebSockets and other `Upgrade` requests, on a raw client socket that node's server handed
 * over. undici sends the request and parses the backend's answer:
 * - `101 Switching Protocols`: the 101 head goes to the client and from then on bytes flow both
 *   ways untouched, until either side closes or nothing moves either way for the read timeout
 *   (nginx's proxy_read_timeout on an upgraded connection, 60 s by default).
 * - anything else: it is an ordinary response, written to the client with `Connection: close`,
 *   and the connection closes after it. Bytes the client sent after its request never reach
 *   the backend raw: relaying them without a 101 would be a tunnel past routing.
 * The client side is either that raw HTTP/1.1 socket or an HTTP/2 stream that an extended
 * CONNECT opened (RFC 8441): there the 101 becomes a 200 on the stream, which then carries the
 * bytes, and any other answer is that stream's response.
 */

/** How the backend's answer reaches the client: on a raw HTTP/1.1 socket, or an HTTP/2 stream. */
export interface UpgradeClient {
  /** After the switch, bytes flow both ways through it; a response's body is written to it. */
  readonly stream: Duplex;
  /** Writes the backend's 101 the way this client takes it. Throws when it cannot be relayed. */
  switched(status: number, headers: RawHeaders): void;
  /** Writes the head of any other response (its body follows on `stream`); false when the client's buffer is full. */
  respond(status: number, headers: RawHeaders): boolean;
}

/** The client of an HTTP/1.1 `Upgrade`: the socket node's server handed over. */
export function socketUpgradeClient(socket: Duplex): UpgradeClient {
  return {
    stream: socket,
    switched: (status, headers) => socket.write(formatResponseHead(status, headers)),
    respond: (status, headers) => socket.write(formatResponseHead(status, headers, true)),
  };
}

/**
 * The client of an extended CONNECT (RFC 8441 section 5): the backend's 101 is answered 200, its
 * headers kept but for the connection's own and `Sec-WebSocket-Accept`, which HTTP/2 does not use.
 */
export function http2UpgradeClient(stream: ServerHttp2Stream): UpgradeClient {
  return {
    stream,
    switched: (_status, headers) => stream.respond(http2Headers(200, headers, ['sec-websocket-accept'])),
    respond: (status, headers) => {
      stream.respond(http2Headers(status, headers));
      return true;
    },
  };
}

/** HTTP/1.1 connection-specific fields: an HTTP/2 message must not carry them (RFC 9113 section 8.2.2). */
const connectionSpecific = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

/** A response's header lines as an HTTP/2 header object, checked as node's server checks them. */
function http2Headers(status: number, headers: RawHeaders, drop: readonly string[] = []): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = { ':status': String(status) };
  let hasDate = false;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = (headers[i] as string).toLowerCase();
    const value = headers[i + 1] as string;
    if (connectionSpecific.includes(name) || drop.includes(name)) continue;
    validateHeaderName(name);
    validateHeaderValue(name, value);
    if (name === 'date') hasDate = true;
    const previous = out[name];
    out[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  if (!hasDate) out.date = new Date().toUTCString();
  return out;
}

export interface UpgradeOutcome {
  /** The backend's status (101 for a WebSocket), or null when it never answered. */
  readonly status: number | null;
  readonly responseHeaders: RawHeaders | null;
  /** Bytes relayed client → backend and backend → client, after the heads. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /**
   * Set when the backend never answered (the client socket is left open for an error
   * response), or when the client went away first (`client-aborted`).
   */
  readonly error: ForwardError | null;
}

export interface UpgradeRequest {
  readonly target: HttpTarget;
  readonly method: string;
  readonly path: string;
  /** Without `Connection` and `Upgrade`: undici writes those from `protocol`. */
  readonly headers: RawHeaders;
  /** The client's `Upgrade` value: `websocket`. */
  readonly protocol: string;
  readonly serverHeader: string | null;
}

/** Resolves when the backend failed before answering, or when the relayed connection ended. */
export function relayUpgrade(dispatcher: Dispatcher, client: UpgradeClient, head: Buffer, request: UpgradeRequest, timeouts: ForwardTimeouts): Promise<UpgradeOutcome> {
  return new Promise((resolve) => {
    const handler = new UpgradeExchange(client, head, request, timeouts, resolve);
    dispatcher.dispatch(
      { origin: request.target.origin, method: request.method, path: request.path, headers: request.headers, upgrade: request.protocol, body: null },
      handler,
    );
  });
}

class UpgradeExchange implements Dispatcher.DispatchHandler {
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private status: number | null = null;
  private responseHeaders: RawHeaders | null = null;
  private bytesIn = 0;
  private bytesOut = 0;
  /** The 101 came and the sockets are joined. */
  private relaying = false;
  /** A non-101 response is being written to the client. */
  private responding = false;
  private settled = false;
  private idleTimer: NodeJS.Timeout | null = null;
  /** The backend's socket once the 101 came. */
  private upstream: Duplex | null = null;
  private readonly onClientClose = (): void => this.clientClosed();
  private readonly client: Duplex;

  constructor(
    private readonly side: UpgradeClient,
    private readonly head: Buffer,
    private readonly request: UpgradeRequest,
    private readonly timeouts: ForwardTimeouts,
    private readonly resolve: (outcome: UpgradeOutcome) => void,
  ) {
    const client = side.stream;
    this.client = client;
    client.on('error', noop);
    client.on('close', this.onClientClose);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.client.destroyed) abort(new Error('the client closed the connection'));
  }

  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, upstream: Duplex): void {
    this.status = statusCode;
    const headers = switchingProtocolsHeaders(rawHeaders ?? [], this.request.serverHeader);
    this.responseHeaders = headers;
    const client = this.client;
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    try {
      this.side.switched(statusCode, headers);
    } catch (err) {
      upstream.destroy();
      this.status = null;
      this.responseHeaders = null;
      this.settle(classifyForwardError(new BadUpgradeError(`${this.request.target.origin} answered the upgrade with a head that cannot be relayed: ${(err as Error).message}`), this.request.target, this.timeouts));
      return;
    }
    this.relaying = true;
    this.upstream = upstream;
    upstream.on('error', noop);
    // WebSocket frames the client sent along with its request go out now that the backend speaks them.
    if (this.head.length > 0) {
      this.bytesIn += this.head.length;
      upstream.write(this.head);
    }
    this.idleTimer = setTimeout(() => {
      client.destroy();
      upstream.destroy();
    }, this.timeouts.readTimeoutMs);
    const timer = this.idleTimer;
    upstream.on('data', (data: Buffer) => {
      this.bytesOut += data.length;
      timer.refresh();
    });
    client.on('data', (data: Buffer) => {
      this.bytesIn += data.length;
      timer.refresh();
    });
    upstream.pipe(client, { end: false });
    client.pipe(upstream, { end: false });
    // Either side's end closes the relay, as nginx does: finish writing to the other, then destroy.
    upstream.once('end', () => closeAfterFlush(client));
    client.once('end', () => closeAfterFlush(upstream));
    upstream.once('close', () => client.destroy());
  }

  /** The backend answered with something else than 101: an ordinary response, then close. */
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    const headers = filterResponseHeaders(rawHeaders, this.request.serverHeader);
    this.status = statusCode;
    this.responseHeaders = headers;
    this.resumeUpstream = resume;
    this.responding = true;
    return this.side.respond(statusCode, headers) || this.waitForDrain();
  }

  onData(chunk: Buffer): boolean {
    this.bytesOut += chunk.length;
    return this.client.write(chunk) || this.waitForDrain();
  }

  onComplete(): void {
    closeAfterFlush(this.client);
    this.settle(null);
  }

  onError(err: Error): void {
    if (this.responding && !this.client.destroyed) this.client.destroy();
    this.status = this.responding ? this.status : null;
    this.settle(this.client.destroyed && !this.responding ? clientAborted : classifyForwardError(err, this.request.target, this.timeouts));
  }

  private waitForDrain(): false {
    this.client.once('drain', () => this.resumeUpstream?.());
    return false;
  }

  private clientClosed(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    if (this.relaying) {
      // A client gone without ending its side (reset, destroyed): the backend's connection goes
      // too. One that ended has its end passed on already, and the backend's side closes after it.
      if (this.upstream !== null && !this.upstream.writableEnded) this.upstream.destroy();
      this.settle(null);
      return;
    }
    this.abortUpstream?.(new Error('the client closed the connection'));
    this.settle(this.responding ? null : clientAborted);
  }

  private settle(error: ForwardError | null): void {
    if (this.settled) return;
    this.settled = true;
    const { status, responseHeaders, bytesIn, bytesOut } = this;
    this.resolve({ status, responseHeaders, bytesIn, bytesOut, error });
  }
}

const clientAborted: ForwardError = { kind: 'client-aborted', message: 'the client closed the connection' };

class BadUpgradeError extends Error {
  readonly code = 'INGRESS_DEV_BAD_RESPONSE';
}

/**
 * A response head for a raw socket, every name and value checked as node's own server checks
 * them (a throw means the backend sent something no client should get). A non-101 response is
 * delimited by the connection's close, so it says `Connection: close` and keeps no framing of
 * the backend's but its `Content-Length`.
 */
function formatResponseHead(status: number, headers: RawHeaders, close = false): string {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  let hasDate = false;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] as string;
    const value = headers[i + 1] as string;
    validateHeaderName(name);
    validateHeaderValue(name, value);
    if (name.toLowerCase() === 'date') hasDate = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasDate) head += `Date: ${new Date().toUTCString()}\r\n`;
  if (close) head += 'Connection: close\r\n';
  return `${head}\r\n`;
}

function closeAfterFlush(socket: Duplex): void {
  socket.end(() => socket.destroy());
}

function noop(): void {}
