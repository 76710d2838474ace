import { formatBackend } from '../format.js';
import type { CompiledFilter, CompiledMatch, CompiledRule, GatewayTable, ListenerGroup, ListenerIndex, RouteEntry } from './types.js';

/**
 * Gateway API routes in words, for `routes`, `explain`, the UI and error pages: one place, so
 * every view says the same.
 */

/** `PathPrefix /api  GET  header x-env=canary  query v=2`. */
export function formatMatch(m: CompiledMatch): string {
  // A GRPCRoute's method match, as written: `method grpc.health.v1.Health/Check`.
  const parts = m.grpc === undefined ? [`${m.path.type} ${m.path.value}`] : [m.grpc.service === null && m.grpc.method === null ? 'any method' : `method ${m.grpc.service ?? '*'}/${m.grpc.method ?? '*'}${m.path.type === 'RegularExpression' && !(m.grpc.service === null || m.grpc.method === null) ? ' (regex)' : ''}`];
  if (m.method !== null) parts.push(m.method);
  for (const h of m.headers) parts.push(`header ${h.name}${h.type === 'Exact' ? '=' : '~'}${h.value}`);
  for (const q of m.queryParams) parts.push(`query ${q.name}${q.type === 'Exact' ? '=' : '~'}${q.value}`);
  return parts.join('  ');
}

export function formatFilter(f: CompiledFilter): string {
  switch (f.type) {
    case 'RequestHeaderModifier':
    case 'ResponseHeaderModifier': {
      const edits = [...f.edits.set.map(([n, v]) => `set ${n}: ${v}`), ...f.edits.add.map(([n, v]) => `add ${n}: ${v}`), ...f.edits.remove.map((n) => `remove ${n}`)];
      return `${f.type === 'RequestHeaderModifier' ? 'request' : 'response'} headers (${edits.join(', ')})`;
    }
    case 'RequestRedirect': {
      const to = [f.scheme === null ? null : `scheme ${f.scheme}`, f.hostname === null ? null : `host ${f.hostname}`, f.port === null ? null : `port ${f.port}`, f.path === null ? null : `${f.path.type} ${f.path.value}`].filter((x) => x !== null);
      return `redirect ${f.statusCode}${to.length === 0 ? '' : ` (${to.join(', ')})`}`;
    }
    case 'URLRewrite': {
      const to = [f.hostname === null ? null : `host ${f.hostname}`, f.path === null ? null : `${f.path.type} ${f.path.value}`].filter((x) => x !== null);
      return `rewrite (${to.join(', ')})`;
    }
    case 'RequestMirror':
      return `mirror to ${formatBackend(f.backend)}${f.percent === 100 ? '' : ` (${f.percent}%)`}`;
    case 'CORS':
      return `CORS (origins ${f.allowOrigins.join(', ') || 'none'}${f.allowCredentials ? ', credentials' : ''})`;
  }
}

/** `web:80`, `web:80 ×90, web-v2:80 ×10`, or why the rule answers 500. */
export function formatRuleBackends(rule: CompiledRule): string {
  if (rule.fails !== null) return `500: ${rule.fails}`;
  if (rule.backendRefs.length === 0) return rule.filters.some((f) => f.type === 'RequestRedirect') ? '(redirect)' : '500: no backendRefs';
  const weighted = rule.backendRefs.length > 1;
  return rule.backendRefs.map((b) => `${b.backend === null ? `500 (${b.invalid ?? 'invalid'})` : formatBackend(b.backend)}${weighted ? ` ×${b.weight}` : ''}`).join(', ');
}

export function ruleFilters(rule: CompiledRule): string {
  return [...rule.filters.map(formatFilter), ...rule.backendRefs.flatMap((b) => b.filters.map((f) => `${formatFilter(f)} on ${b.backend === null ? 'its backend' : formatBackend(b.backend)}`))].join('; ');
}

/** `httproute:default/web#r0.m1`. */
export function entryId(e: RouteEntry): string {
  return `${e.rule.id}.m${e.match.index}`;
}

/** `http listener * (gateway default/web: http)`. */
export function formatGroup(group: ListenerGroup, scheme: 'http' | 'https'): string {
  return `${scheme} ${group.hostname ?? '*'}  (${group.listeners.map((l) => `Gateway ${l.gateway.namespace}/${l.gateway.name} listener ${l.name}`).join(', ')})`;
}

/** Every listener group of an index, most specific hostname first, and its entries in precedence order (by effective hostname). */
export function groupsOf(index: ListenerIndex): ListenerGroup[] {
  const exact = [...index.exact.values()].toSorted((a, b) => (a.hostname ?? '').localeCompare(b.hostname ?? ''));
  const wildcard = [...index.wildcard.values()].toSorted((a, b) => (b.hostname ?? '').length - (a.hostname ?? '').length);
  return [...exact, ...wildcard, ...(index.any === null ? [] : [index.any])];
}

/** A group's entries as lists by effective hostname: precise names, wildcards from the longest, then any host. */
export function entryListsOf(group: ListenerGroup): { hostname: string | null; entries: readonly RouteEntry[] }[] {
  const exact = [...group.entries.exact].toSorted(([a], [b]) => a.localeCompare(b)).map(([h, entries]) => ({ hostname: h, entries }));
  const wildcard = [...group.entries.wildcard].toSorted(([a], [b]) => b.length - a.length).map(([h, entries]) => ({ hostname: `*.${h}`, entries }));
  return [...exact, ...wildcard, ...(group.entries.any.length === 0 ? [] : [{ hostname: null, entries: group.entries.any }])];
}

/**
 * Every listener group's route matches by effective hostname, HTTP listeners first: what the
 * views walk (`routes`, the start-up listing, the UI, the 404 page), in the order requests try them.
 */
export function* hostLists(gateway: GatewayTable, schemes: readonly ('http' | 'https')[] = ['http', 'https']): Generator<{ scheme: 'http' | 'https'; group: ListenerGroup; hostname: string | null; entries: readonly RouteEntry[] }> {
  for (const scheme of schemes) {
    for (const group of groupsOf(scheme === 'http' ? gateway.http : gateway.https)) {
      for (const { hostname, entries } of entryListsOf(group)) yield { scheme, group, hostname, entries };
    }
  }
}

export function hasGatewayRoutes(gateway: GatewayTable | null | undefined): gateway is GatewayTable {
  return gateway !== null && gateway !== undefined && gateway.rules.length > 0;
}
