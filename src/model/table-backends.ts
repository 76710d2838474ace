import type { Backend, RouteTable } from './types.js';

/**
 * Every backend a table can send a request to: the Ingress routes', the defaultBackend, and the
 * Gateway API rules' backendRefs and mirrors. For the health checks and the list of unmapped
 * Services; duplicates are left in (callers key them).
 */
export function tableBackends(table: RouteTable): Backend[] {
  const all: Backend[] = table.routes.map((r) => r.backend);
  if (table.defaultBackend !== null) all.push(table.defaultBackend.backend);
  for (const rule of table.gateway?.rules ?? []) {
    for (const ref of rule.backendRefs) {
      if (ref.backend !== null) all.push(ref.backend);
      for (const f of ref.filters) if (f.type === 'RequestMirror') all.push(f.backend);
    }
    for (const f of rule.filters) if (f.type === 'RequestMirror') all.push(f.backend);
  }
  return all;
}
