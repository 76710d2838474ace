import type { IncomingMessage, Server } from 'node:http';
import type { Http2SecureServer, Http2Session } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { InflightRequests } from '../backends/inflight.js';
import type { BackendResolver } from '../backends/types.js';
import type { EventBus } from '../events/bus.js';
import type { RequestCompleted } from '../events/types.js';
import type { RouteTable } from '../model/types.js';
import type { ConnectionTracker } from './connections.js';
import type { Http2Forwarder } from './forward-h2.js';
import type { CertificateStore } from '../tls/certificates.js';
import { upstreamError, type ProxyError, type RequestLine } from './errors.js';
import { defaultTimeouts, type ForwardError, type Forwarder, type ForwardTimeouts } from './forward.js';
import { applyHeaderEdits, buildUpstreamHeaders, clientAddressOf, requestIdOf, type RawHeaders, type ResponseHeaderPolicy } from './headers.js';
import type { EchoRouting, ForwardRouting, RequestInput, Routing } from './route-request.js';

export interface ProxyOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Read once per request: a request keeps the table it started with across reloads. */
  readonly getTable: () => RouteTable;
  /** A function is called once per request, like `getTable`, so a reloaded config can swap it. */
  readonly resolver: BackendResolver | (() => BackendResolver);
  readonly events: EventBus;
  readonly timeouts?: Partial<ProxyTimeouts>;
  /** Counts the requests in progress to each upstream, so that a leaving container is drained first. */
  readonly inflight?: InflightRequests;
  /** The HTTPS listener (HTTP/2 and HTTP/1.1 by ALPN) on the same host; absent: none. */
  readonly https?: { readonly port: number; readonly certificates: CertificateStore };
}

/** The backend timeouts, and the client side's, as node's server applies them. */
export interface ProxyTimeouts extends ForwardTimeouts {
  /** A request head must arrive within this long of its first byte (node's `headersTimeout`), else 408. */
  readonly headersTimeoutMs: number;
  /** An idle kept-alive client connection closes after this long (node's `keepAliveTimeout`). */
  readonly keepAliveTimeoutMs: number;
}

/** ingress-nginx's backend timeouts; node's own 60 s for a request head and 5 s for an idle client. */
export const defaultServerTimeouts: ProxyTimeouts = { ...defaultTimeouts, headersTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000 };

/** What every handler shares: the options, the forwarder, open tunnels, and the closing flag. */
export interface HandlerContext {
  readonly options: ProxyOptions;
  readonly timeouts: ProxyTimeouts;
  readonly forwarder: Forwarder;
  /** HTTP/2 to gRPC backends (GRPCRoute). */
  readonly http2Forwarder: Http2Forwarder;
  readonly resolverOf: () => BackendResolver;
  readonly tunnels: Set<Duplex>;
  readonly connections: ConnectionTracker;
  readonly state: { closing: boolean };
  server?: Server;
  /** The HTTPS listener's HTTP/2 sessions, closed with a GOAWAY when the proxy closes. */
  readonly sessions?: Set<Http2Session>;
  /** The HTTPS listener's port once it listens; null without one. */
  httpsPort?: number | null;
  /** The HTTP listener's port once it listens (a Gateway API redirect to http:// points there). */
  httpPort?: number | null;
  /** The HTTPS listener: a CONNECT it terminates hands it the client's socket. */
  secure?: Http2SecureServer;
}

/** Fields of a `request-completed` event that depend on how the request ended. */
export interface Ending {
  readonly status: number;
  readonly routing: Routing | null;
  readonly target: string | null;
  readonly error: string | null;
  readonly responseHeaders: Readonly<Record<string, string | string[] | undefined>>;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** nginx's code for "the client closed the connection before the response". */
export const clientClosedStatus = 499;

export interface Timing {
  readonly requestId: string;
  readonly startedAt: number;
  readonly started: number;
  readonly upgrade: boolean;
  /** Read at the start: an HTTP/2 request's socket is gone once its stream closed. */
  readonly scheme: 'http' | 'https';
}

export function startTiming(req: IncomingMessage, upgrade: boolean): Timing {
  return { requestId: requestIdOf(req.headers['x-request-id']), startedAt: Date.now(), started: performance.now(), upgrade, scheme: schemeOf(req) };
}

export function requestInputOf(req: IncomingMessage, httpsPort: number | null = null, httpPort: number | null = null): RequestInput {
  return { method: req.method ?? 'GET', url: req.url ?? '/', hostHeader: hostOf(req), localPort: localPortOf(req), headers: req.headers, clientAddress: clientAddressOf(req.socket.remoteAddress), scheme: schemeOf(req), httpsPort, httpPort };
}

export function requestLineOf(req: IncomingMessage): RequestLine {
  return { method: req.method ?? 'GET', host: hostOf(req) ?? '', path: req.url ?? '', port: localPortOf(req) };
}

/**
 * Connections a `CONNECT host:443` handed to the HTTPS listener, by their address pair: the port
 * the client asked for. Requests through them are forwarded with that port (X-Forwarded-Port
 * 443, as in the cluster), not the HTTP listener's that the socket really came in on.
 */
const connectPorts = new Map<string, number>();

function connectionKey(socket: { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined; readonly localPort?: number | undefined }): string {
  return `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}>${socket.localPort ?? 0}`;
}

/** Called by the CONNECT handler before it hands the socket over; forgotten when it closes. */
export function rememberConnectPort(socket: Duplex & { readonly remoteAddress?: string; readonly remotePort?: number; readonly localPort?: number }, port: number): void {
  const key = connectionKey(socket);
  connectPorts.set(key, port);
  socket.once('close', () => connectPorts.delete(key));
}

/** The port the client connected to: the HTTP or HTTPS listener's, or 443 through a terminated CONNECT. */
export function localPortOf(req: IncomingMessage): number {
  const socket = req.socket as { readonly remoteAddress?: string; readonly remotePort?: number; readonly localPort?: number } | null;
  if (socket === null) return 0;
  return (connectPorts.size === 0 ? undefined : connectPorts.get(connectionKey(socket))) ?? socket.localPort ?? 0;
}

/**
 * The HTTPS listener (node:http2's secure server with allowHTTP1) hands HTTP/2 requests over as
 * node's compatibility objects, passed through the one pipeline as IncomingMessage and
 * ServerResponse: they differ where HTTP/2 does (the authority, pseudo-headers, no reason
 * phrase, no connection headers), and the pipeline asks this where it matters.
 */
export function isHttp2(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2;
}

/** The Host header, or HTTP/2's `:authority` (RFC 9113 section 8.3.1). */
export function hostOf(req: IncomingMessage): string | undefined {
  return req.headers.host ?? (req.headers[':authority'] as string | undefined);
}

/** `HTTP/2`, `HTTP/1.1`, `HTTP/1.0`: the usual ones without building a string per request. */
function protocolOf(req: IncomingMessage): string {
  if (isHttp2(req)) return 'HTTP/2';
  return req.httpVersion === '1.1' ? 'HTTP/1.1' : `HTTP/${req.httpVersion}`;
}

/** `https` for a request that came over TLS (the HTTPS listener). */
export function schemeOf(req: IncomingMessage): 'http' | 'https' {
  return (req.socket as { encrypted?: boolean } | null)?.encrypted === true ? 'https' : 'http';
}

/**
 * The request's header lines as an HTTP/1.1 backend takes them: HTTP/2's pseudo-headers left
 * out, and its Cookie fields joined with "; " (RFC 9113 section 8.2.3).
 */
export function http1RawHeaders(req: IncomingMessage): string[] {
  if (!isHttp2(req)) return req.rawHeaders;
  const out: string[] = [];
  const cookies: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.startsWith(':')) continue;
    if (name === 'cookie') cookies.push(raw[i + 1] as string);
    else out.push(name, raw[i + 1] as string);
  }
  if (cookies.length > 0) out.push('cookie', cookies.join('; '));
  return out;
}

export function upstreamHeadersFor(req: IncomingMessage, routing: ForwardRouting | EchoRouting, requestId: string, upgrade: boolean): RawHeaders {
  const headers = buildHeadersFor(req, routing, requestId, upgrade);
  return routing.headerEdits === undefined ? headers : applyHeaderEdits(headers, routing.headerEdits);
}

function buildHeadersFor(req: IncomingMessage, routing: ForwardRouting | EchoRouting, requestId: string, upgrade: boolean): RawHeaders {
  const clientAddress = clientAddressOf(req.socket.remoteAddress);
  const nginx = routing.nginx;
  return buildUpstreamHeaders(http1RawHeaders(req), {
    host: routing.upstreamHost,
    ...(routing.forwardedHost === undefined ? {} : { forwardedHost: routing.forwardedHost }),
    ...(routing.upstreamHeaders === undefined ? {} : { extra: routing.upstreamHeaders }),
    clientAddress,
    localPort: localPortOf(req),
    proto: schemeOf(req),
    upgrade,
    requestId,
    ...(nginx === undefined ? {} : {
      nginx: {
        remoteAddress: nginx.remoteAddress,
        useForwardedHeaders: nginx.config.useForwardedHeaders,
        computeFullForwardedFor: nginx.config.computeFullForwardedFor,
        proxyAddOriginalUriHeader: nginx.config.proxyAddOriginalUriHeader,
        proxySetHeaders: nginx.config.proxySetHeaders,
        requestUri: req.url ?? '/',
        clears: routing.kind === 'forward' ? (routing.upstreamClears ?? []) : [],
      },
    }),
  });
}

/** What the profile does to a response's headers: ingress-nginx hides the backend's Server (unless server-tokens and allow-backend-server-header), hide-headers, and sets CORS and add-headers. */
export function responsePolicyOf(routing: Routing): ResponseHeaderPolicy {
  const config = routing.nginx?.config;
  if (routing.kind !== 'error' && routing.responseEdits !== undefined) return { edits: routing.responseEdits };
  if (routing.profile !== 'nginx') return {};
  const cookies = routing.kind === 'error' ? undefined : routing.sticky?.setCookies;
  return {
    hideServer: config === undefined || !(config.serverTokens && config.allowBackendServerHeader),
    ...(config === undefined || config.hideHeaders.length === 0 ? {} : { hide: config.hideHeaders }),
    ...(routing.responseHeaders === undefined ? {} : { set: routing.responseHeaders }),
    ...(cookies === undefined || cookies.length === 0 ? {} : { prepend: cookies.map((cookie) => ['Set-Cookie', cookie] as const) }),
  };
}

export function upstreamErrorOf(routing: ForwardRouting, error: ForwardError): ProxyError {
  const proxyError = upstreamError(routing.line, routing.route, routing.target.origin, routing.via, error);
  return routing.profile === 'nginx' ? { ...proxyError, profile: 'nginx' } : proxyError;
}

export function errorEnding(routing: Routing | null, error: ProxyError, responseHeaders: Readonly<Record<string, string>>): Ending {
  return { status: error.status, routing, target: null, error: error.error, responseHeaders, bytesIn: 0, bytesOut: 0 };
}

/** One `request-completed` event per request, after the response ended or the client left. */
export function emitCompleted(context: HandlerContext, req: IncomingMessage, timing: Timing, ending: Ending): void {
  const event: RequestCompleted = {
    type: 'request-completed',
    id: timing.requestId,
    startedAt: timing.startedAt,
    method: req.method ?? 'GET',
    host: ending.routing?.receivedHost ?? hostOf(req) ?? '',
    path: req.url ?? '',
    status: ending.status,
    durationMs: performance.now() - timing.started,
    routeId: ending.routing?.routeId ?? null,
    target: ending.target,
    upstreamPath: ending.routing?.upstreamPath ?? null,
    error: ending.error,
    upgrade: timing.upgrade,
    scheme: timing.scheme,
    protocol: protocolOf(req),
    requestHeaders: req.headers,
    responseHeaders: ending.responseHeaders,
    bytesIn: ending.bytesIn,
    bytesOut: ending.bytesOut,
    ...(ending.routing?.steps === undefined ? {} : { steps: ending.routing.steps }),
  };
  context.options.events.emit(event);
}
