import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Target } from '../backends/types.js';
import { filterResponseHeaders, type RawHeaders } from './headers.js';
import { UpstreamError, UpstreamPool, type ResponseHandler, type UpstreamExchange } from './upstream-client.js';

/**
 * Forwarding one request that node's HTTP server received to an HTTP(S) backend, over the
 * keep-alive pools of the upstream client (upstream-client.ts: undici and node:http's client
 * were measured and cost more per request, see the README's "How fast"). The front
 * (front.ts) forwards the common requests itself on the same pools, through `pool()`.
 */

export type HttpTarget = Extract<Target, { kind: 'http' }>;

export interface ForwardTimeouts {
  /** Establishing the TCP (and TLS) connection: ingress-nginx's proxy-connect-timeout. */
  readonly connectTimeoutMs: number;
  /** Waiting for the response headers, and between two reads of its body: proxy-read-timeout. */
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

export interface Forwarder {
  /** Streams `req` to the target and the answer to `res`. Never rejects. */
  forward(req: IncomingMessage, res: ServerResponse, target: HttpTarget, upstreamPath: string, headers: RawHeaders): Promise<ForwardOutcome>;
  /** The keep-alive pool for a target, for the front's fast path. */
  pool(target: HttpTarget): UpstreamPool;
  /** Closes every pooled upstream connection. */
  close(): Promise<void>;
}

export function createForwarder(timeouts: ForwardTimeouts = defaultTimeouts): Forwarder {
  const pools = new Map<string, UpstreamPool>();
  const poolFor = (target: HttpTarget): UpstreamPool => {
    let pool = pools.get(target.origin);
    if (pool === undefined) {
      pool = new UpstreamPool({ protocol: target.protocol, host: target.host, port: target.port }, timeouts);
      pools.set(target.origin, pool);
    }
    return pool;
  };

  return {
    pool: poolFor,
    forward(req, res, target, upstreamPath, headers) {
      return new Promise((resolve) => {
        const exchange = new Exchange(req, res, target, timeouts, resolve);
        if (res.destroyed || req.socket.destroyed) {
          exchange.clientClosed();
          return;
        }
        exchange.start(poolFor(target), upstreamPath, headers);
      });
    },
    async close() {
      for (const pool of pools.values()) pool.close();
      pools.clear();
    },
  };
}

const clientGoneMessage = 'the client closed the connection';
const clientAborted: ForwardError = { kind: 'client-aborted', message: clientGoneMessage };

/** One request on its way through the proxy: the upstream client's handler for it, and its bookkeeping. */
class Exchange implements ResponseHandler {
  private upstream: UpstreamExchange | null = null;
  private status: number | null = null;
  private responseHeaders: RawHeaders | null = null;
  private bytesIn = 0;
  private bytesOut = 0;
  private clientGone = false;
  private settled = false;
  private readonly onClientClose = (): void => this.clientClosed();
  private readonly onDrain = (): void => this.upstream?.resume();

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly target: HttpTarget,
    private readonly timeouts: ForwardTimeouts,
    private readonly resolve: (outcome: ForwardOutcome) => void,
  ) {
    res.on('close', this.onClientClose);
  }

  start(pool: UpstreamPool, path: string, headers: RawHeaders): void {
    const req = this.req;
    this.upstream = pool.request({ method: req.method ?? 'GET', path, headers, body: hasBody(req) ? req : null }, this);
  }

  /** The client went away (or the response finished, which settled already). */
  clientClosed(): void {
    if (this.settled) return;
    this.clientGone = true;
    // Aborting closes the upstream connection, so a half-sent response never goes back to the pool.
    if (this.upstream !== null) this.upstream.abort(new UpstreamError('UPSTREAM_ABORTED', clientGoneMessage));
    else this.settle(null);
  }

  onHead(statusCode: number, statusMessage: string, rawHeaders: string[]): void {
    const headers = filterResponseHeaders(rawHeaders);
    this.status = statusCode;
    this.responseHeaders = headers;
    // A header node refuses to send throws here; the client reports it as an error.
    this.res.writeHead(statusCode, statusMessage, headers);
  }

  onData(chunk: Buffer): boolean {
    this.bytesOut += chunk.length;
    // Backpressure: a slow client pauses the backend's response instead of filling memory.
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.onDrain);
    return false;
  }

  onBodyProgress(bytes: number): void {
    this.bytesIn = bytes;
  }

  onEnd(): void {
    this.res.end();
    this.settle(null);
  }

  onError(err: UpstreamError): void {
    // Too late for an error page: cut the connection, so the client sees the response is incomplete.
    if (this.res.headersSent) this.res.destroy();
    this.settle(this.clientGone ? clientAborted : classifyForwardError(err, this.target, this.timeouts));
  }

  private settle(error: ForwardError | null): void {
    if (this.settled) return;
    this.settled = true;
    this.res.off('close', this.onClientClose);
    // A body the backend did not take is discarded, so the client can finish sending it and
    // read the response.
    if (!this.req.complete) this.req.resume();
    this.resolve({
      status: this.status,
      responseHeaders: this.responseHeaders,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      error: error ?? (this.clientGone ? clientAborted : null),
    });
  }
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * What kind of failure an upstream error is, which decides the status (502 or 504) and the
 * hint on the error page. Exported for tests: a real connect timeout needs an address that
 * never answers, which a test must not use.
 */
export function classifyForwardError(err: unknown, target: HttpTarget, timeouts: ForwardTimeouts): ForwardError {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const origin = target.origin;
  switch (code) {
    case 'ECONNREFUSED':
      return { kind: 'refused', message: `connect ECONNREFUSED ${target.host}:${target.port}` };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UPSTREAM_CLOSED':
      return { kind: 'reset', message: `${origin} closed the connection before the response was complete (${message})` };
    case 'UPSTREAM_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return { kind: 'connect-timeout', message: `connecting to ${origin} took longer than ${timeouts.connectTimeoutMs} ms` };
    case 'UPSTREAM_HEADERS_TIMEOUT':
      return { kind: 'read-timeout', message: `${origin} sent no response within ${timeouts.readTimeoutMs} ms` };
    case 'UPSTREAM_BODY_TIMEOUT':
      return { kind: 'read-timeout', message: `${origin} sent nothing for ${timeouts.readTimeoutMs} ms while sending the response body` };
    case 'UPSTREAM_SEND_TIMEOUT':
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
