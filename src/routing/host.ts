import type { HostRoutes, RouteTable } from '../model/types.js';

/**
 * The host a request is matched with: lower case (DNS names are case-insensitive), without
 * the port (`host:8080` → `host`, `[::1]:8080` → `[::1]`) and without one trailing dot (the
 * fully-qualified `example.com.` is `example.com`). A missing Host is the empty string, which
 * only host-less rules serve.
 */
export function normalizeHost(host: string | null): string {
  if (host === null) return '';
  let name = host;
  if (name.startsWith('[')) {
    const close = name.indexOf(']');
    if (close !== -1) name = name.slice(0, close + 1);
  } else {
    const colon = name.indexOf(':');
    if (colon !== -1) name = name.slice(0, colon);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  return name.toLowerCase();
}

/**
 * The key a host looks up in `wildcardHosts`: everything after its first label
 * (`a.example.com` → `example.com`), or null when the host has no dot or an empty first
 * label. `*.example.com` thereby matches exactly one label: never `b.a.example.com`, never
 * `example.com`.
 */
export function wildcardKeyOf(host: string): string | null {
  const dot = host.indexOf('.');
  return dot > 0 ? host.slice(dot + 1) : null;
}

/**
 * The routes that serve a normalised host: the exact host rule, else the wildcard rule for
 * its suffix, else the host-less rules. Two map lookups, whatever the number of hosts. A host
 * that matches a host rule never falls through to another group, even when none of its paths
 * match (as every major controller does).
 */
export function selectHostRoutes(table: RouteTable, host: string): HostRoutes | null {
  const exact = table.exactHosts.get(host);
  if (exact !== undefined) return exact;
  const wildcardKey = wildcardKeyOf(host);
  const wildcard = wildcardKey === null ? undefined : table.wildcardHosts.get(wildcardKey);
  if (wildcard !== undefined) return wildcard;
  return table.anyHost;
}

/** Every host's routes of the table: exact hosts, wildcard hosts, then the host-less rules. */
export function allHostRoutes(table: RouteTable): HostRoutes[] {
  return [...table.exactHosts.values(), ...table.wildcardHosts.values(), ...(table.anyHost === null ? [] : [table.anyHost])];
}
