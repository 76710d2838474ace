import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../events/bus.js';
import type { DockerChanged } from '../../events/types.js';
import { createResolver } from '../resolver.js';
import { createDockerDiscovery, formatDockerStatus } from './discovery.js';
import { dockerService } from './docker.test-util.js';

// Only the paths that touch no engine; test/docker covers the rest against a real one.
describe('createDockerDiscovery without an engine connection', () => {
  it('--no-docker: looks for nothing, says why, and the resolver ignores it', async () => {
    const discovery = createDockerDiscovery({ disabled: '--no-docker', env: { DOCKER_HOST: 'unix:///var/run/docker.sock' } });
    expect(await discovery.ready()).toEqual({ state: 'disabled', reason: '--no-docker' });
    expect(formatDockerStatus(discovery.status())).toBe('Docker: off (--no-docker)');
    const r = createResolver({ mappings: [], services: [dockerService('web')], unmapped: 'unavailable', docker: discovery });
    const res = r.resolve({ kind: 'service', service: 'web', namespace: 'default', port: 80, portName: 'http', problem: null });
    expect(res.kind === 'unavailable' && res.reason).not.toContain('Docker');
    discovery.stop();
  });

  it('a malformed DOCKER_HOST is reported once, as an event, and not retried', async () => {
    const events = createEventBus();
    const seen: DockerChanged[] = [];
    events.on('docker-changed', (e) => seen.push(e));
    const discovery = createDockerDiscovery({ events, env: { DOCKER_HOST: 'ssh://me@build-box' }, now: () => 42 });
    const status = await discovery.ready();
    expect(status).toMatchObject({ state: 'unreachable', endpoint: null, retrying: false, since: 42 });
    expect(formatDockerStatus(status)).toBe('Docker: DOCKER_HOST=ssh://me@build-box: ssh:// is not supported; use unix:// or tcp:// (for ssh, forward the socket: ssh -L /tmp/docker.sock:/var/run/docker.sock HOST): fix DOCKER_HOST, or unset it to use the usual sockets');
    expect(seen).toEqual([{ type: 'docker-changed', at: 42, change: 'engine', engine: 'unreachable', endpoint: null, message: formatDockerStatus(status) }]);
    discovery.stop();
  });
});
