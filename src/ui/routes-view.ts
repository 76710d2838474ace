import { formatBackend } from '../model/format.js';
import { backendKey, type BackendState } from '../backends/health.js';
import { formatTarget, type BackendResolver } from '../backends/types.js';
import type { BackendChanged } from '../events/types.js';
import type { Backend, RouteTable } from '../model/types.js';
import { line, type Line, type Segment } from './lines.js';
import { fit, truncate } from './text.js';
import { entryId, formatMatch, hostLists, ruleFilters } from '../model/gateway/format.js';

export type Health = BackendState | 'unknown';

/** One row of the routes pane. */
export interface RouteRow {
  readonly id: string;
  /** `app.example.com`, `*.example.com`, or `*` for any host. */
  readonly host: string;
  /** The path, or `(default)` for the defaultBackend. */
  readonly path: string;
  readonly pathType: string;
  /** `web:80`, `shop/api:http (8080)`. */
  readonly backend: string;
  /** The backend key (`default/web:80`), or null for a resource backend. */
  readonly backendKey: string | null;
  /** `127.0.0.1:3000`, `echo`, `unmapped`, `missing`, `docker: down`. */
  readonly target: string;
  readonly health: Health;
  /** Which Docker rule selected which container, when Docker serves the backend. */
  readonly via: string | null;
  /**
   * The heading the row is listed under when the folder has Gateway API routes: `Ingresses`, or
   * a listener (`listener http of Gateway default/shop (HTTP, any host)`).
   */
  readonly section?: string;
}

export interface BackendCounts {
  readonly reachable: number;
  readonly refused: number;
  readonly unmapped: number;
  readonly unknown: number;
}

/** Every route and the defaultBackend, with where it goes now and the last health of that target. */
export function routeRows(table: RouteTable, resolver: BackendResolver, backends: ReadonlyMap<string, BackendChanged>): RouteRow[] {
  const rows: RouteRow[] = table.routes.map((r) => ({
    id: r.id,
    host: r.host ?? '*',
    path: r.path,
    pathType: r.pathType,
    ...where(r.backend, resolver, backends),
  }));
  const d = table.defaultBackend;
  if (d !== null) rows.push({ id: d.id, host: '*', path: '(default)', pathType: '', ...where(d.backend, resolver, backends) });
  const gateway = gatewayRows(table, resolver, backends);
  if (gateway.length === 0) return rows;
  return [...rows.map((r) => ({ ...r, section: 'Ingresses' })), ...gateway];
}

/**
 * The Gateway API's route matches, grouped by listener (HTTP, then HTTPS; most specific hostname
 * first) and in precedence order: one row per backendRef, the match and its filters in the path
 * column (`PathPrefix /api GET header x-env=canary`).
 */
function gatewayRows(table: RouteTable, resolver: BackendResolver, backends: ReadonlyMap<string, BackendChanged>): RouteRow[] {
  const gateway = table.gateway;
  if (gateway === undefined || gateway === null) return [];
  const rows: RouteRow[] = [];
  const seen = new Set<string>();
  for (const { scheme, group, hostname, entries } of hostLists(gateway)) {
    const section = group.listeners.map((l) => `listener ${l.name} of Gateway ${l.gateway.namespace}/${l.gateway.name}`).join(', ') +
      ` (${scheme.toUpperCase()}, ${group.hostname ?? 'any host'})`;
    for (const e of entries) {
      const id = entryId(e);
      const key = `${scheme}:${hostname ?? ''}:${id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const host = `${scheme === 'https' ? 'https://' : ''}${hostname ?? '*'}`;
      const filters = ruleFilters(e.rule);
      const path = `${formatMatch(e.match).replace(/^(Exact|PathPrefix|RegularExpression) /, '')}${filters === '' ? '' : `  (${filters})`}`;
      const pathType = e.match.grpc !== undefined ? 'gRPC' : e.match.path.type === 'PathPrefix' ? 'Prefix' : e.match.path.type === 'RegularExpression' ? 'Regex' : 'Exact';
      if (e.rule.fails !== null || e.rule.backendRefs.length === 0) {
        const redirect = e.rule.filters.some((f) => f.type === 'RequestRedirect');
        rows.push({ id, host, path, pathType, backend: redirect && e.rule.fails === null ? '(redirect)' : '500', backendKey: null, target: redirect && e.rule.fails === null ? 'redirect' : `500: ${e.rule.fails ?? 'no backendRefs'}`, health: redirect && e.rule.fails === null ? 'reachable' : 'unmapped', via: null, section });
        continue;
      }
      for (const b of e.rule.backendRefs) {
        const weight = e.rule.backendRefs.length > 1 ? ` ×${b.weight}` : '';
        if (b.backend === null) rows.push({ id, host, path, pathType, backend: `invalid${weight}`, backendKey: null, target: `500: ${b.invalid ?? ''}`, health: 'unmapped', via: null, section });
        else {
          const w = where(b.backend, resolver, backends);
          rows.push({ id, host, path, pathType, ...w, backend: `${w.backend}${weight}`, section });
        }
      }
    }
  }
  return rows;
}

function where(backend: Backend, resolver: BackendResolver, backends: ReadonlyMap<string, BackendChanged>) {
  if (backend.kind === 'resource') {
    return { backend: `${backend.resourceKind}/${backend.name}`, backendKey: null, target: 'resource: 503', health: 'unmapped' as const, via: null };
  }
  const key = backendKey(backend);
  const label = formatServicePort(backend);
  if (backend.problem !== null) return { backend: label, backendKey: key, target: 'missing', health: 'unmapped' as const, via: null };
  const resolution = resolver.resolve(backend, { peek: true });
  if (resolution.kind === 'unavailable') {
    const why = resolution.reason.replace(/^Service \S+ port \S+: /, '');
    if (resolution.cause === 'workload') return { backend: label, backendKey: key, target: 'workload failed', health: 'refused' as const, via: why };
    return resolution.cause === 'docker'
      ? { backend: label, backendKey: key, target: 'docker: down', health: 'refused' as const, via: why }
      : { backend: label, backendKey: key, target: 'unmapped', health: 'unmapped' as const, via: null };
  }
  const target = compactTarget(formatTarget(resolution.target));
  const known = backends.get(key);
  const health: Health = resolution.target.kind === 'echo' ? 'reachable' : known !== undefined && sameEndpoints(known, target, resolution.via) ? known.state : 'unknown';
  // The replica named in `via` changes with every request (round-robin); the rule and the set do not.
  const via = resolution.via.startsWith('docker: ') ? resolution.via.replace(/, replica \d+ of \d+$/, '') : null;
  return { backend: label, backendKey: key, target, health, via };
}

/**
 * Whether a health result is about what the backend resolves to now: the same target, or, for a
 * Service served by several containers, the same selection of containers. Requests take the
 * replicas in turn, so the replica probed is rarely the one whose turn it is when the screen is
 * drawn; a result for another target (the mapping changed since) is not used.
 */
function sameEndpoints(known: BackendChanged, target: string, via: string): boolean {
  if (compactTarget(known.target ?? '') === target) return true;
  const selection = (v: string | undefined): string | null => (v?.startsWith('docker: ') === true ? v.replace(/ → container .*$/, '') : null);
  const now = selection(via);
  return now !== null && now === selection(known.via);
}

/** `web:80`, `shop/api:8080 (http)`: the namespace only when it is not `default`. */
export function formatServicePort(b: { namespace: string; service: string; port: number | null; portName: string | null }): string {
  return formatBackend({ kind: 'service', ...b, problem: null });
}

/** `http://127.0.0.1:3000` → `127.0.0.1:3000`; https and echo stay as they are. */
export function compactTarget(target: string): string {
  return target.startsWith('http://') ? target.slice('http://'.length) : target;
}

/** Backends counted once each (several routes often share one), by health. */
export function countBackends(rows: readonly RouteRow[]): BackendCounts {
  const byKey = new Map<string, Health>();
  for (const r of rows) byKey.set(r.backendKey ?? r.id, r.health);
  const counts = { reachable: 0, refused: 0, unmapped: 0, unknown: 0 };
  for (const h of byKey.values()) counts[h]++;
  return counts;
}

export const healthMark: Readonly<Record<Health, Segment>> = {
  reachable: { text: '●', color: 'green' },
  refused: { text: '✗', color: 'red' },
  unmapped: { text: '○', dim: true },
  unknown: { text: '·', dim: true },
};

/** The routes pane as rows of columns: a heading, then one row per route, under a line per section (Ingresses, each Gateway listener). */
export function routeLines(rows: readonly RouteRow[], width: number): { heading: Line; rows: Line[] } {
  const fixed = 2 + 1 + 8 + 1; // mark, space, pathType, spaces
  const flex = Math.max(20, width - fixed - 4);
  const hostW = Math.max(8, Math.floor(flex * 0.26));
  const pathW = Math.max(6, Math.floor(flex * 0.22));
  const backendW = Math.max(8, Math.floor(flex * 0.26));
  const targetW = Math.max(6, flex - hostW - pathW - backendW);
  const cells = (host: string, path: string, type: string, backend: string, target: string): string =>
    `${fit(host, hostW)} ${fit(path, pathW)} ${fit(type, 8)} ${fit(backend, backendW)} ${fit(target, targetW)}`;
  return {
    heading: line(`  ${cells('HOST', 'PATH', 'TYPE', 'BACKEND', 'TARGET')}`, { dim: true }),
    rows: rows.flatMap((r, i) => [
      ...(r.section === undefined || r.section === rows[i - 1]?.section ? [] : [sectionLine(r.section, width)]),
      { segments: [healthMark[r.health], { text: ` ${cells(r.host, r.path, shortPathType(r.pathType), r.backend, r.target)}` }] },
      ...(r.via === null ? [] : [line(`    ↳ ${fit(r.via, Math.max(10, width - 6))}`, { dim: true })]),
    ]),
  };
}

/** `── listener http of Gateway default/shop (HTTP, any host) ─────`, cut to the width. */
function sectionLine(section: string, width: number): Line {
  const text = `── ${section} `;
  return line(truncate(`${text}${'─'.repeat(Math.max(0, width - 1 - [...text].length))}`, Math.max(10, width - 1)), { bold: true });
}

function shortPathType(pathType: string): string {
  return pathType === 'ImplementationSpecific' ? 'ImplSpec' : pathType;
}
