import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { Client, Pool, type Dispatcher } from 'undici';
import type { Target } from '../backends/types.js';
import { filterResponseHeaders, type RawHeaders, type ResponseHeaderPolicy } from './headers.js';

/**
 * Forwarding one request that node's HTTP server received to an HTTP(S) backend, over undici's
 * keep-alive pools (one `Pool` per target origin). undici's llhttp parses and frames every
 * response: src/ parses no HTTP itself (DESIGN.md, "The proxy pipeline").
 */

export type HttpTarget = Extract<Target, { kind: 'http' }>;

export interface ForwardTimeouts {
  /** Establishing the TCP (and TLS) connection: ingress-nginx's proxy-connect-timeout. */
  readonly connectTimeoutMs: number;
  /**
   * Waiting for the response headers, and between two reads of its body: proxy-read-timeout.
   * A relayed WebSocket with no bytes either way for this long is closed, as nginx does.
   */
  readonly readTimeoutMs: number;
  /** No progress sending the request body: proxy-send-timeout. */
  readonly sendTimeoutMs: number;
}

/** ingress-nginx's defaults: connect 5 s, read 60 s, send 60 s. */
export const defaultTimeouts: ForwardTimeouts = { connectTimeoutMs: 5_000, readTimeoutMs: 60_000, sendTimeoutMs: 60_000 };

export type ForwardErrorKind =
  | 'refused'
  | 'reset'
  | 'connect-timeout'
  | 'read-timeout'
  | 'send-timeout'
  | 'body-too-large'
  | 'bad-response'
  | 'client-aborted'
  | 'other';

export interface ForwardError {
  readonly kind: ForwardErrorKind;
  /** One line: `connect ECONNREFUSED 127.0.0.1:3000`. */
  readonly message: string;
}

export interface ForwardOutcome {
  /** The backend's status, or null when it never answered. */
  readonly status: number | null;
  /** The response headers sent to the client, when the backend answered. */
  readonly responseHeaders: RawHeaders | null;
  /** Request body bytes sent to the backend. */
  readonly bytesIn: number;
  /** Response body bytes sent to the client. */
  readonly bytesOut: number;
  /**
   * What went wrong. When the client has not had a response header yet (`res.headersSent` is
   * false), the caller answers with an error page; otherwise the client connection was destroyed.
   */
  readonly error: ForwardError | null;
}

export interface ForwardRequest {
  readonly target: HttpTarget;
  readonly path: string;
  readonly headers: RawHeaders;
  /** `Server` for a response whose backend sent none (the profile's), or null to add none. */
  readonly serverHeader: string | null;
  /** What the profile does to the backend's headers (ingress-nginx: hides Server, sets CORS and add-headers). */
  readonly responsePolicy?: ResponseHeaderPolicy;
  /** The largest request body, in bytes (ingress-nginx's proxy-body-size); a larger one aborts the exchange with `body-too-large`. */
  readonly bodyLimit?: number | null;
  /** This request's read timeout instead of the proxy's (a Gateway API rule's `timeouts`); 0: none. */
  readonly readTimeoutMs?: number;
}

export interface Forwarder {
  /** Streams `req` to the target and the answer to `res`. Never rejects. */
  forward(req: IncomingMessage, res: ServerResponse, request: ForwardRequest): Promise<ForwardOutcome>;
  /** The keep-alive pool of a target, for `Upgrade` requests (upgrade.ts). */
  dispatcher(target: HttpTarget): Dispatcher;
  /** Closes every pooled upstream connection. */
  close(): Promise<void>;
}

/**
 * Pooled connections are kept as long as the backend's `Keep-Alive: timeout` allows, less a
 * second, and 4 s when it does not say; one request at a time on each, so a slow response never
 * holds up another request.
 */
function dispatcherOptions(target: HttpTarget, timeouts: ForwardTimeouts): Pool.Options {
  return {
    pipelining: 1,
    keepAliveTimeout: 4_000,
    keepAliveTimeoutThreshold: 1_000,
    connect: target.protocol === 'https:'
      // Local backends use self-signed certificates; ingress-nginx does not verify upstreams either.
      ? { timeout: timeouts.connectTimeoutMs, rejectUnauthorized: false }
      : { timeout: timeouts.connectTimeoutMs },
    headersTimeout: timeouts.readTimeoutMs,
    bodyTimeout: timeouts.readTimeoutMs,
  };
}

export function createForwarder(timeouts: ForwardTimeouts = defaultTimeouts): Forwarder {
  const pools = new Map<string, Pool>();
  const poolFor = (target: HttpTarget): Pool => {
    let pool = pools.get(target.origin);
    if (pool === undefined) {
      pool = new Pool(target.origin, dispatcherOptions(target, timeouts));
      // A failing upstream connection is reported through the request it served.
      pool.on('connectionError', noop);
      pools.set(target.origin, pool);
    }
    return pool;
  };

  return {
    dispatcher: poolFor,
    forward(req, res, request) {
      return new Promise((resolve) => {
        const exchange = new Exchange(req, res, request, request.readTimeoutMs === undefined ? timeouts : { ...timeouts, readTimeoutMs: request.readTimeoutMs }, resolve);
        if (res.destroyed || req.socket.destroyed) exchange.clientClosed();
        else exchange.dispatch(poolFor(request.target));
      });
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.destroy().catch(noop)));
    },
  };
}

const clientGoneMessage = 'the client closed the connection';
const clientAborted: ForwardError = { kind: 'client-aborted', message: clientGoneMessage };

/**
 * A request that met a pooled connection the backend had just closed is sent once more when
 * nothing of it can have had an effect twice: an idempotent method (RFC 9110 section 9.2.2)
 * without a body, and no byte of a response yet.
 */
const idempotentMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function isIdempotent(method: string | undefined): boolean {
  return idempotentMethods.has(method ?? 'GET');
}
const staleConnectionCodes: ReadonlySet<string> = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * One request on its way through the proxy: undici's handler for it, and its bookkeeping.
 * undici's raw handler methods (onConnect, onHeaders, onData, onComplete, onError) are used,
 * not the object-headers ones, which parse every response's headers into an object first.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly body: BodyMeter | null;
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private status: number | null = null;
  private statusText = '';
  private headWritten = false;
  private responseHeaders: RawHeaders | null = null;
  private bytesOut = 0;
  private clientGone = false;
  private settled = false;
  private retried = false;
  private sendTimer: NodeJS.Timeout | null = null;
  private readonly onClientClose = (): void => this.clientClosed();
  private readonly onDrain = (): void => this.resumeUpstream?.();

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly request: ForwardRequest,
    private readonly timeouts: ForwardTimeouts,
    private readonly resolve: (outcome: ForwardOutcome) => void,
  ) {
    const limit = request.bodyLimit ?? null;
    this.body = hasRequestBody(req)
      ? new BodyMeter(() => this.sendTimer?.refresh(), limit, () => {
          if (this.abortUpstream !== null) this.abortUpstream(new BodyTooLargeError(`the request body is larger than ${limit ?? 0} bytes`));
          else this.body?.destroy(new BodyTooLargeError(`the request body is larger than ${limit ?? 0} bytes`));
        })
      : null;
    // The meter, not `req`, is undici's body: when undici destroys it, the client socket
    // survives for an error page.
    if (this.body !== null) req.pipe(this.body);
    res.on('close', this.onClientClose);
  }

  dispatch(dispatcher: Dispatcher): void {
    const { req, request } = this;
    const readTimeout = request.readTimeoutMs === undefined ? {} : { headersTimeout: request.readTimeoutMs, bodyTimeout: request.readTimeoutMs };
    dispatcher.dispatch({ origin: request.target.origin, method: req.method ?? 'GET', path: request.path, headers: request.headers, body: this.body, ...readTimeout }, this);
  }

  /** The client went away (or the response finished, which settled already). */
  clientClosed(): void {
    if (this.settled) return;
    this.clientGone = true;
    // Aborting closes the upstream connection, so a half-sent response never goes back to the
    // pool; a request still waiting for a connection aborts itself when it gets one (onConnect).
    if (this.abortUpstream !== null) this.abortUpstream(new Error(clientGoneMessage));
    else this.settle(null);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.clientGone) {
      abort(new Error(clientGoneMessage));
      return;
    }
    if (this.body !== null && !this.body.writableFinished && this.sendTimer === null) {
      this.sendTimer = setTimeout(() => abort(new SendTimeoutError()), this.timeouts.sendTimeoutMs);
      this.body.once('finish', () => this.clearSendTimer());
    }
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx interim responses are not relayed; node answers `Expect: 100-continue` itself.
    if (statusCode < 200) return true;
    this.clearSendTimer();
    this.resumeUpstream = resume;
    this.status = statusCode;
    this.statusText = statusText;
    this.responseHeaders = filterResponseHeaders(rawHeaders, this.request.serverHeader, this.request.responsePolicy);
    // The head goes out with the first piece of the body, or on its own when none came with it:
    // a framing error in the same packet (a bad chunk size) is then still a 502 page, not a head
    // followed by a cut connection. undici reports such an error when the socket has closed,
    // after this turn of the event loop, so a head without body waits for the next one.
    queueMicrotask(this.scheduleHead);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.writeHead()) return false;
    this.bytesOut += chunk.length;
    // Backpressure: a slow client pauses the backend's response instead of filling memory.
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.onDrain);
    return false;
  }

  onComplete(): void {
    // undici is done with the request: a head node refuses must be reported here.
    if (!this.writeHead(false)) return;
    // Trailers are dropped, as ingress-nginx drops them.
    this.res.end();
    this.settle(null);
  }

  /**
   * Writes the response head once; false when node refused it, and the exchange then fails with
   * a 502: through undici (`abort`) while the response is still coming, else here at once.
   */
  private writeHead(responseComing = true): boolean {
    if (this.headWritten) return true;
    this.headWritten = true;
    try {
      // HTTP/2 has no reason phrase (node warns when given one).
      if (this.req.httpVersionMajor === 2) this.res.writeHead(this.status ?? 502, this.responseHeaders ?? []);
      else this.res.writeHead(this.status ?? 502, this.statusText, this.responseHeaders ?? []);
      return true;
    } catch (err) {
      // A status text or header node will not write (control characters, say): the backend's
      // response cannot be relayed, which is a 502 and never a crash. node threw before it
      // stored any of the head, so the error page can still be written.
      this.status = null;
      this.responseHeaders = null;
      const error = new BadResponseError(`${this.request.target.origin} sent a response head that cannot be relayed: ${(err as Error).message}`);
      if (responseComing && this.abortUpstream !== null) this.abortUpstream(error);
      else this.onError(error);
      return false;
    }
  }

  private readonly scheduleHead = (): void => {
    if (!this.headWritten && !this.settled) setTimeout(this.flushHead, 0);
  };

  private readonly flushHead = (): void => {
    if (this.headWritten || this.settled || this.res.destroyed) return;
    if (this.writeHead()) this.res.flushHeaders();
  };

  onError(err: Error): void {
    if (this.settled) return;
    this.clearSendTimer();
    if (this.isCompleteWithoutContent(err)) {
      this.onComplete();
      return;
    }
    if (this.shouldRetry(err)) {
      this.retried = true;
      this.abortUpstream = null;
      this.retryOnNewConnection();
      return;
    }
    if (!this.res.headersSent) {
      // The backend's head never went out: the client gets an error page instead.
      this.status = null;
      this.responseHeaders = null;
    }
    // Too late for an error page: cut the connection, so the client sees the response is incomplete.
    if (this.res.headersSent) this.res.destroy();
    this.settle(this.clientGone ? clientAborted : classifyForwardError(err, this.request.target, this.timeouts));
  }

  /**
   * A 304 (or 204) has no content whatever its `Content-Length` says (RFC 9110 sections 8.6 and
   * 15.4.5: a 304 may carry the length the full response would have). undici counts the missing
   * body as a length mismatch and closes the connection; the response itself is complete.
   */
  private isCompleteWithoutContent(err: Error): boolean {
    return (this.status === 304 || this.status === 204) && this.bytesOut === 0 && !this.clientGone && errorCode(err) === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH';
  }

  private shouldRetry(err: Error): boolean {
    if (this.retried || this.clientGone || this.body !== null || this.status !== null || this.res.headersSent) return false;
    const code = errorCode(err);
    return code !== undefined && staleConnectionCodes.has(code) && !isRefusedResponse(err) && isIdempotent(this.req.method);
  }

  /**
   * On a client of its own, not the pool: the pool's other idle connections may be stale too
   * (a backend that restarted closed them all).
   */
  private retryOnNewConnection(): void {
    const client = new Client(this.request.target.origin, dispatcherOptions(this.request.target, this.timeouts));
    client.on('connectionError', noop);
    const close = (): void => void client.close().catch(noop);
    this.res.once('close', close);
    this.dispatch(client);
  }

  private settle(error: ForwardError | null): void {
    if (this.settled) return;
    this.settled = true;
    this.clearSendTimer();
    this.res.off('close', this.onClientClose);
    this.res.off('drain', this.onDrain);
    if (this.body !== null) {
      this.req.unpipe(this.body);
      // A body the backend did not take is discarded, so the client can finish sending it and
      // read the response.
      if (!this.req.complete) this.req.resume();
    }
    this.resolve({
      status: this.status,
      responseHeaders: this.responseHeaders,
      bytesIn: this.body?.bytes ?? 0,
      bytesOut: this.bytesOut,
      error: error ?? (this.clientGone ? clientAborted : null),
    });
  }

  private clearSendTimer(): void {
    if (this.sendTimer !== null) clearTimeout(this.sendTimer);
    this.sendTimer = null;
  }
}

/** Counts request body bytes on their way to the backend, and reports progress for the send timeout. */
class BodyMeter extends Transform {
  bytes = 0;

  constructor(
    private readonly onProgress: () => void,
    private readonly limit: number | null = null,
    private readonly onTooLarge: () => void = () => undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.onProgress();
    if (this.limit !== null && this.bytes > this.limit) {
      callback();
      this.onTooLarge();
      return;
    }
    callback(null, chunk);
  }
}

export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

class SendTimeoutError extends Error {
  readonly code = 'INGRESS_DEV_SEND_TIMEOUT';
}

class BodyTooLargeError extends Error {
  readonly code = 'INGRESS_DEV_BODY_TOO_LARGE';
}

export class BadResponseError extends Error {
  readonly code = 'INGRESS_DEV_BAD_RESPONSE';
}

/**
 * undici closes the connection with `bad response` on a response it refuses outright: a
 * `100 Continue` to a request that sent no `Expect` (the proxy never sends one: node answers it
 * to the client itself), or an answer on a connection with no request.
 */
function isRefusedResponse(err: unknown): boolean {
  return err instanceof Error && errorCode(err) === 'UND_ERR_SOCKET' && (err.message === 'bad response' || err.message === 'bad upgrade');
}

/** undici's codes (besides llhttp's `HPE_*`) for a response llhttp (or undici's own checks) refused. */
const badResponseCodes: ReadonlySet<string> = new Set([
  'UND_ERR_HEADERS_OVERFLOW',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_INFO',
  'INGRESS_DEV_BAD_RESPONSE',
]);

/**
 * What kind of failure an upstream error is, which decides the status (502 or 504) and the
 * hint on the error page. Exported for tests: a real connect timeout needs an address that
 * never answers, which a test must not use.
 */
export function classifyForwardError(err: unknown, target: HttpTarget, timeouts: ForwardTimeouts): ForwardError {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const origin = target.origin;
  const parserError = err instanceof Error && err.name === 'HTTPParserError';
  if (isRefusedResponse(err)) {
    return { kind: 'bad-response', message: `${origin} sent a response the proxy cannot relay (${(err as Error).message}: an interim 100 Continue nobody asked for, or an unexpected upgrade)` };
  }
  if (parserError || (code !== undefined && (badResponseCodes.has(code) || code.startsWith('HPE_')))) {
    const detail = code === 'INGRESS_DEV_BAD_RESPONSE' || code === undefined ? message : `${code}: ${message}`;
    return { kind: 'bad-response', message: detail.startsWith(origin) ? detail : `${origin} sent a malformed response (${detail})` };
  }
  switch (code) {
    case 'ECONNREFUSED':
      return { kind: 'refused', message: `connect ECONNREFUSED ${target.host}:${target.port}` };
    // No connection was made either (a removed container's address stops answering ARP): nothing
    // was sent, so the next endpoint may take the request, as nginx's proxy_next_upstream "error" does.
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return { kind: 'refused', message: `connect ${code} ${target.host}:${target.port}` };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return { kind: 'reset', message: `${origin} closed the connection before the response was complete (${message})` };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return { kind: 'connect-timeout', message: `connecting to ${origin} took longer than ${timeouts.connectTimeoutMs} ms` };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { kind: 'read-timeout', message: `${origin} sent no response within ${timeouts.readTimeoutMs} ms` };
    case 'UND_ERR_BODY_TIMEOUT':
      return { kind: 'read-timeout', message: `${origin} sent nothing for ${timeouts.readTimeoutMs} ms while sending the response body` };
    case 'INGRESS_DEV_BODY_TOO_LARGE':
      return { kind: 'body-too-large', message };
    case 'INGRESS_DEV_SEND_TIMEOUT':
      return { kind: 'send-timeout', message: `sending the request body to ${origin} made no progress for ${timeouts.sendTimeoutMs} ms` };
    default:
      return { kind: 'other', message: code === undefined || message.includes(code) ? message : `${code}: ${message}` };
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, cause } = err as { code?: unknown; cause?: unknown };
  if (typeof code === 'string') return code;
  return cause === undefined ? undefined : errorCode(cause);
}

function noop(): void {}
