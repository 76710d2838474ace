import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { classifyForwardError, type ForwardOutcome, type ForwardTimeouts, type HttpTarget } from './forward.js';
import { filterResponseHeaders, type RawHeaders, type ResponseHeaderPolicy } from './headers.js';

/**
 * Forwarding over HTTP/2, for gRPC backends (GRPCRoute): cleartext h2c with prior knowledge to
 * an `http://` target, h2 over TLS (unverified, as ingress-nginx's GRPCS) to an `https://` one,
 * with node's own HTTP/2 client. One session per origin, streams multiplexed on it; the
 * response's trailers (`grpc-status`, `grpc-message`) are relayed as trailers, which an HTTP/2
 * client receives as such.
 */

export interface Http2Forwarder {
  forward(req: IncomingMessage, res: ServerResponse, request: Http2ForwardRequest): Promise<ForwardOutcome>;
  close(): Promise<void>;
}

export interface Http2ForwardRequest {
  readonly target: HttpTarget;
  readonly path: string;
  /** The HTTP/1.1-style header lines the pipeline built (Host among them). */
  readonly headers: RawHeaders;
  readonly serverHeader: string | null;
  readonly responsePolicy?: ResponseHeaderPolicy;
}

/** HTTP/1.1 fields an HTTP/2 request must not carry (RFC 9113 section 8.2.2); `te` is kept only as `trailers`. */
const connectionSpecific = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);

export function createHttp2Forwarder(timeouts: ForwardTimeouts): Http2Forwarder {
  const sessions = new Map<string, ClientHttp2Session>();
  const sessionFor = (target: HttpTarget): ClientHttp2Session => {
    const existing = sessions.get(target.origin);
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const session = connect(target.origin, target.protocol === 'https:' ? { rejectUnauthorized: false } : {});
    session.on('error', () => sessions.delete(target.origin));
    session.on('close', () => sessions.delete(target.origin));
    // An idle session does not keep the process alive.
    session.unref();
    sessions.set(target.origin, session);
    return session;
  };

  return {
    forward(req, res, request) {
      return new Promise((resolve) => {
        let bytesIn = 0;
        let bytesOut = 0;
        let status: number | null = null;
        let responseHeaders: RawHeaders | null = null;
        let settled = false;
        const settle = (error: unknown): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status, responseHeaders, bytesIn, bytesOut, error: error === null ? null : classifyForwardError(error, request.target, timeouts) });
        };
        const headers: OutgoingHttpHeaders = {};
        let authority = `${request.target.host}:${request.target.port}`;
        for (let i = 0; i + 1 < request.headers.length; i += 2) {
          const name = (request.headers[i] as string).toLowerCase();
          const value = request.headers[i + 1] as string;
          if (name === 'host') authority = value;
          if (connectionSpecific.has(name) || name === 'te') continue;
          const previous = headers[name];
          headers[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [String(previous), value];
        }
        headers[':method'] = req.method ?? 'POST';
        headers[':path'] = request.path;
        headers[':authority'] = authority;
        headers[':scheme'] = request.target.protocol === 'https:' ? 'https' : 'http';
        // gRPC requires it (it detects proxies that would drop trailers).
        headers.te = 'trailers';
        let stream;
        try {
          stream = sessionFor(request.target).request(headers, { endStream: false });
        } catch (err) {
          settle(err);
          return;
        }
        const timer = setTimeout(() => stream.close(constants.NGHTTP2_CANCEL), timeouts.readTimeoutMs);
        stream.on('error', (err) => {
          if (res.headersSent) res.destroy();
          settle(err);
        });
        res.on('close', () => {
          if (!settled) stream.close(constants.NGHTTP2_CANCEL);
        });
        req.on('data', (chunk: Buffer) => (bytesIn += chunk.length));
        req.pipe(stream);
        stream.on('response', (answer: IncomingHttpHeaders) => {
          timer.refresh();
          status = Number(answer[':status'] ?? 502);
          const raw: string[] = [];
          for (const [name, value] of Object.entries(answer)) {
            if (name.startsWith(':') || value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [String(value)]) raw.push(name, v);
          }
          responseHeaders = filterResponseHeaders(raw, request.serverHeader, request.responsePolicy ?? {});
          try {
            res.writeHead(status, responseHeaders);
          } catch (err) {
            stream.close(constants.NGHTTP2_CANCEL);
            settle(err);
          }
        });
        stream.on('data', (chunk: Buffer) => {
          timer.refresh();
          bytesOut += chunk.length;
          if (!res.write(chunk)) {
            stream.pause();
            res.once('drain', () => stream.resume());
          }
        });
        stream.on('trailers', (trailers: IncomingHttpHeaders) => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(trailers)) if (!name.startsWith(':') && value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : String(value);
          res.addTrailers(out);
        });
        stream.on('end', () => {
          res.end();
          settle(null);
        });
      });
    },
    async close() {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((s) => new Promise<void>((resolve) => {
        if (s.closed || s.destroyed) resolve();
        else s.close(() => resolve());
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 1000).unref();
      })));
    },
  };
}
