import type { Backend } from './types.js';

/**
 * A backend as every output shows it: `web:80`, `shop/api:8080 (http)` (the namespace only when it
 * is not `default`; the port name with `withPortName`), `resource StorageBucket/icons`, `-` for none.
 */
export function formatBackend(backend: Backend | null, withPortName = true): string {
  if (backend === null) return '-';
  if (backend.kind === 'resource') return `resource ${backend.resourceKind}/${backend.name}`;
  const ns = backend.namespace === 'default' ? '' : `${backend.namespace}/`;
  const port = withPortName && backend.port !== null && backend.portName !== null
    ? `${backend.port} (${backend.portName})`
    : String(backend.port ?? backend.portName ?? '?');
  return `${ns}${backend.service}:${port}`;
}
