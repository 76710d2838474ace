import type { MatchRequest } from '../routing/types.js';
import { UsageError } from './args.js';

/**
 * Turn `http://host:port/path?q`, `host/path` or `/path` plus `-H` headers into a request.
 * The path is kept byte for byte (no URL normalisation): the backend receives what was sent.
 */
export function parseRequestTarget(target: string, headerArgs: readonly string[], method = 'GET'): MatchRequest & { readonly url: string } {
  const headers: Record<string, string> = {};
  for (const h of headerArgs) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`bad header "${h}": write -H 'Name: value'`);
    headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
  }
  let host: string | null = null;
  let path: string;
  let scheme: 'http' | 'https' = 'http';
  const withScheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(target);
  if (withScheme !== null) {
    const written = (withScheme[1] ?? '').toLowerCase();
    if (written !== 'http' && written !== 'https') throw new UsageError(`unsupported scheme "${written}": use http:// or https://`);
    scheme = written;
    host = (withScheme[2] ?? '').replace(/^.*@/, '') || null;
    path = withScheme[3] ?? '';
  } else if (target.startsWith('/')) {
    path = target;
  } else if (/^[^/?#\s]+\.[^/?#\s]+/.test(target) || target.startsWith('localhost')) {
    const slash = target.search(/[/?]/);
    host = slash === -1 ? target : target.slice(0, slash);
    path = slash === -1 ? '' : target.slice(slash);
  } else {
    throw new UsageError(`"${target}" is neither a URL (http://host/path) nor a path (/path)`);
  }
  const hash = path.indexOf('#');
  if (hash !== -1) path = path.slice(0, hash); // fragments never reach a server
  if (path === '' || path.startsWith('?')) path = `/${path}`;
  // A Host header given with -H wins over the URL's host, as with curl.
  if (headers.host !== undefined) host = headers.host;
  else if (host !== null) headers.host = host;
  const url = `${host !== null ? `${scheme}://${host}` : ''}${path}`;
  // https:// asks how a request over TLS is routed (ingress-nginx redirects only plain HTTP).
  const port = /:(\d+)$/.exec(host ?? '')?.[1];
  return { host, path, method: method.toUpperCase(), headers, url, scheme, ...(port === undefined ? {} : { port: Number(port) }) };
}
