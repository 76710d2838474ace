import { createDockerDiscovery, formatContainer, resolveDockerEndpoints } from '../backends/docker/index.js';
import { servicePortOf } from '../backends/resolver.js';
import type { Backend } from '../model/types.js';
import type { CompiledProject } from './project.js';

/**
 * What Docker would serve for each Service port, for `routes` and `explain`: which rule selected
 * which containers. Asked once, with a short timeout; null when Docker is off or no engine answers,
 * so the offline commands stay offline and fast without an engine.
 */
export interface DockerView {
  /** `selector app=web → web-1, web-2`, `compose service api → api-1 (exited 3)`, or null. */
  describe(backend: Backend): string | null;
}

export async function lookupDocker(project: CompiledProject, env: Readonly<Record<string, string | undefined>>, off: boolean): Promise<DockerView | null> {
  if (off) return null;
  const discovery = createDockerDiscovery({ env: { ...process.env, ...env }, timeoutMs: 1_500, retryMs: 60_000 });
  try {
    const status = await discovery.ready();
    if (status.state !== 'connected') return null;
    const snapshot = discovery.snapshot();
    const services = new Map(project.load.resources.services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
    return {
      describe(backend) {
        if (backend.kind !== 'service') return null;
        const service = services.get(`${backend.namespace}/${backend.service}`);
        const port = service === undefined ? undefined : servicePortOf(service, backend);
        if (service === undefined || port === undefined) return null;
        const r = resolveDockerEndpoints(snapshot, service, port);
        if (r.kind === 'none') return null;
        if (r.kind === 'unavailable') return `${r.selection.description} → ${r.reason.replace(/^Service \S+ port \S+: (docker: )?/, '')}`;
        return `${r.selection.description} → ${r.endpoints.map((e) => `${formatContainer(e.container)} at ${e.target.origin}`).join(', ')}`;
      },
    };
  } finally {
    discovery.stop();
  }
}
