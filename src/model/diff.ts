import type { SourcePosition } from '../diagnostics/diagnostic.js';
import type { Backend, DefaultBackendRoute, Route, RouteTable } from './types.js';
import { formatMatch, formatRuleBackends, ruleFilters } from './gateway/format.js';

/** What a reload changed, by route id (`ingress:default/web#r0.p1`, `ingress:default/web#default`). */
export interface RouteChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Same id, and a different host, path, pathType, backend or source line. */
  readonly changed: readonly string[];
}

export const noRouteChanges: RouteChanges = { added: [], removed: [], changed: [] };

/** The part of a table a diff reads. */
export type RouteListing = Pick<RouteTable, 'routes' | 'defaultBackend' | 'gateway'>;

/**
 * Routes added, removed and changed from `before` to `after`, by id. The default backend counts
 * as a route under its own id. Ids keep the order of the table they come from: added and changed
 * in `after`'s order, removed in `before`'s.
 */
export function diffRouteTables(before: RouteListing, after: RouteListing): RouteChanges {
  const old = new Map<string, Route>();
  for (const r of before.routes) old.set(r.id, r);
  const added: string[] = [];
  const changed: string[] = [];
  for (const r of after.routes) {
    const was = old.get(r.id);
    if (was === undefined) added.push(r.id);
    else if (!sameRoute(was, r)) changed.push(r.id);
  }
  const now = new Set(after.routes.map((r) => r.id));
  const removed = before.routes.filter((r) => !now.has(r.id)).map((r) => r.id);
  const a = before.defaultBackend;
  const b = after.defaultBackend;
  if (a !== null && (b === null || b.id !== a.id)) removed.push(a.id);
  if (b !== null && (a === null || a.id !== b.id)) added.push(b.id);
  else if (a !== null && b !== null && !sameDefault(a, b)) changed.push(b.id);
  // Gateway API rules, by id (`httproute:default/web#r0`): their matches, filters, backends and line.
  const oldRules = gatewaySignatures(before);
  const newRules = gatewaySignatures(after);
  for (const [id, signature] of newRules) {
    const was = oldRules.get(id);
    if (was === undefined) added.push(id);
    else if (was !== signature) changed.push(id);
  }
  for (const id of oldRules.keys()) if (!newRules.has(id)) removed.push(id);
  return { added, removed, changed };
}

function gatewaySignatures(table: RouteListing): Map<string, string> {
  const out = new Map<string, string>();
  for (const rule of table.gateway?.rules ?? []) {
    out.set(rule.id, `${rule.matches.map(formatMatch).join(' | ')} ${ruleFilters(rule)} ${formatRuleBackends(rule)} ${rule.source.file}:${rule.source.line}`);
  }
  return out;
}

export function isUnchanged(changes: RouteChanges): boolean {
  return changes.added.length === 0 && changes.removed.length === 0 && changes.changed.length === 0;
}

// What a user would call a different route: where it matches, where it goes, where it is written.
// The column is left out on purpose: re-indenting a file is not a routing change.
function sameRoute(a: Route, b: Route): boolean {
  return a.host === b.host && a.path === b.path && a.pathType === b.pathType && sameBackend(a.backend, b.backend) && sameLine(a, b);
}

function sameDefault(a: DefaultBackendRoute, b: DefaultBackendRoute): boolean {
  return sameBackend(a.backend, b.backend) && sameLine(a, b);
}

function sameLine(a: { readonly source: SourcePosition }, b: { readonly source: SourcePosition }): boolean {
  return a.source.file === b.source.file && a.source.line === b.source.line;
}

function sameBackend(a: Backend, b: Backend): boolean {
  if (a.kind === 'service') {
    return b.kind === 'service' && a.namespace === b.namespace && a.service === b.service && a.port === b.port && a.portName === b.portName && a.problem === b.problem;
  }
  return b.kind === 'resource' && a.namespace === b.namespace && a.apiGroup === b.apiGroup && a.resourceKind === b.resourceKind && a.name === b.name && a.problem === b.problem;
}
