import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { BackendResolver } from '../backends/types.js';
import type { EventBus } from '../events/bus.js';
import type { RequestCompleted } from '../events/types.js';
import type { RouteTable } from '../model/types.js';
import { upstreamError, type ProxyError, type RequestLine } from './errors.js';
import type { ForwardError, Forwarder, ForwardTimeouts } from './forward.js';
import { buildUpstreamHeaders, clientAddressOf, requestIdOf, type RawHeaders } from './headers.js';
import type { ForwardRouting, RequestInput, Routing } from './route-request.js';

export interface ProxyOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Read once per request: a request keeps the table it started with across reloads. */
  readonly getTable: () => RouteTable;
  /** A function is called once per request, like `getTable`, so a reloaded config can swap it. */
  readonly resolver: BackendResolver | (() => BackendResolver);
  readonly events: EventBus;
  readonly timeouts?: Partial<ForwardTimeouts>;
}

/** What every handler shares: the options, the forwarder, open tunnels, and the closing flag. */
export interface HandlerContext {
  readonly options: ProxyOptions;
  readonly timeouts: ForwardTimeouts;
  readonly forwarder: Forwarder;
  readonly resolverOf: () => BackendResolver;
  readonly tunnels: Set<Duplex>;
  readonly state: { closing: boolean };
  server?: Server;
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
}

/** What events need of a request: node's IncomingMessage, or the front's own parse of one. */
export type RequestFacts = Pick<IncomingMessage, 'method' | 'url' | 'headers'>;

export function startTiming(req: RequestFacts, upgrade: boolean): Timing {
  return timingFor(req.headers['x-request-id'], upgrade);
}

/** The timing of a request whose `X-Request-ID` header (if any) is `requestIdHeader`. */
export function timingFor(requestIdHeader: string | string[] | undefined, upgrade: boolean): Timing {
  return { requestId: requestIdOf(requestIdHeader), startedAt: Date.now(), started: performance.now(), upgrade };
}

export function requestInputOf(req: IncomingMessage): RequestInput {
  return { method: req.method ?? 'GET', url: req.url ?? '/', hostHeader: req.headers.host, localPort: req.socket.localPort ?? 0 };
}

export function requestLineOf(req: IncomingMessage): RequestLine {
  return { method: req.method ?? 'GET', host: req.headers.host ?? '', path: req.url ?? '', port: req.socket.localPort ?? 0 };
}

export function upstreamHeadersFor(req: IncomingMessage, host: string, requestId: string, upgrade: boolean): RawHeaders {
  return buildUpstreamHeaders(req.rawHeaders, {
    host,
    clientAddress: clientAddressOf(req.socket.remoteAddress),
    localPort: req.socket.localPort ?? 0,
    proto: 'http',
    upgrade,
    requestId,
  });
}

export function upstreamErrorOf(routing: ForwardRouting, error: ForwardError): ProxyError {
  return upstreamError(routing.line, routing.route, routing.target.origin, routing.via, error);
}

export function errorEnding(routing: Routing | null, error: ProxyError, responseHeaders: Readonly<Record<string, string>>): Ending {
  return { status: error.status, routing, target: null, error: error.error, responseHeaders, bytesIn: 0, bytesOut: 0 };
}

/** One `request-completed` event per request, after the response ended or the client left. */
export function emitCompleted(context: HandlerContext, req: RequestFacts, timing: Timing, ending: Ending): void {
  const event: RequestCompleted = {
    type: 'request-completed',
    id: timing.requestId,
    startedAt: timing.startedAt,
    method: req.method ?? 'GET',
    host: ending.routing?.receivedHost ?? req.headers.host ?? '',
    path: req.url ?? '',
    status: ending.status,
    durationMs: performance.now() - timing.started,
    routeId: ending.routing?.routeId ?? null,
    target: ending.target,
    upstreamPath: ending.routing?.upstreamPath ?? null,
    error: ending.error,
    upgrade: timing.upgrade,
    requestHeaders: req.headers,
    responseHeaders: ending.responseHeaders,
    bytesIn: ending.bytesIn,
    bytesOut: ending.bytesOut,
  };
  context.options.events.emit(event);
}
