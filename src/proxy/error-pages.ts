import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ProxyError } from './errors.js';

/**
 * Error responses a person can act on: plain text for curl, a small HTML page for browsers,
 * JSON for API clients. Every one names the status, the route, the target, the error and a hint.
 */

export type PageFormat = 'json' | 'html' | 'text';

export interface ErrorPage {
  readonly status: number;
  /** The status line's reason phrase. */
  readonly reason: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** JSON when the client accepts JSON, HTML when it accepts HTML (browsers), else plain text. */
export function negotiateFormat(accept: string | undefined): PageFormat {
  if (accept === undefined) return 'text';
  const lower = accept.toLowerCase();
  if (lower.includes('application/json')) return 'json';
  if (lower.includes('text/html')) return 'html';
  return 'text';
}

/**
 * nginx's reason phrases (ngx_http_header_filter_module.c's status lines) where they differ
 * from node's, and the titles of its error pages (ngx_http_special_response.c).
 */
const nginxStatusLines: Readonly<Record<number, string>> = { 302: 'Moved Temporarily', 413: 'Request Entity Too Large', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };
const nginxPageTitles: Readonly<Record<number, string>> = { 302: 'Found', 401: 'Authorization Required', 405: 'Not Allowed', 413: 'Request Entity Too Large', 414: 'Request-URI Too Large', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };

/**
 * The page nginx 1.27 sends for a status (ngx_http_special_response.c): `text/html`, no
 * charset, the footer `nginx` with `server_tokens off` (ingress-nginx's default), the version
 * (`nginx/1.27.1`) with the ConfigMap's `server-tokens: "true"` (ngx_http_error_build_tail).
 */
export function nginxPageBody(status: number, footer = 'nginx'): string {
  const title = `${status} ${nginxPageTitles[status] ?? STATUS_CODES[status] ?? ''}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>${footer}</center>\r\n</body>\r\n</html>\r\n`;
}

/** `server` is the Server header the profile sends (`nginx`, `nginx/1.27.1`): nginx's pages end with it. */
export function renderErrorPage(error: ProxyError, format: PageFormat, server: string | null = null): ErrorPage {
  // The nginx profile answers as ingress-nginx does (API clients asking for JSON still get the
  // explanation); what ingress-dev knows stays in a header, the log, the UI and `explain`.
  if (error.kind === 'preflight') {
    // A 204 has no body; its headers are the preflight's (Content-Length: 0 among them).
    return { status: 204, reason: STATUS_CODES[204] ?? '', headers: { 'x-ingress-dev-error': error.kind, 'x-ingress-dev-explain': headerSafe(error.error) }, body: '' };
  }
  if (error.profile === 'nginx' && format !== 'json') {
    const body = nginxPageBody(error.status, server ?? 'nginx');
    return {
      status: error.status,
      reason: nginxStatusLines[error.status] ?? STATUS_CODES[error.status] ?? '',
      headers: {
        'content-type': 'text/html',
        'content-length': String(Buffer.byteLength(body)),
        ...(error.location === undefined ? {} : { location: error.location }),
        'x-ingress-dev-error': error.kind,
        'x-ingress-dev-explain': headerSafe(`${error.title}: ${error.error}${error.route === null ? '' : ` (${error.route.id})`}`),
      },
      body,
    };
  }
  const body = format === 'json' ? renderJson(error) : format === 'html' ? renderHtml(error) : renderText(error);
  const contentType = format === 'json' ? 'application/json' : format === 'html' ? 'text/html' : 'text/plain';
  return {
    status: error.status,
    reason: STATUS_CODES[error.status] ?? '',
    headers: {
      'content-type': `${contentType}; charset=utf-8`,
      'content-length': String(Buffer.byteLength(body)),
      ...(error.location === undefined ? {} : { location: error.location }),
      'cache-control': 'no-store',
      'x-ingress-dev-error': error.kind,
    },
    body,
  };
}

/** A value a header can carry: one line, printable ASCII. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 500);
}

/**
 * Answers with the error page, if the response has not started; otherwise the client socket is
 * destroyed, which is the only way left to tell it the response is incomplete. Never throws:
 * it runs where a backend's response could not be relayed, and must not fail the same way.
 */
export function writeErrorPage(req: IncomingMessage, res: ServerResponse, error: ProxyError, server: string | null = null, set: readonly (readonly [string, string])[] = []): ErrorPage | null {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return null;
  }
  if (req.headers['content-type']?.startsWith('application/grpc') === true) return writeGrpcError(req, res, error, server);
  const page = renderErrorPage(error, negotiateFormat(req.headers.accept), server);
  const headers: Record<string, string> = { ...page.headers };
  if (server !== null) headers.server = server;
  for (const [name, value] of error.headers ?? []) headers[name.toLowerCase()] = value;
  // ingress-nginx's more_set_headers (CORS, add-headers) act on its own answers too.
  for (const [name, value] of set) headers[name.toLowerCase()] = value;
  // A body nobody will read is discarded: node reads the rest of it and the connection goes
  // on with the next request, as nginx discards a request body it answers without.
  if (!req.complete) {
    if (error.kind === 'body-too-large') {
      // nginx answers 413 and closes the connection rather than read a body it refused.
      headers.connection = 'close';
    } else {
      req.resume();
      // A client that stopped sending its body would hold the connection until it resumes.
      if (error.kind === 'send-timeout') headers.connection = 'close';
    }
  }
  try {
    // The reason phrase is given: a failed writeHead of the backend's response may have left
    // its own (bad) one on `res`.
    if (req.httpVersionMajor === 2) {
      // HTTP/2 has no reason phrase and no Connection header; a stream ends on its own.
      delete headers.connection;
      res.writeHead(page.status, headers);
    } else res.writeHead(page.status, page.reason, headers);
    res.end(req.method === 'HEAD' ? undefined : page.body);
  } catch {
    res.destroy();
    return null;
  }
  return page;
}

/**
 * A gRPC client reads errors from `grpc-status`, not from a page: HTTP 200 with the status in the
 * headers and no body (gRPC's Trailers-Only response). The code follows gRPC's HTTP-to-gRPC
 * mapping (doc/http-grpc-status-mapping.md: 404 UNIMPLEMENTED, 502/503/504 UNAVAILABLE, …);
 * a GRPCRoute rule that cannot forward (500) is UNAVAILABLE, as grpcroute_types.go requires.
 */
function writeGrpcError(req: IncomingMessage, res: ServerResponse, error: ProxyError, server: string | null): ErrorPage | null {
  const code = grpcCodes[error.status] ?? (error.status === 500 ? 14 : 2);
  const message = `${error.title}: ${error.error}`;
  const headers: Record<string, string> = {
    'content-type': 'application/grpc',
    'grpc-status': String(code),
    'grpc-message': encodeURIComponent(message).slice(0, 1000),
    'x-ingress-dev-error': error.kind,
  };
  if (server !== null) headers.server = server;
  if (!req.complete) req.resume();
  try {
    // HTTP/2: one HEADERS frame that ends the stream (a Trailers-Only response), as gRPC expects.
    const stream = (res as unknown as { stream?: { respond(h: Record<string, string | number>, o: { endStream: boolean }): void } }).stream;
    if (req.httpVersionMajor === 2 && stream !== undefined) stream.respond({ ':status': 200, ...headers }, { endStream: true });
    else {
      res.writeHead(200, 'OK', headers);
      res.end();
    }
  } catch {
    res.destroy();
    return null;
  }
  return { status: 200, reason: 'OK', headers, body: '' };
}

const grpcCodes: Readonly<Record<number, number>> = { 400: 13, 401: 16, 403: 7, 404: 12, 429: 14, 502: 14, 503: 14, 504: 14 };

/** The page as a raw HTTP/1.1 response, for a socket an `Upgrade` request left behind. */
export function formatRawErrorResponse(page: ErrorPage, server: string | null = null): string {
  const head = Object.entries(page.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const extra = `date: ${new Date().toUTCString()}\r\n${server === null ? '' : `server: ${server}\r\n`}`;
  return `HTTP/1.1 ${page.status} ${page.reason}\r\n${head}${extra}connection: close\r\n\r\n${page.body}`;
}

function statusLine(error: ProxyError): string {
  return `${error.status} ${STATUS_CODES[error.status] ?? ''}`;
}

/** The facts of the error as label/value pairs, in the order every format shows them. */
function facts(error: ProxyError): [string, string][] {
  const { method, host, path } = error.request;
  const rows: [string, string][] = [['request', `${method} ${host}${path}`]];
  if (error.route !== null) rows.push(['route', `${error.route.id} (${error.route.file}:${error.route.line})`]);
  if (error.target !== null) rows.push(['target', error.via === null ? error.target : `${error.target} (${error.via})`]);
  rows.push(['error', error.error]);
  return rows;
}

function renderText(error: ProxyError): string {
  const lines = [`${statusLine(error)}: ${error.title}`, ''];
  for (const [label, value] of facts(error)) lines.push(`  ${label.padEnd(8)} ${value}`);
  lines.push('', `hint: ${error.hint}`);
  if (error.candidates !== undefined && error.candidates.length > 0) {
    lines.push('', 'nearest routes:');
    for (const c of error.candidates) lines.push(`  ${c.host ?? '*'} ${c.pathType ?? ''} ${c.path ?? ''}  ${c.id}`, `      ${c.detail}`);
  }
  if (error.routes !== undefined) {
    lines.push('', error.routes.length === 0 ? 'routes: none' : 'routes:');
    for (const r of error.routes) lines.push(`  ${r.host ?? '*'} ${r.pathType} ${r.path} → ${r.backend}  ${r.id}`);
    const more = (error.routeCount ?? 0) - error.routes.length;
    if (more > 0) lines.push(`  … and ${more} more (ingress-dev routes lists them all)`);
  }
  return `${lines.join('\n')}\n`;
}

function renderJson(error: ProxyError): string {
  const { kind, status, title, request, route, target, via, hint, routes, routeCount, candidates } = error;
  const body = { error: { status, kind, title, request, route, target, via, error: error.error, hint, candidates, routes, routeCount } };
  return `${JSON.stringify(body, null, 2)}\n`;
}

function renderHtml(error: ProxyError): string {
  const rows = facts(error).map(([label, value]) => `<tr><th>${label}</th><td>${escapeHtml(value)}</td></tr>`).join('');
  const sections: string[] = [];
  if (error.candidates !== undefined && error.candidates.length > 0) {
    const items = error.candidates
      .map((c) => `<li><code>${escapeHtml(`${c.host ?? '*'} ${c.pathType ?? ''} ${c.path ?? ''}`)}</code> ${escapeHtml(c.detail)}</li>`)
      .join('');
    sections.push(`<h2>Nearest routes</h2><ul>${items}</ul>`);
  }
  if (error.routes !== undefined) {
    const items = error.routes
      .map((r) => `<tr><td>${escapeHtml(r.host ?? '*')}</td><td>${escapeHtml(`${r.pathType} ${r.path}`)}</td><td>${escapeHtml(r.backend)}</td><td><code>${escapeHtml(r.id)}</code></td></tr>`)
      .join('');
    const more = (error.routeCount ?? 0) - error.routes.length;
    sections.push(`<h2>Routes</h2><table class="routes">${items}</table>${more > 0 ? `<p>… and ${more} more</p>` : ''}`);
  }
  const title = escapeHtml(`${statusLine(error)}: ${error.title}`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.5rem}th{text-align:left;padding-right:1rem;vertical-align:top;color:#666;font-weight:normal}
td,code{font-family:ui-monospace,monospace;font-size:.9rem}.hint{background:#f4f6fa;border-left:3px solid #4a6fa5;padding:.5rem .8rem}
.routes td{padding:.1rem .8rem .1rem 0}footer{margin-top:2rem;color:#888;font-size:.8rem}</style></head>
<body><h1>${title}</h1><table>${rows}</table><p class="hint">${escapeHtml(error.hint)}</p>${sections.join('')}
<footer>ingress-dev</footer></body></html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
