import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RouteTable } from '../model/types.js';
import { normalizeHost, selectHostRoutes } from '../routing/host.js';
import { formatEchoUpgradeResponse } from '../backends/echo.js';
import {
  clientClosedStatus,
  emitCompleted,
  errorEnding,
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
import { formatRawErrorResponse, negotiateFormat, renderErrorPage } from './error-pages.js';
import { connectNotSupportedError, internalError, type ProxyError } from './errors.js';
import { headersToRecord } from './headers.js';
import { matchWithAlias, routeRequest, type EchoRouting, type ForwardRouting } from './route-request.js';
import { serverHeaderOf } from './server-header.js';
import { relayUpgrade } from './upgrade.js';

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
    const routing = routeRequest(table, context.resolverOf(), requestInputOf(req, context.httpsPort ?? null));
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
  const outcome = await relayUpgrade(context.forwarder.dispatcher(routing.target), socket, head, request, context.timeouts);
  const relayed = { routing, target: routing.target.origin, bytesIn: outcome.bytesIn, bytesOut: outcome.bytesOut };
  const responseHeaders = outcome.responseHeaders === null ? {} : headersToRecord(outcome.responseHeaders);
  if (outcome.error === null) return { ...relayed, status: outcome.status ?? 502, error: null, responseHeaders };
  if (outcome.error.kind === 'client-aborted') return { ...relayed, status: clientClosedStatus, error: outcome.error.message, responseHeaders };
  const error = upstreamErrorOf(routing, outcome.error);
  // A response already on its way was cut (the socket is destroyed); its status stands.
  if (outcome.status !== null) return { ...relayed, status: outcome.status, error: outcome.error.message, responseHeaders };
  return { ...relayed, status: error.status, error: outcome.error.message, responseHeaders: writeRawErrorPage(req, socket, error, request.serverHeader) };
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
