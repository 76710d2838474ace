import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as http2Constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RouteTable } from '../model/types.js';
import { normalizeHost, selectHostRoutes } from '../routing/host.js';
import { formatEchoBody, formatEchoUpgradeResponse } from '../backends/echo.js';
import {
  clientClosedStatus,
  emitCompleted,
  errorEnding,
  localPortOf,
  rememberConnectPort,
  requestInputOf,
  requestLineOf,
  startTiming,
  upstreamErrorOf,
  upstreamHeadersFor,
  type Ending,
  type HandlerContext,
  type Timing,
} from './context.js';
import { formatRawErrorResponse, negotiateFormat, renderErrorPage, writeErrorPage } from './error-pages.js';
import { connectNotSupportedError, internalError, type ProxyError } from './errors.js';
import { headersToRecord, rawHeader } from './headers.js';
import { matchWithAlias } from '../routing/match.js';
import { routeRequest, type EchoRouting, type ForwardRouting } from './route-request.js';
import { serverHeaderOf } from './server-header.js';
import { http2UpgradeClient, relayUpgrade, socketUpgradeClient, type UpgradeOutcome } from './upgrade.js';

/**
 * Requests that leave HTTP behind: `Upgrade` (WebSockets), routed like any request and relayed
 * on the raw socket, and `CONNECT`, which is answered 501. Errors are written on the socket.
 */
export function handleUpgrade(context: HandlerContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const timing = startTiming(req, true);
  socket.on('error', noop);
  if (context.state.closing) {
    socket.destroy();
    return;
  }
  context.tunnels.add(socket);
  socket.once('close', () => context.tunnels.delete(socket));
  context.connections.afterResponses(socket, () => routeUpgrade(context, req, socket, head, timing));
}

function routeUpgrade(context: HandlerContext, req: IncomingMessage, socket: Duplex, head: Buffer, timing: Timing): void {
  const table = context.options.getTable();
  const server = serverHeaderOf(table.profile);
  const endWithError = (error: ProxyError): Readonly<Record<string, string>> => writeRawErrorPage(req, socket, error, server);
  try {
    const routing = routeRequest(table, context.resolverOf(), requestInputOf(req, context.httpsPort ?? null, context.httpPort ?? null));
    if (routing.kind === 'error') {
      // The profile of the host that routed it decides the Server header and the page's footer.
      const own = writeRawErrorPage(req, socket, routing.error, serverHeaderOf(routing.profile, routing.nginx?.config));
      emitCompleted(context, req, timing, errorEnding(routing, routing.error, own));
    } else if (routing.kind === 'echo') {
      emitCompleted(context, req, timing, answerUpgradeWithEcho(req, socket, routing, timing.requestId));
    } else {
      relayTo(context, req, socket, head, routing, timing.requestId).then(
        (ending) => emitCompleted(context, req, timing, ending),
        (err: unknown) => {
          const error = internalError(requestLineOf(req), err);
          emitCompleted(context, req, timing, errorEnding(routing, error, endWithError(error)));
        },
      );
    }
  } catch (err) {
    const error = internalError(requestLineOf(req), err);
    emitCompleted(context, req, timing, errorEnding(null, error, endWithError(error)));
  }
}

function answerUpgradeWithEcho(req: IncomingMessage, socket: Duplex, routing: EchoRouting, requestId: string): Ending {
  const headers = upstreamHeadersFor(req, routing, requestId, true);
  const request = { method: req.method ?? 'GET', path: routing.upstreamPath, host: routing.upstreamHost, headers: headersToRecord(headers) };
  const response = formatEchoUpgradeResponse(request, routing.standIn);
  socket.end(response);
  const responseHeaders = { 'content-type': 'application/json' };
  return { status: 200, routing, target: 'echo', error: null, responseHeaders, bytesIn: 0, bytesOut: Buffer.byteLength(response) };
}

async function relayTo(context: HandlerContext, req: IncomingMessage, socket: Duplex, head: Buffer, routing: ForwardRouting, requestId: string): Promise<Ending> {
  // undici writes `Connection: upgrade` and `Upgrade` itself, from `protocol`.
  const headers = upstreamHeadersFor(req, routing, requestId, false);
  const request = {
    target: routing.target,
    method: req.method ?? 'GET',
    path: routing.upstreamPath,
    headers,
    protocol: req.headers.upgrade ?? 'websocket',
    serverHeader: serverHeaderOf(routing.profile, routing.nginx?.config),
  };
  const outcome = await relayUpgrade(context.forwarder.dispatcher(routing.target), socketUpgradeClient(socket), head, request, context.timeouts);
  return relayEnding(routing, outcome, (error) => writeRawErrorPage(req, socket, error, request.serverHeader));
}

/**
 * The event's ending of a relayed upgrade: `writeError` answers a backend that never did, and
 * `switchedStatus` is what the client got for the backend's 101 (HTTP/2's 200).
 */
function relayEnding(routing: ForwardRouting, outcome: UpgradeOutcome, writeError: (error: ProxyError) => Readonly<Record<string, string>>, switchedStatus = 101): Ending {
  const relayed = { routing, target: routing.target.origin, bytesIn: outcome.bytesIn, bytesOut: outcome.bytesOut };
  const responseHeaders = outcome.responseHeaders === null ? {} : headersToRecord(outcome.responseHeaders);
  const status = outcome.status === 101 ? switchedStatus : outcome.status;
  if (outcome.error === null) return { ...relayed, status: status ?? 502, error: null, responseHeaders };
  if (outcome.error.kind === 'client-aborted') return { ...relayed, status: clientClosedStatus, error: outcome.error.message, responseHeaders };
  const error = upstreamErrorOf(routing, outcome.error);
  // A response already on its way was cut (the socket is destroyed); its status stands.
  if (status !== null) return { ...relayed, status, error: outcome.error.message, responseHeaders };
  return { ...relayed, status: error.status, error: outcome.error.message, responseHeaders: writeError(error) };
}

/**
 * CONNECT on an HTTP/2 connection of the HTTPS listener.
 * - With `:protocol` (RFC 8441's extended CONNECT: browsers open a WebSocket this way on an
 *   HTTP/2 connection whose server allows it, as the HTTPS listener's settings do): the HTTP/2
 *   form of an Upgrade. It is routed as the GET it stands for and sent to the backend as an
 *   HTTP/1.1 Upgrade, with a `Sec-WebSocket-Key` of its own (HTTP/2 clients send none, RFC 8441
 *   section 5). The backend's 101 is answered 200 and the stream then carries the frames both
 *   ways; any other answer is the stream's response, and errors are the usual pages.
 * - Without: a request for a tunnel to host:port, refused with a page that says why.
 */
export function handleHttp2Connect(context: HandlerContext, request: Http2ServerRequest, response: Http2ServerResponse): void {
  // The compatibility objects stand in for node:http's, as in handleRequest (see isHttp2).
  const req = request as unknown as IncomingMessage;
  const res = response as unknown as ServerResponse;
  const protocol = request.headers[':protocol'];
  const timing = startTiming(req, protocol !== undefined);
  const table = context.options.getTable();
  const stream = response.stream;
  // A client may keep sending on a CONNECT stream for ever: once an answer other than a relay
  // is complete, the stream is closed with NO_ERROR (RFC 9113 section 8.1).
  const closeWhenAnswered = (): void => {
    stream.once('finish', () => stream.close(http2Constants.NGHTTP2_NO_ERROR));
  };
  if (protocol === undefined) {
    closeWhenAnswered();
    const line = { method: 'CONNECT', host: request.authority, path: '', port: localPortOf(req) };
    const error = connectNotSupportedError(line, 'tunnel');
    const responseHeaders = writeErrorPage(req, res, error, serverHeaderOf(table.profile))?.headers ?? {};
    emitCompleted(context, req, timing, { status: error.status, routing: null, target: null, error: error.error, responseHeaders, bytesIn: 0, bytesOut: 0 });
    return;
  }
  if (context.state.closing) {
    stream.close(http2Constants.NGHTTP2_REFUSED_STREAM);
    return;
  }
  context.tunnels.add(stream);
  stream.once('close', () => context.tunnels.delete(stream));
  let server: string | null = null;
  const fail = (routing: ForwardRouting | null, err: unknown): void => {
    const error = internalError(requestLineOf(req), err);
    closeWhenAnswered();
    emitCompleted(context, req, timing, errorEnding(routing, error, writeErrorPage(req, res, error, server)?.headers ?? {}));
  };
  try {
    const routing = routeRequest(table, context.resolverOf(), { ...requestInputOf(req, context.httpsPort ?? null, context.httpPort ?? null), method: 'GET' });
    server = serverHeaderOf(routing.profile, routing.nginx?.config);
    if (routing.kind !== 'forward') closeWhenAnswered();
    if (routing.kind === 'error') {
      const page = writeErrorPage(req, res, routing.error, server, routing.responseHeaders);
      emitCompleted(context, req, timing, errorEnding(routing, routing.error, page?.headers ?? {}));
    } else if (routing.kind === 'echo') {
      // As over HTTP/1.1, the echo does not switch: it answers with its JSON, so the handshake
      // fails visibly and still shows what the backend would have received.
      const headers = upstreamHeadersFor(req, routing, timing.requestId, true);
      const body = formatEchoBody({ method: 'GET', path: routing.upstreamPath, host: routing.upstreamHost, headers: headersToRecord(headers) }, routing.standIn, 0);
      const responseHeaders = { 'content-type': 'application/json' };
      res.writeHead(200, server === null ? responseHeaders : { ...responseHeaders, server });
      res.end(body);
      emitCompleted(context, req, timing, { status: 200, routing, target: 'echo', error: null, responseHeaders, bytesIn: 0, bytesOut: Buffer.byteLength(body) });
    } else {
      relayHttp2(context, req, res, protocol, routing, timing.requestId).then(
        (ending) => emitCompleted(context, req, timing, ending),
        (err: unknown) => fail(routing, err),
      );
    }
  } catch (err) {
    fail(null, err);
  }
}

async function relayHttp2(context: HandlerContext, req: IncomingMessage, res: ServerResponse, protocol: string, routing: ForwardRouting, requestId: string): Promise<Ending> {
  const headers = upstreamHeadersFor(req, routing, requestId, false);
  if (protocol.toLowerCase() === 'websocket' && rawHeader(headers, 'sec-websocket-key') === undefined) {
    headers.push('Sec-WebSocket-Key', randomBytes(16).toString('base64'));
  }
  const serverHeader = serverHeaderOf(routing.profile, routing.nginx?.config);
  const request = { target: routing.target, method: 'GET', path: routing.upstreamPath, headers, protocol, serverHeader };
  const stream = (res as unknown as Http2ServerResponse).stream;
  const outcome = await relayUpgrade(context.forwarder.dispatcher(routing.target), http2UpgradeClient(stream), Buffer.alloc(0), request, context.timeouts);
  return relayEnding(routing, outcome, (error) => {
    stream.once('finish', () => stream.close(http2Constants.NGHTTP2_NO_ERROR));
    return writeErrorPage(req, res, error, serverHeader)?.headers ?? {};
  }, 200);
}

/**
 * `CONNECT host:443` (https:// through the proxy: `curl -x`, a browser set to use it): for a host
 * a rule serves, the tunnel ends here. After `200 Connection Established` the socket is handed to
 * the HTTPS listener, which does the TLS handshake with a certificate for the host (the folder's
 * Secret or the local CA's) and serves what comes through it as any HTTPS request. Any other
 * CONNECT is refused with a page that says why: never a blind tunnel to the internet.
 */
export function handleConnect(context: HandlerContext, req: IncomingMessage, socket: Duplex, head: Buffer = Buffer.alloc(0)): void {
  const timing = startTiming(req, false);
  socket.on('error', noop);
  context.tunnels.add(socket);
  socket.once('close', () => context.tunnels.delete(socket));
  context.connections.afterResponses(socket, () => {
    const authority = req.url ?? '';
    const line = { method: 'CONNECT', host: authority, path: '', port: (socket as Socket).localPort ?? 0 };
    const colon = authority.lastIndexOf(':');
    const host = colon === -1 ? authority : authority.slice(0, colon);
    const port = colon === -1 ? 443 : Number(authority.slice(colon + 1));
    const table = context.options.getTable();
    const why = context.secure === undefined ? 'off' : port !== 443 ? 'port' : !hostServed(table, host) ? 'host' : null;
    if (why !== null || context.secure === undefined) {
      const error = connectNotSupportedError(line, why ?? 'off');
      const responseHeaders = writeRawErrorPage(req, socket, error, serverHeaderOf(table.profile));
      emitCompleted(context, req, timing, { status: error.status, routing: null, target: null, error: error.error, responseHeaders, bytesIn: 0, bytesOut: 0 });
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    rememberConnectPort(socket as Socket, port);
    // Bytes the client sent after the CONNECT head (its ClientHello, when it did not wait) come first.
    if (head.length > 0) socket.unshift(head);
    context.secure.emit('connection', socket);
    emitCompleted(context, req, timing, { status: 200, routing: null, target: 'https (terminated here)', error: null, responseHeaders: {}, bytesIn: 0, bytesOut: 0 });
  });
}

/** A rule of the host, a host-less rule or a defaultBackend would answer it: the CONNECT may end here. */
function hostServed(table: RouteTable, host: string): boolean {
  if (table.defaultBackend !== null) return true;
  const { match } = matchWithAlias(table, { host, path: '/' });
  const kind = match.hostMatch.kind;
  if (kind === 'exact' || kind === 'wildcard') return true;
  // The catch-all: host-less rules (or, for ingress-nginx, the default server's own backend).
  const any = kind === 'any' ? selectHostRoutes(table, normalizeHost(host)) : null;
  return any !== null && (any.routes.length > 0 || (any.nginx?.rootBackend ?? null) !== null);
}

/** Writes the error page on a raw socket (after `upgrade` or `connect`) and closes it. */
function writeRawErrorPage(req: IncomingMessage, socket: Duplex, error: ProxyError, server: string | null): Readonly<Record<string, string>> {
  const page = renderErrorPage(error, negotiateFormat(req.headers.accept), server);
  if (socket.writable && !socket.destroyed) socket.end(formatRawErrorResponse(page, server));
  else socket.destroy();
  return page.headers;
}

function noop(): void {}
