import type { IncomingMessage, ServerResponse } from 'node:http';
import { respondEcho } from '../backends/echo.js';
import {
  clientClosedStatus,
  emitCompleted,
  errorEnding,
  requestInputOf,
  requestLineOf,
  responsePolicyOf,
  isHttp2,
  startTiming,
  upstreamErrorOf,
  upstreamHeadersFor,
  type Ending,
  type HandlerContext,
} from './context.js';
import { writeErrorPage } from './error-pages.js';
import { bodyTooLargeError, internalError } from './errors.js';
import { hasRequestBody, isIdempotent, type ForwardOutcome, type HttpTarget } from './forward.js';
import { headersToRecord } from './headers.js';
import { endpointKey, routeRequest, stickyRetry, type EchoRouting, type ForwardRouting } from './route-request.js';
import { serverHeaderOf } from './server-header.js';

/** A plain HTTP request: route it, then forward it, answer with the echo, or with an error page. */
export function handleRequest(context: HandlerContext, req: IncomingMessage, res: ServerResponse): void {
  const timing = startTiming(req, false);
  if (!isHttp2(req)) context.connections.track(req, res);
  // No 'error' listener on req: node emits a request's 'error' (a client gone mid-upload) only
  // to listeners, and without one it cannot become an unhandled error.
  if (context.state.closing && !isHttp2(req)) res.setHeader('connection', 'close');
  let completed = false;
  const complete = (ending: Ending): void => {
    if (completed) return;
    completed = true;
    emitCompleted(context, req, timing, ending);
    // While closing, a connection whose response just ended may now be idle.
    if (context.state.closing) setImmediate(() => context.server?.closeIdleConnections());
  };
  // The last line of defence: an exception is a bug, answered with a 500, never a crash.
  let server: string | null = null;
  const fail = (err: unknown): void => {
    const error = internalError(requestLineOf(req), err);
    complete(errorEnding(null, error, writeErrorPage(req, res, error, server)?.headers ?? {}));
  };
  try {
    const routing = routeRequest(context.options.getTable(), context.resolverOf(), requestInputOf(req, context.httpsPort ?? null, context.httpPort ?? null));
    server = serverHeaderOf(routing.profile, routing.nginx?.config);
    if (routing.kind === 'error') {
      complete(errorEnding(routing, routing.error, writeErrorPage(req, res, routing.error, server, routing.responseHeaders)?.headers ?? {}));
    } else if (routing.kind === 'echo') {
      if (server !== null) res.setHeader('Server', server);
      for (const [name, value] of routing.responseHeaders ?? []) res.setHeader(name, value);
      for (const cookie of routing.sticky?.setCookies ?? []) res.appendHeader('Set-Cookie', cookie);
      for (const edit of routing.responseEdits ?? []) {
        for (const [name, value] of edit.set) res.setHeader(name, value);
        for (const [name, value] of edit.add) {
          const existing = res.getHeader(name);
          res.setHeader(name, existing === undefined ? value : `${Array.isArray(existing) ? existing.join(',') : String(existing)},${value}`);
        }
        for (const name of edit.remove) res.removeHeader(name);
      }
      serveEcho(req, res, routing, timing.requestId).then(complete, fail);
    } else {
      serveForward(context, req, res, routing, timing.requestId).then(complete, fail);
    }
  } catch (err) {
    fail(err);
  }
}

async function serveEcho(req: IncomingMessage, res: ServerResponse, routing: EchoRouting, requestId: string): Promise<Ending> {
  const headers = upstreamHeadersFor(req, routing, requestId, false);
  const request = { method: req.method ?? 'GET', path: routing.upstreamPath, host: routing.upstreamHost, headers: headersToRecord(headers) };
  const outcome = await respondEcho(req, res, request, routing.standIn);
  return {
    status: outcome.status ?? clientClosedStatus,
    routing,
    target: 'echo',
    error: outcome.status === null ? 'the client closed the connection' : null,
    // What the client got: the echo's headers and those the profile set on it (CORS, add-headers).
    responseHeaders: {
      ...outcome.responseHeaders,
      ...Object.fromEntries((routing.responseHeaders ?? []).map(([name, value]) => [name.toLowerCase(), value])),
      ...(routing.sticky === undefined || routing.sticky.setCookies.length === 0 ? {} : { 'set-cookie': routing.sticky.setCookies.length === 1 ? routing.sticky.setCookies[0] as string : [...routing.sticky.setCookies] }),
    },
    bytesIn: outcome.bytesIn,
    bytesOut: outcome.bytesOut,
  };
}

async function serveForward(context: HandlerContext, req: IncomingMessage, res: ServerResponse, first: ForwardRouting, requestId: string): Promise<Ending> {
  // ingress-nginx's client_max_body_size: a declared length over the limit is refused at once.
  const declared = Number(req.headers['content-length'] ?? 0);
  if (first.bodyLimit !== undefined && first.bodyLimit !== null && declared > first.bodyLimit) {
    const error = bodyTooLargeError(first.line, first.route, declared, first.bodyLimit);
    const page = writeErrorPage(req, res, error, serverHeaderOf(first.profile, first.nginx?.config), first.responseHeaders);
    return { routing: first, target: null, status: 413, error: error.error, responseHeaders: page?.headers ?? {}, bytesIn: 0, bytesOut: 0 };
  }
  const headers = upstreamHeadersFor(req, first, requestId, false);
  if (first.mirrors !== undefined) sendMirrors(context, req, first, headers);
  const serverHeader = serverHeaderOf(first.profile, first.nginx?.config);
  let routing = first;
  const send = (to: ForwardRouting): Promise<ForwardOutcome> => {
    // Counted from the moment the endpoint is chosen, so a container that leaves waits for it.
    const end = context.options.inflight?.begin(to.target.host, to.target.port);
    const sent = to.grpc === true
      ? context.http2Forwarder.forward(req, res, { target: to.target, path: to.upstreamPath, headers, serverHeader, responsePolicy: responsePolicyOf(to) })
      : context.forwarder.forward(req, res, { target: to.target, path: to.upstreamPath, headers, serverHeader, responsePolicy: responsePolicyOf(to), bodyLimit: to.bodyLimit ?? null, ...(to.readTimeoutMs === undefined ? {} : { readTimeoutMs: to.readTimeoutMs }) });
    return end === undefined ? sent : sent.finally(end);
  };
  let outcome = await send(routing);
  for (let tries = 1; tries < maxTries && canTryNext(req, res, outcome); tries++) {
    const next = nextEndpoint(context, routing);
    if (next === null) break;
    routing = next;
    outcome = await send(routing);
  }
  const forwarded = {
    routing,
    target: routing.target.origin,
    responseHeaders: outcome.responseHeaders === null ? {} : headersToRecord(outcome.responseHeaders),
    bytesIn: outcome.bytesIn,
    bytesOut: outcome.bytesOut,
  };
  if (outcome.error === null) return { ...forwarded, status: outcome.status ?? 502, error: null };
  if (outcome.error.kind === 'client-aborted') return { ...forwarded, status: clientClosedStatus, error: outcome.error.message };
  const error = upstreamErrorOf(routing, outcome.error);
  const page = writeErrorPage(req, res, error, serverHeader, routing.responseHeaders);
  // Headers were already sent: the connection was cut, and the backend's status stands.
  if (page === null) return { ...forwarded, status: outcome.status ?? error.status, error: outcome.error.message };
  return { ...forwarded, status: page.status, error: outcome.error.message, responseHeaders: page.headers };
}

/**
 * Gateway API RequestMirror (httproute_types.go HTTPRequestMirrorFilter): a copy of the request,
 * sent beside it to each mirror; the answers are read and discarded, failures ignored. A request
 * with a body is not mirrored (its body streams once, to the backend).
 */
function sendMirrors(context: HandlerContext, req: IncomingMessage, routing: ForwardRouting, headers: readonly string[]): void {
  if (hasRequestBody(req)) return;
  for (const mirror of routing.mirrors ?? []) {
    context.forwarder.dispatcher(mirror.target)
      .request({ origin: mirror.target.origin, method: (req.method ?? 'GET') as 'GET', path: routing.upstreamPath, headers: [...headers] })
      .then((answer) => answer.body.dump(), () => undefined)
      .catch(() => undefined);
  }
}

/**
 * ingress-nginx's defaults (docs/user-guide/nginx-configuration/configmap.md): `proxy-next-upstream:
 * "error timeout"`, `proxy-next-upstream-tries: 3`, `retry-non-idempotent: "false"`. A request
 * that could not be sent (refused, or timed out connecting) goes to the next endpoint whatever
 * its method; one reset before any response only when its method is idempotent, as nginx does
 * not pass a non-idempotent request that may have reached a server on to the next one.
 */
const maxTries = 3;

function canTryNext(req: IncomingMessage, res: ServerResponse, outcome: ForwardOutcome): boolean {
  const error = outcome.error;
  if (error === null || outcome.status !== null || res.headersSent || res.destroyed) return false;
  // The body went to the failed endpoint as it came; it cannot be sent again.
  if (outcome.bytesIn > 0 || hasRequestBody(req)) return false;
  if (error.kind === 'refused' || error.kind === 'connect-timeout') return true;
  return error.kind === 'reset' && isIdempotent(req.method);
}

/** Another endpoint of the same Service port, with the failed one out of the rotation; null when there is none. */
function nextEndpoint(context: HandlerContext, failed: ForwardRouting): ForwardRouting | null {
  const resolver = context.resolverOf();
  if (failed.sticky !== undefined) {
    // ingress-nginx's sticky balancer picks the retry's endpoint itself (sticky.lua balance()).
    resolver.reportFailure?.(failed.backend, failed.target);
    const retry = stickyRetry(failed.sticky, failed.target);
    if (retry === null || retry.resolution.target.kind !== 'http') return null;
    const steps = [...(failed.steps ?? []), { by: 'affinity', what: `after ${endpointKey(failed.target)} failed: ${retry.why}` }];
    return { ...failed, target: sameProtocol(failed.target, retry.resolution.target), via: retry.resolution.via, sticky: retry.state, steps };
  }
  if (resolver.reportFailure === undefined) return null;
  resolver.reportFailure(failed.backend, failed.target);
  const resolution = resolver.resolve(failed.backend);
  if (resolution.kind !== 'target' || resolution.target.kind !== 'http') return null;
  const next = sameProtocol(failed.target, resolution.target);
  if (next.origin === failed.target.origin) return null;
  return { ...failed, target: next, via: resolution.via };
}

/** backend-protocol HTTPS: the next endpoint is spoken to over TLS too. */
function sameProtocol(failed: HttpTarget, next: HttpTarget): HttpTarget {
  return failed.protocol === 'https:' && next.protocol === 'http:' ? { ...next, protocol: 'https:', origin: next.origin.replace(/^http:/, 'https:') } : next;
}

