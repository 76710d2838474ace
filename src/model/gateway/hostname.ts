/**
 * Gateway API hostnames (apis/v1/shared_types.go `Hostname`, httproute_types.go `Hostnames`,
 * gateway_types.go `Listener.Hostname`): a precise name, or `*.` followed by a suffix. Unlike an
 * Ingress host, a wildcard matches one or more labels (`*.example.com` matches `foo.example.com`
 * and `foo.bar.example.com`, never `example.com`).
 */

export function isWildcard(hostname: string): boolean {
  return hostname.startsWith('*.');
}

/** Does a listener or route hostname (lower case) match a request's host (lower case, no port)? */
export function hostnameMatches(pattern: string, host: string): boolean {
  if (!isWildcard(pattern)) return pattern === host;
  const suffix = pattern.slice(1); // `.example.com`
  return host.length > suffix.length && host.endsWith(suffix);
}

/**
 * The hostname a route serves on a listener: the intersection of the two (gateway_types.go,
 * Listener.Hostname: "a Route's hostnames must intersect with the Listener's hostname").
 * `undefined` when they do not intersect; null when neither names one (any host).
 * - no listener hostname: the route's; no route hostname: the listener's;
 * - precise and precise: the same name, else none;
 * - a precise name and a wildcard: the precise name, when the wildcard matches it;
 * - two wildcards: the longer one, when the shorter matches its suffix (`*.example.com` and
 *   `*.foo.example.com` → `*.foo.example.com`).
 */
export function intersectHostnames(listener: string | null, route: string | null): string | null | undefined {
  if (listener === null) return route;
  if (route === null) return listener;
  if (listener === route) return listener;
  const lw = isWildcard(listener);
  const rw = isWildcard(route);
  if (!lw && !rw) return undefined;
  if (lw && !rw) return hostnameMatches(listener, route) ? route : undefined;
  if (!lw && rw) return hostnameMatches(route, listener) ? listener : undefined;
  // Both wildcards: the more specific one, if the other covers it.
  if (hostnameMatches(listener, route.slice(2))) return route;
  if (hostnameMatches(route, listener.slice(2))) return listener;
  return undefined;
}

/**
 * Which of the index's keys a host can match, most specific first: the host itself, then the
 * suffixes of its wildcards from the longest (`a.b.example.com` → `b.example.com`, then
 * `example.com`, then `com`). The spec's hostname precedence: more characters of a precise name
 * first, then more characters of a wildcard.
 */
export function wildcardSuffixes(host: string): string[] {
  const out: string[] = [];
  for (let dot = host.indexOf('.'); dot !== -1 && dot + 1 < host.length; dot = host.indexOf('.', dot + 1)) out.push(host.slice(dot + 1));
  return out;
}
