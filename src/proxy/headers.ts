import { randomFillSync } from 'node:crypto';
import type { HeaderEdits } from '../model/gateway/types.js';

/**
 * Headers as a flat list of names and values (`['Host', 'a', 'Set-Cookie', 'x', 'Set-Cookie', 'y']`),
 * as node's `rawHeaders`: it keeps duplicates, their order and the case a client wrote.
 */
export type RawHeaders = string[];

/** What the proxy knows about the client's connection, for the forwarding headers. */
export interface ForwardingContext {
  /** The Host header the backend receives (the client's, or the one the proxy routed on). */
  readonly host: string;
  readonly clientAddress: string;
  /** The port the client connected to. */
  readonly localPort: number;
  readonly proto: 'http' | 'https';
  /** An Upgrade request keeps `Connection: upgrade` and `Upgrade`. */
  readonly upgrade: boolean;
  /** From `requestIdOf`. */
  readonly requestId: string;
  /** The client's host for X-Forwarded-Host when Host differs (ingress-nginx's upstream-vhost); default `host`. */
  readonly forwardedHost?: string;
  /** Headers a profile adds (ingress-nginx's X-Forwarded-Prefix), after the forwarding ones. */
  readonly extra?: readonly (readonly [string, string])[];
  /** ingress-nginx's own rules for the forwarding headers (nginx.tmpl's location block); absent: the spec profile's. */
  readonly nginx?: NginxForwarding;
}

/** The controller ConfigMap's keys that shape what ingress-nginx sends upstream, and the client address nginx computed. */
export interface NginxForwarding {
  /** `$remote_addr`, after the realip module (use-forwarded-headers, enable-real-ip). */
  readonly remoteAddress: string;
  readonly useForwardedHeaders: boolean;
  readonly computeFullForwardedFor: boolean;
  readonly proxyAddOriginalUriHeader: boolean;
  /** `proxy-set-headers`: sent last. */
  readonly proxySetHeaders: readonly (readonly [string, string])[];
  /** The request target as received (`$request_uri`), for X-Original-URI. */
  readonly requestUri: string;
  /** Request headers not passed on, lower case (basic auth's `proxy_set_header Authorization "";`). */
  readonly clears: readonly string[];
}

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1) and the proxy ones: they describe one connection,
 * so they never travel further, in either direction.
 */
const hopByHopHeaders = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
] as const;

/** Request headers the proxy drops: hop-by-hop ones, and those it sets itself (Host, forwarding). */
const droppedRequestHeaders: ReadonlySet<string> = new Set([
  ...hopByHopHeaders,
  'host',
  'content-length',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-scheme',
  'x-real-ip',
  'x-scheme',
  'x-request-id',
  // node answers `Expect: 100-continue` itself before the request reaches the proxy.
  'expect',
]);

const droppedResponseHeaders: ReadonlySet<string> = new Set(hopByHopHeaders);

/** A request id a client sent is kept when it is a plain token (ingress-nginx keeps it too). */
const validRequestId = /^[\x21-\x7e]{1,200}$/;

/**
 * The headers a backend receives, as ingress-nginx sends them: the client's headers without the
 * hop-by-hop ones (and without every header the client named in `Connection`), the client's Host,
 * and `X-Forwarded-For` (appended), `X-Forwarded-Proto`/`-Host`/`-Port`/`-Scheme`, `X-Scheme`,
 * `X-Real-IP` and `X-Request-ID` (kept when valid, else 32 hex characters). Forwarding headers
 * a client sent are replaced, as ingress-nginx does with `use-forwarded-headers: false`.
 */
export function buildUpstreamHeaders(raw: readonly string[], context: ForwardingContext): RawHeaders {
  if (context.nginx !== undefined) return buildNginxUpstreamHeaders(raw, context, context.nginx);
  const headers: RawHeaders = ['Host', context.host];
  let forwardedFor: string | null = null;
  let upgrade: string | null = null;
  let connection: string | null = null;
  let contentLength = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (!droppedRequestHeaders.has(lower)) {
      headers.push(name, value);
    } else if (lower === 'x-forwarded-for') {
      forwardedFor = forwardedFor === null ? value : `${forwardedFor}, ${value}`;
    } else if (lower === 'connection') {
      connection = connection === null ? value : `${connection}, ${value}`;
    } else if (lower === 'upgrade') {
      upgrade ??= value;
    } else if (lower === 'content-length') {
      // node has already rejected conflicting lengths; send one.
      if (!contentLength) headers.push(name, value);
      contentLength = true;
    }
  }
  // Headers the client named in `Connection` are hop-by-hop too; the ones the proxy sets stay.
  const named = connection === null ? null : connectionTokens(connection);
  const forwarded = named === null ? headers : withoutNamed(headers, named);
  if (context.upgrade && upgrade !== null) forwarded.push('Connection', 'upgrade', 'Upgrade', upgrade);
  const address = context.clientAddress;
  const proto = context.proto;
  forwarded.push(
    'X-Request-ID', context.requestId,
    'X-Real-IP', address,
    'X-Forwarded-For', forwardedFor === null ? address : `${forwardedFor}, ${address}`,
    'X-Forwarded-Host', context.forwardedHost ?? context.host,
    'X-Forwarded-Port', String(context.localPort),
    'X-Forwarded-Proto', proto,
    'X-Forwarded-Scheme', proto,
    'X-Scheme', proto,
  );
  for (const [name, value] of context.extra ?? []) forwarded.push(name, value);
  return forwarded;
}

/**
 * What ingress-nginx v1.15 sends upstream (nginx.tmpl's location block, in its order, and
 * lua_ingress.lua's rewrite for $best_http_host, $pass_access_scheme and $pass_port): Host,
 * Upgrade/Connection only for an upgrade, X-Request-ID, X-Real-IP and X-Forwarded-For as
 * `$remote_addr` (the client's list is not appended: it goes as X-Original-Forwarded-For),
 * X-Forwarded-Host/-Port/-Proto/-Scheme, X-Scheme, the `Proxy` header cleared (httpoxy), and
 * headers with `_` in their name dropped (underscores_in_headers off). With use-forwarded-headers,
 * the client's X-Forwarded-Proto/-Port/-Host are trusted (test/e2e/settings/forwarded_headers.go).
 */
function buildNginxUpstreamHeaders(raw: readonly string[], context: ForwardingContext, nginx: NginxForwarding): RawHeaders {
  const passed: RawHeaders = [];
  let connection: string | null = null;
  let upgrade: string | null = null;
  let contentLength = false;
  const sent = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (lower.includes('_') || nginx.clears.includes(lower)) continue;
    if (!sent.has(lower)) sent.set(lower, value);
    if (lower === 'connection') connection = connection === null ? value : `${connection}, ${value}`;
    else if (lower === 'upgrade') upgrade ??= value;
    else if (lower === 'content-length') {
      if (!contentLength) passed.push(name, value);
      contentLength = true;
    } else if (!droppedRequestHeaders.has(lower) && lower !== 'proxy' && !nginxSetHeaders.has(lower)) passed.push(name, value);
  }
  const named = connection === null ? null : connectionTokens(connection);
  const kept = named === null ? passed : withoutNamed(passed, named);
  let host = context.host;
  let scheme: string = context.proto;
  let port = String(context.localPort);
  if (nginx.useForwardedHeaders) {
    const proto = sent.get('x-forwarded-proto');
    const forwardedPort = sent.get('x-forwarded-port');
    const forwardedHost = sent.get('x-forwarded-host');
    if (proto !== undefined) scheme = proto;
    if (forwardedPort !== undefined) port = forwardedPort;
    if (forwardedHost !== undefined) host = (forwardedHost.split(',')[0] ?? '').trim();
  }
  const clientForwardedFor = sent.get('x-forwarded-for');
  const forwardedFor = nginx.useForwardedHeaders && nginx.computeFullForwardedFor && clientForwardedFor !== undefined && clientForwardedFor !== ''
    ? `${clientForwardedFor}, ${context.clientAddress}`
    : nginx.remoteAddress;
  const out: RawHeaders = ['Host', context.forwardedHost === undefined ? host : context.host, ...kept];
  if (context.upgrade && upgrade !== null) out.push('Upgrade', upgrade, 'Connection', 'upgrade');
  out.push(
    'X-Request-ID', context.requestId,
    'X-Real-IP', nginx.remoteAddress,
    'X-Forwarded-For', forwardedFor,
    'X-Forwarded-Host', context.forwardedHost ?? host,
    'X-Forwarded-Port', port,
    'X-Forwarded-Proto', scheme,
    'X-Forwarded-Scheme', scheme,
  );
  if (nginx.proxyAddOriginalUriHeader) out.push('X-Original-URI', nginx.requestUri);
  out.push('X-Scheme', scheme);
  if (clientForwardedFor !== undefined && clientForwardedFor !== '') out.push('X-Original-Forwarded-For', clientForwardedFor);
  const clientForwardedHost = sent.get('x-forwarded-host');
  if (clientForwardedHost !== undefined && clientForwardedHost !== '') out.push('X-Original-Forwarded-Host', clientForwardedHost);
  for (const [name, value] of context.extra ?? []) out.push(name, value);
  for (const [name, value] of nginx.proxySetHeaders) out.push(name, value);
  return out;
}

/** Headers nginx.tmpl sets itself, so a client's are not passed on. */
const nginxSetHeaders: ReadonlySet<string> = new Set(['x-original-forwarded-for', 'x-original-forwarded-host', 'x-original-uri']);

/** The request's id: the client's `X-Request-ID` when it is a plain token, else a new one. */
export function requestIdOf(incoming: string | string[] | undefined): string {
  const first = Array.isArray(incoming) ? incoming[0] : incoming;
  return first !== undefined && validRequestId.test(first) ? first : generateRequestId();
}

/** What a profile does to a backend's response headers besides dropping the hop-by-hop ones. */
export interface ResponseHeaderPolicy {
  /** Drop the backend's own `Server` (ingress-nginx hides it: proxy_hide_header's default). */
  readonly hideServer?: boolean;
  /** Other backend headers dropped, lower case (ingress-nginx's hide-headers). */
  readonly hide?: readonly string[];
  /**
   * Headers set on the response as headers-more's `more_set_headers` does (ingress-nginx's CORS,
   * add-headers, custom-headers): the first header of that name (any case) takes the value in
   * place, the others of that name go, and a missing one is appended.
   */
  readonly set?: readonly (readonly [string, string])[];
  /** Headers the proxy set before the backend answered (ingress-nginx's sticky Set-Cookie): they come first, and the backend's own are kept. */
  readonly prepend?: readonly (readonly [string, string])[];
  /** Gateway API ResponseHeaderModifier filters, applied last, in order. */
  readonly edits?: readonly HeaderEdits[];
}

/**
 * Gateway API header modifiers (httproute_types.go HTTPHeaderFilter), in order: `set` replaces
 * every field of the name with one; `add` appends its value to the existing ones, comma-joined
 * (`my-header: foo` + add `bar` → `my-header: foo,bar`); `remove` drops every field of the name.
 * Names compare case-insensitively.
 */
export function applyHeaderEdits(headers: readonly string[], edits: readonly HeaderEdits[]): RawHeaders {
  let out: RawHeaders = [...headers];
  for (const edit of edits) {
    for (const [name, value] of edit.set) out = [...withoutName(out, name.toLowerCase()), name, value];
    for (const [name, value] of edit.add) {
      const lower = name.toLowerCase();
      const existing: string[] = [];
      for (let i = 0; i + 1 < out.length; i += 2) if ((out[i] as string).toLowerCase() === lower) existing.push(out[i + 1] as string);
      out = existing.length === 0 ? [...out, name, value] : [...withoutName(out, lower), name, [...existing, value].join(',')];
    }
    for (const name of edit.remove) out = withoutName(out, name);
  }
  return out;
}

function withoutName(headers: readonly string[], lower: string): RawHeaders {
  const out: RawHeaders = [];
  for (let i = 0; i + 1 < headers.length; i += 2) if ((headers[i] as string).toLowerCase() !== lower) out.push(headers[i] as string, headers[i + 1] as string);
  return out;
}

/**
 * A backend's response headers without the hop-by-hop ones: a backend's `Connection: close`
 * concerns the proxy's pooled connection, not the client's (node sets the client's framing).
 * `server` is added as `Server` when the backend sent none (null adds nothing).
 */
export function filterResponseHeaders(raw: readonly (string | Buffer)[], server: string | null = null, policy: ResponseHeaderPolicy = {}): RawHeaders {
  let headers: RawHeaders = [];
  for (const [name, value] of policy.prepend ?? []) headers.push(name, value);
  let connection: string | null = null;
  let hasServer = false;
  const hidden = policy.hide === undefined || policy.hide.length === 0 ? null : new Set(policy.hide);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = latin1(raw[i] as string | Buffer);
    const value = latin1(raw[i + 1] as string | Buffer);
    const lower = name.toLowerCase();
    if (policy.hideServer === true && lower === 'server') continue;
    if (hidden?.has(lower) === true) continue;
    if (!droppedResponseHeaders.has(lower)) {
      headers.push(name, value);
      if (lower === 'server') hasServer = true;
    } else if (lower === 'connection') connection = connection === null ? value : `${connection}, ${value}`;
  }
  if (server !== null && !hasServer) headers.push('Server', server);
  const named = connection === null ? null : connectionTokens(connection);
  if (named !== null) headers = withoutNamed(headers, named);
  const set = policy.set === undefined || policy.set.length === 0 ? headers : setHeaders(headers, policy.set);
  return policy.edits === undefined ? set : applyHeaderEdits(set, policy.edits);
}

/** headers-more's `more_set_headers`, one header after the other: replace the first in place, drop the rest, or append. */
export function setHeaders(headers: readonly string[], set: readonly (readonly [string, string])[]): RawHeaders {
  let out: RawHeaders = [...headers];
  for (const [name, value] of set) {
    const lower = name.toLowerCase();
    const next: RawHeaders = [];
    let placed = false;
    for (let i = 0; i + 1 < out.length; i += 2) {
      const existing = out[i] as string;
      if (existing.toLowerCase() !== lower) next.push(existing, out[i + 1] as string);
      else if (!placed) {
        next.push(existing, value);
        placed = true;
      }
    }
    if (!placed) next.push(name, value);
    out = next;
  }
  return out;
}

/**
 * A `101 Switching Protocols`'s headers as the backend sent them (its `Connection: upgrade` and
 * `Upgrade` are what the client asked for), with `server` added as `Server` when it sent none.
 */
export function switchingProtocolsHeaders(raw: readonly (string | Buffer)[], server: string | null): RawHeaders {
  const headers = raw.map(latin1);
  if (server !== null && rawHeader(headers, 'server') === undefined) headers.push('Server', server);
  return headers;
}

function latin1(part: string | Buffer): string {
  return typeof part === 'string' ? part : part.toString('latin1');
}

/** `['Set-Cookie', 'a', 'Set-Cookie', 'b']` → `{'set-cookie': ['a', 'b']}`, for events and the echo. */
export function headersToRecord(raw: readonly string[]): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const existing = record[name];
    if (existing === undefined) record[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else record[name] = [existing, value];
  }
  return record;
}

/** The first value of a header in a raw list, or undefined. */
export function rawHeader(raw: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    // The length first: most names are ruled out without lower-casing them.
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return raw[i + 1];
  }
  return undefined;
}

/** The header names a `Connection` value lists (besides `close`, `keep-alive`, `upgrade`), lower case. */
function connectionTokens(connection: string): Set<string> | null {
  let named: Set<string> | null = null;
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive' || name === 'upgrade') continue;
    named ??= new Set();
    named.add(name);
  }
  return named;
}

/** Drops the headers a `Connection` value named; never the message's own Host or framing. */
function withoutNamed(headers: RawHeaders, named: ReadonlySet<string>): RawHeaders {
  const kept: RawHeaders = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] as string;
    const lower = name.toLowerCase();
    if (!named.has(lower) || lower === 'host' || lower === 'content-length') kept.push(name, headers[i + 1] as string);
  }
  return kept;
}

/** 32 hex characters, like nginx's `$request_id`. */
export function generateRequestId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.toString('hex', idOffset, idOffset + 16);
  idOffset += 16;
  return id;
}

/** Random bytes for 256 request ids, filled at once: one call into the CSPRNG per 256 requests. */
const idPool = Buffer.alloc(16 * 256);
let idOffset = idPool.length;

/** `::ffff:127.0.0.1` → `127.0.0.1`: an IPv4 client on a dual-stack socket, as nginx shows it. */
export function clientAddressOf(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}
