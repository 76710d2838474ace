import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { Target } from '../backends/types.js';
import { filterResponseHeaders, type RawHeaders } from './headers.js';

/**
 * Forwarding one request to an HTTP(S) backend over a keep-alive pool. The only file that
 * imports the proxy library (undici), so it can be swapped for another one.
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
  /** Closes every pooled upstream connection. */
  close(): Promise<void>;
}

export function createForwarder(timeouts: ForwardTimeouts = defaultTimeouts): Forwarder {
  const pools = new Map<string, Pool>();
  const poolFor = (target: HttpTarget): Pool => {
    let pool = pools.get(target.origin);
    if (pool === undefined) {
      pool = new Pool(target.origin, {
        // A stuck request must not hold up the next one on the same connection.
        pipelining: 1,
        connect: target.protocol === 'https:'
          // Local backends use self-signed certificates; ingress-nginx does not verify upstreams either.
          ? { timeout: timeouts.connectTimeoutMs, rejectUnauthorized: false }
          : { timeout: timeouts.connectTimeoutMs },
        headersTimeout: timeouts.readTimeoutMs,
        bodyTimeout: timeouts.readTimeoutMs,
      });
      // A failing upstream connection is reported through the request it served.
      pool.on('connectionError', noop);
      pools.set(target.origin, pool);
    }
    return pool;
  };

  return {
    forward(req, res, target, upstreamPath, headers) {
      return new Promise((resolve) => {
        const exchange = new Exchange(req, res, target, timeouts, resolve);
        if (res.destroyed || req.socket.destroyed) {
          exchange.clientClosed();
          return;
        }
        poolFor(target).dispatch(
          { origin: target.origin, method: req.method ?? 'GET', path: upstreamPath, headers, body: exchange.body },
          exchange,
        );
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

/** One request on its way through the proxy: undici's handler for it, and its bookkeeping. */
class Exchange implements Dispatcher.DispatchHandler {
  readonly body: BodyMeter | null;
  private controller: Dispatcher.DispatchController | null = null;
  private status: number | null = null;
  private responseHeaders: RawHeaders | null = null;
  private bytesOut = 0;
  private clientGone = false;
  private settled = false;
  private sendTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly target: HttpTarget,
    private readonly timeouts: ForwardTimeouts,
    private readonly resolve: (outcome: ForwardOutcome) => void,
  ) {
    this.body = hasBody(req) ? new BodyMeter(() => this.sendTimer?.refresh()) : null;
    // The meter, not `req`, is undici's body: if undici destroys it, the client socket survives
    // for an error page.
    if (this.body !== null) req.pipe(this.body);
    res.on('close', () => this.clientClosed());
  }

  /** The client went away (or the response finished, which settled already). */
  clientClosed(): void {
    if (this.settled) return;
    this.clientGone = true;
    // Aborting releases the upstream connection; a request still waiting for one aborts itself
    // when it gets it (onRequestStart).
    if (this.controller !== null) this.controller.abort(new Error(clientGoneMessage));
    else this.settle(null);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) {
      controller.abort(new Error(clientGoneMessage));
      return;
    }
    if (this.body !== null && !this.body.writableFinished) {
      this.sendTimer = setTimeout(() => controller.abort(new SendTimeoutError()), this.timeouts.sendTimeoutMs);
      this.body.once('finish', () => this.clearSendTimer());
    }
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, _headers: unknown, statusMessage?: string): void {
    // 1xx informational responses are not relayed; node answers `Expect: 100-continue` itself.
    if (statusCode < 200) return;
    this.clearSendTimer();
    const headers = filterResponseHeaders((controller.rawHeaders ?? []) as (string | Buffer)[]);
    this.status = statusCode;
    this.responseHeaders = headers;
    // A header node refuses to send throws here; undici then aborts and reports it as an error.
    this.res.writeHead(statusCode, statusMessage ?? '', headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytesOut += chunk.length;
    // Backpressure: a slow client pauses the backend's response instead of filling memory.
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.settle(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.clearSendTimer();
    // Too late for an error page: cut the connection, so the client sees the response is incomplete.
    if (this.res.headersSent) this.res.destroy();
    this.settle(this.clientGone ? clientAborted : classifyForwardError(err, this.target, this.timeouts));
  }

  private settle(error: ForwardError | null): void {
    if (this.settled) return;
    this.settled = true;
    this.clearSendTimer();
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

  constructor(private readonly onProgress: () => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.onProgress();
    callback(null, chunk);
  }
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

class SendTimeoutError extends Error {
  readonly code = 'INGRESS_DEV_SEND_TIMEOUT';
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
    case 'UND_ERR_SOCKET':
      return { kind: 'reset', message: `${origin} closed the connection before the response was complete (${message})` };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return { kind: 'connect-timeout', message: `connecting to ${origin} took longer than ${timeouts.connectTimeoutMs} ms` };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { kind: 'read-timeout', message: `${origin} sent no response within ${timeouts.readTimeoutMs} ms` };
    case 'UND_ERR_BODY_TIMEOUT':
      return { kind: 'read-timeout', message: `${origin} sent nothing for ${timeouts.readTimeoutMs} ms while sending the response body` };
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
