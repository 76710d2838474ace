import { describe, expect, it } from 'vitest';
import { parseContainer } from './containers.js';
import { container, dockerService, servicePort } from './docker.test-util.js';
import { addressOf, resolveDockerEndpoints, selectContainers } from './select.js';
import type { DockerSnapshot } from './types.js';

const reachable: DockerSnapshot['addresses'] = { reachable: true };
const snapshot = (containers: ReturnType<typeof container>[], addresses = reachable): DockerSnapshot => ({ version: 1, containers, addresses });

describe('selectContainers', () => {
  it('selects containers whose labels include every key=value of the selector (the cluster rule)', () => {
    const web1 = container('web-1', { labelsOf: { app: 'web', tier: 'fe', extra: 'x' } });
    const other = container('web-2', { labelsOf: { app: 'web' } }); // lacks tier=fe
    const s = selectContainers([web1, other], dockerService('web', { app: 'web', tier: 'fe' }));
    expect(s?.description).toBe('selector app=web,tier=fe');
    expect(s?.containers.map((c) => c.name)).toEqual(['web-1']);
  });

  it('an empty selector selects nothing; the compose service of that name comes next, then the container name', () => {
    const labelled = container('x', { labelsOf: { app: 'web' } });
    const compose = container('shop-web-1', { labelsOf: { 'com.docker.compose.service': 'web' } });
    const named = container('web');
    expect(selectContainers([labelled, compose, named], dockerService('web'))?.description).toBe('compose service web');
    expect(selectContainers([labelled, named], dockerService('web'))).toMatchObject({ description: 'container name web', containers: [named] });
    expect(selectContainers([labelled], dockerService('web'))).toBeNull();
  });

  it('falls back when the selector matches no running container, and explains with the first rule that matched stopped ones', () => {
    const stopped = container('web-old', { labelsOf: { app: 'web' }, state: 'exited', exitCode: 1 });
    const named = container('web');
    expect(selectContainers([stopped, named], dockerService('web', { app: 'web' }))?.description).toBe('container name web');
    expect(selectContainers([stopped], dockerService('web', { app: 'web' }))?.description).toBe('selector app=web');
  });
});

describe('addressOf', () => {
  it('prefers the published port, on loopback when the binding is 0.0.0.0, :: or empty', () => {
    const published = (hostIp: string) =>
      container('web', { ports: [{ containerPort: 8080, protocol: 'tcp', hostIp, hostPort: 49153 }] });
    expect(addressOf(published('0.0.0.0'), 8080, reachable)).toEqual({ ok: true, host: '127.0.0.1', port: 49153, how: 'published' });
    expect(addressOf(published(''), 8080, reachable)).toMatchObject({ host: '127.0.0.1' });
    expect(addressOf(published('::'), 8080, reachable)).toMatchObject({ host: '[::1]' });
    expect(addressOf(published('192.168.1.5'), 8080, reachable)).toMatchObject({ host: '192.168.1.5' });
  });

  it('ignores UDP bindings and other ports; then takes the first network with an address', () => {
    const c = container('web', {
      ports: [{ containerPort: 8080, protocol: 'udp', hostIp: '0.0.0.0', hostPort: 1 }, { containerPort: 9090, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 2 }],
      networks: [{ name: 'none', ip: '' }, { name: 'app', ip: '10.1.0.7' }],
    });
    expect(addressOf(c, 8080, reachable)).toEqual({ ok: true, host: '10.1.0.7', port: 8080, how: 'address' });
  });

  it('says to publish the port when container addresses are not reachable (Docker Desktop)', () => {
    const r = addressOf(container('web'), 8080, { reachable: false, why: 'Docker Desktop keeps container addresses inside its VM' });
    expect(r).toEqual({ ok: false, reason: 'container web publishes no port for 8080 and has no reachable address (Docker Desktop keeps container addresses inside its VM): publish the port with -p 8080' });
    expect(addressOf(container('web', { networks: [] }), 8080, reachable)).toMatchObject({ reason: 'container web publishes no port for 8080 and has no reachable address: publish the port with -p 8080' });
  });

  it('a container on the host network answers on loopback', () => {
    expect(addressOf(container('web', { networkMode: 'host', networks: [{ name: 'host', ip: '' }] }), 8080, reachable)).toMatchObject({ host: '127.0.0.1', port: 8080, how: 'host-network' });
  });
});

describe('resolveDockerEndpoints', () => {
  const svc = dockerService('web', { app: 'web' });
  const port = svc.ports[0]!;

  it('lists one endpoint per running selected container, on the targetPort', () => {
    const a = container('web-1', { labelsOf: { app: 'web' }, networks: [{ name: 'bridge', ip: '172.17.0.5' }] });
    const b = container('web-2', { labelsOf: { app: 'web' }, state: 'exited', exitCode: 0 });
    const r = resolveDockerEndpoints(snapshot([a, b]), svc, port);
    expect(r.kind === 'endpoints' && r.endpoints.map((e) => e.target.origin)).toEqual(['http://172.17.0.5:8080']);
  });

  it('a Service whose only container exited is unavailable, with the container and its exit code', () => {
    const r = resolveDockerEndpoints(snapshot([container('web-1', { labelsOf: { app: 'web' }, state: 'exited', exitCode: 137 })]), svc, port);
    expect(r.kind).toBe('unavailable');
    if (r.kind !== 'unavailable') return;
    expect(r.reason).toMatch(/^Service default\/web port http: docker: selector app=web selects container web-1 \([0-9a-f]{12}\) which exited with code 137$/);
    expect(r.hint).toBe('Start it again: docker start web-1 (docker logs web-1 says why it stopped)');
  });

  it('several stopped containers are all named', () => {
    const r = resolveDockerEndpoints(snapshot([
      container('web-1', { labelsOf: { app: 'web' }, state: 'exited', exitCode: 1 }),
      container('web-2', { labelsOf: { app: 'web' }, state: 'paused' }),
    ]), svc, port);
    expect(r.kind === 'unavailable' && r.reason).toMatch(/selects 2 containers, none running: web-1 \(\w+\) which exited with code 1; web-2 \(\w+\) which is paused/);
  });

  it('a named targetPort cannot be resolved for a container the user started, and says so', () => {
    const named = dockerService('web', { app: 'web' }, 'http');
    const r = resolveDockerEndpoints(snapshot([container('web-1', { labelsOf: { app: 'web' } })]), named, named.ports[0]!);
    expect(r.kind === 'unavailable' && r.reason).toMatch(/targetPort "http" is a port name, and container web-1 \(\w+\) does not name its ports/);
    expect(r.kind === 'unavailable' && r.hint).toContain('targetPort: 8080');
  });

  it('a named targetPort resolves when the container names its ports', () => {
    const named = dockerService('web', { app: 'web' }, 'http');
    const c = container('web-1', { labelsOf: { app: 'web' }, namedPorts: new Map([['http', 3000]]), networks: [{ name: 'b', ip: '10.0.0.9' }] });
    const r = resolveDockerEndpoints(snapshot([c]), named, named.ports[0]!);
    expect(r.kind === 'endpoints' && r.endpoints[0]?.target.origin).toBe('http://10.0.0.9:3000');
  });

  it('no container selected: says which rules were tried, for the 503 page', () => {
    const r = resolveDockerEndpoints(snapshot([]), svc, servicePort(8080));
    expect(r).toMatchObject({ kind: 'none', reason: 'no Docker container matches selector app=web, compose service web, container name web', hint: expect.stringContaining('docker run -l app=web') });
  });
});

describe('parseContainer', () => {
  it('reads labels, state, exit code, networks and published ports from an inspect answer', () => {
    const c = parseContainer({
      Id: 'f'.repeat(64),
      Name: '/web-1',
      Config: { Image: 'nginx', Labels: { app: 'web' } },
      State: { Status: 'exited', ExitCode: 2, FinishedAt: '2026-01-01T00:00:00Z' },
      HostConfig: { NetworkMode: 'bridge' },
      NetworkSettings: {
        Networks: { bridge: { IPAddress: '172.17.0.3' } },
        Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '32768' }], '443/tcp': null, '53/udp': [] },
      },
    });
    expect(c).toMatchObject({ name: 'web-1', state: 'exited', exitCode: 2, networks: [{ name: 'bridge', ip: '172.17.0.3' }], ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 32768 }] });
    expect(c?.labels.get('app')).toBe('web');
  });

  it('reads the start time (null when it never started) and the port names of containers started from a manifest', () => {
    const c = parseContainer({
      Id: 'e'.repeat(64),
      Config: { Labels: { 'ingress-dev.port-names': 'http=8080,metrics=9090,bad' } },
      State: { Status: 'running', StartedAt: '2026-01-01T10:00:00.5Z', FinishedAt: '0001-01-01T00:00:00Z' },
    });
    expect(c?.startedAt).toBe('2026-01-01T10:00:00.5Z');
    expect([...(c?.namedPorts ?? [])]).toEqual([['http', 8080], ['metrics', 9090]]);
    expect(parseContainer({ Id: 'a'.repeat(64), State: { Status: 'created', StartedAt: '0001-01-01T00:00:00Z' } })?.startedAt).toBeNull();
  });

  it('a container that never ran has no exit code; an answer without an id is not a container', () => {
    expect(parseContainer({ Id: 'a'.repeat(64), State: { Status: 'created', ExitCode: 0, FinishedAt: '0001-01-01T00:00:00Z' } })?.exitCode).toBeNull();
    expect(parseContainer({})).toBeNull();
  });
});
