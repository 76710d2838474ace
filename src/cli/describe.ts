import type { Backend } from '../model/types.js';

/** `httpbin:80`, `shop/api:http (8080)`, with the namespace when it is not `default`. */
export function formatBackend(backend: Backend | null): string {
  if (backend === null) return '-';
  if (backend.kind === 'resource') return `resource ${backend.resourceKind}/${backend.name}`;
  const ns = backend.namespace === 'default' ? '' : `${backend.namespace}/`;
  const port = backend.portName !== null && backend.port !== null
    ? `${backend.port} (${backend.portName})`
    : String(backend.port ?? backend.portName ?? '?');
  return `${ns}${backend.service}:${port}`;
}

export function backendJson(backend: Backend | null): Record<string, unknown> | null {
  if (backend === null) return null;
  if (backend.kind === 'resource') {
    return { kind: 'resource', apiGroup: backend.apiGroup, resourceKind: backend.resourceKind, name: backend.name, namespace: backend.namespace, problem: backend.problem };
  }
  return { kind: 'service', service: backend.service, namespace: backend.namespace, port: backend.port, portName: backend.portName, problem: backend.problem };
}
