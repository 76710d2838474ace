import type { Backend } from '../model/types.js';

export { formatBackend } from '../model/format.js';

export function backendJson(backend: Backend | null): Record<string, unknown> | null {
  if (backend === null) return null;
  if (backend.kind === 'resource') {
    return { kind: 'resource', apiGroup: backend.apiGroup, resourceKind: backend.resourceKind, name: backend.name, namespace: backend.namespace, problem: backend.problem };
  }
  return { kind: 'service', service: backend.service, namespace: backend.namespace, port: backend.port, portName: backend.portName, problem: backend.problem };
}
