import { describe, expect, it } from 'vitest';
import type { Service } from '../manifest/types.js';
import type { ServiceBackend } from '../model/types.js';
import { container, dockerService, fakeDockerIndex } from './docker/docker.test-util.js';
import { createResolver, type Mapping } from './resolver.js';
import { parseServiceSelector, parseTarget } from './target.js';

const at = { file: 'svc.yaml', line: 1, col: 1 };
function service(name: string, extra: Partial<Service> = {}): Service {
  return {
    kind: 'Service',
    metadata: { name, namespace: 'default', annotations: new Map(), labels: new Map(), creationTimestamp: null, at, nameAt: at, order: 0 },
    type: 'ClusterIP',
    selector: new Map(),
    ports: [{ name: 'http', port: 80, targetPort: 3000, protocol: 'TCP', nodePort: null, at }],
    externalName: null,
    ...extra,
  };
}
function backend(name: string, port = 80, portName: string | null = 'http'): ServiceBackend {
  return { kind: 'service', service: name, namespace: 'default', port, portName, problem: null };
}
function mapping(selector: string, target: string, via: string): Mapping {
  const s = parseServiceSelector(selector);
  const t = parseTarget(target);
  if (s === null || !t.ok) throw new Error('bad test mapping');
  return { selector: s, target: t.target, via };
}

describe('createResolver', () => {
  it('uses the first mapping that selects the Service port: flags before the config file', () => {
    const r = createResolver({
      mappings: [mapping('web', '4000', '--map web=4000'), mapping('web', '5000', 'ingress-dev.yaml:3')],
      services: [service('web')],
      unmapped: 'unavailable',
    });
    expect(r.resolve(backend('web'))).toMatchObject({ kind: 'target', target: { origin: 'http://127.0.0.1:4000' }, via: '--map web=4000' });
  });

  it('matches a port by number or by name', () => {
    const r = createResolver({ mappings: [mapping('web:http', '4000', 'a'), mapping('web:9000', '5000', 'b')], services: [], unmapped: 'unavailable' });
    expect(r.resolve(backend('web', 80, 'http'))).toMatchObject({ via: 'a' });
    expect(r.resolve(backend('web', 9000, null))).toMatchObject({ via: 'b' });
  });

  it('a namespaced mapping applies to that namespace only', () => {
    const r = createResolver({ mappings: [mapping('shop/web', '4000', 'a')], services: [], unmapped: 'unavailable' });
    expect(r.resolve(backend('web')).kind).toBe('unavailable');
    expect(r.resolve({ ...backend('web'), namespace: 'shop' }).kind).toBe('target');
  });

  it('forwards ExternalName Services to their host on the service port', () => {
    const r = createResolver({ mappings: [], services: [service('ext', { type: 'ExternalName', externalName: 'api.example.org' })], unmapped: 'unavailable' });
    expect(r.resolve(backend('ext'))).toMatchObject({ kind: 'target', target: { origin: 'http://api.example.org:80' }, via: 'ExternalName api.example.org' });
  });

  it('unmapped: echo or a 503 whose hint is the exact flag and config line', () => {
    expect(createResolver({ mappings: [], services: [], unmapped: 'echo' }).resolve(backend('web'))).toMatchObject({ kind: 'target', target: { kind: 'echo' } });
    const res = createResolver({ mappings: [], services: [service('web')], unmapped: 'unavailable' }).resolve(backend('web'));
    expect(res).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('default/web port http') });
    if (res.kind === 'unavailable') {
      expect(res.hint).toContain('--map web=3000'); // the targetPort: where the app listens
      expect(res.hint).toContain('services: { web: 3000 }');
    }
  });
});

describe('createResolver with Docker', () => {
  const web = dockerService('web', { app: 'web' });
  const webBackend = backend('web');

  it('explicit mappings come before Docker containers', () => {
    const docker = fakeDockerIndex([container('web-1', { labelsOf: { app: 'web' } })]);
    const r = createResolver({ mappings: [mapping('web', '4000', '--map web=4000')], services: [web], unmapped: 'unavailable', docker });
    expect(r.resolve(webBackend)).toMatchObject({ via: '--map web=4000' });
  });

  it('Docker containers come before ExternalName, and the resolution says which rule selected which container', () => {
    const c = container('ext', { networks: [{ name: 'bridge', ip: '172.17.0.9' }] });
    const ext = dockerService('ext', {}, 8080, { type: 'ExternalName', externalName: 'api.example.org' });
    const r = createResolver({ mappings: [], services: [ext], unmapped: 'unavailable', docker: fakeDockerIndex([c]) });
    expect(r.resolve(backend('ext'))).toEqual({
      kind: 'target',
      target: { kind: 'http', protocol: 'http:', host: '172.17.0.9', port: 8080, origin: 'http://172.17.0.9:8080' },
      via: `docker: container name ext → container ext (${c.id.slice(0, 12)})`,
    });
  });

  it('takes several containers in turn; one that stops leaves the rotation; one that starts joins it', () => {
    const a = container('web-1', { labelsOf: { app: 'web' } });
    const b = container('web-2', { labelsOf: { app: 'web' } });
    const docker = fakeDockerIndex([a, b]);
    const r = createResolver({ mappings: [], services: [web], unmapped: 'unavailable', docker });
    const names = (n: number) => Array.from({ length: n }, () => {
      const res = r.resolve(webBackend);
      return res.kind === 'target' ? /container (\S+)/.exec(res.via)?.[1] : res.reason;
    });
    expect(names(4)).toEqual(['web-1', 'web-2', 'web-1', 'web-2']);
    expect(r.resolve(webBackend)).toMatchObject({ via: expect.stringContaining('replica 1 of 2') });
    docker.set([a, { ...b, state: 'exited', exitCode: 0 }]);
    expect(names(3)).toEqual(['web-1', 'web-1', 'web-1']);
    docker.set([a, b]);
    expect(new Set(names(2))).toEqual(new Set(['web-1', 'web-2']));
  });

  // ingress-nginx's sticky balancer picks among a backend's endpoints itself (balancer/sticky.lua):
  // it needs them all, in a stable order, and looking must not take a turn.
  it('lists every ready container of a Service port for the sticky balancer, without taking a turn; a mapping or the echo is one endpoint', () => {
    const a = container('web-1', { labelsOf: { app: 'web' } });
    const b = container('web-2', { labelsOf: { app: 'web' } });
    const docker = fakeDockerIndex([a, b]);
    const r = createResolver({ mappings: [], services: [web], unmapped: 'unavailable', docker });
    const names = () => {
      const all = r.endpoints(webBackend);
      return 'kind' in all ? all.reason : all.map((e) => /container (\S+)/.exec(e.via)?.[1]);
    };
    expect(names()).toEqual(['web-1', 'web-2']);
    expect(names()).toEqual(['web-1', 'web-2']);
    expect(r.resolve(webBackend)).toMatchObject({ via: expect.stringContaining('web-1') });
    docker.set([a, { ...b, state: 'exited', exitCode: 0 }]);
    expect(names()).toEqual(['web-1']);
    const mapped = createResolver({ mappings: [mapping('web', '4000', '--map web=4000')], services: [web], unmapped: 'unavailable', docker });
    expect(mapped.endpoints(webBackend)).toMatchObject([{ via: '--map web=4000' }]);
    const echo = createResolver({ mappings: [], services: [dockerService('api', { app: 'api' })], unmapped: 'echo', docker });
    expect(echo.endpoints(backend('api'))).toEqual([{ kind: 'target', target: { kind: 'echo' }, via: 'unmapped: echo' }]);
    const none = createResolver({ mappings: [], services: [dockerService('api', { app: 'api' })], unmapped: 'unavailable', docker });
    expect(none.endpoints(backend('api'))).toMatchObject({ kind: 'unavailable' });
  });

  // Issue 10 item 14, as ingress-nginx's default proxy-next-upstream "error timeout" marks a failed
  // upstream server: an endpoint a request could not be sent to leaves the rotation at once.
  it('an endpoint a request failed on leaves the rotation until discovery sees a change; when all failed, all are tried', () => {
    const a = container('web-1', { labelsOf: { app: 'web' } });
    const b = container('web-2', { labelsOf: { app: 'web' } });
    const docker = fakeDockerIndex([a, b]);
    const r = createResolver({ mappings: [], services: [web], unmapped: 'unavailable', docker });
    const pick = () => {
      const res = r.resolve(webBackend);
      if (res.kind !== 'target') throw new Error(res.reason);
      return res;
    };
    const first = pick();
    expect(first.via).toContain('web-1');
    r.reportFailure?.(webBackend, first.target);
    expect([pick(), pick(), pick()].map((res) => /container (\S+)/.exec(res.via)?.[1])).toEqual(['web-2', 'web-2', 'web-2']);
    // The failed one is still named as replica 1 of 2: the rotation shrank, the Service did not.
    expect(pick().via).toContain('replica 2 of 2');
    r.reportFailure?.(webBackend, pick().target);
    expect(new Set([pick(), pick()].map((res) => /container (\S+)/.exec(res.via)?.[1]))).toEqual(new Set(['web-1', 'web-2']));
    docker.set([a, b]);
    r.resolve(webBackend);
    expect(new Set([pick(), pick()].map((res) => /container (\S+)/.exec(res.via)?.[1]))).toEqual(new Set(['web-1', 'web-2']));
  });

  it('peeking (the UI, health checks, summaries) never takes a replica\'s turn', () => {
    const docker = fakeDockerIndex([container('web-1', { labelsOf: { app: 'web' } }), container('web-2', { labelsOf: { app: 'web' } })]);
    const r = createResolver({ mappings: [], services: [web], unmapped: 'unavailable', docker });
    const name = (peek: boolean) => {
      const res = r.resolve(webBackend, { peek });
      return res.kind === 'target' ? /container (\S+)/.exec(res.via)?.[1] : res.reason;
    };
    expect([name(true), name(true), name(false), name(true), name(false), name(false)]).toEqual(['web-1', 'web-1', 'web-1', 'web-1', 'web-2', 'web-1']);
  });

  // Issue 10 item 18: backend-changed fired every few seconds under traffic with no health change,
  // because the health checker's look followed the round-robin pick.
  it('a look shows the same replica however much traffic takes turns', () => {
    const docker = fakeDockerIndex([container('web-1', { labelsOf: { app: 'web' } }), container('web-2', { labelsOf: { app: 'web' } })]);
    const r = createResolver({ mappings: [], services: [web], unmapped: 'unavailable', docker });
    const looks = new Set<string>();
    for (let i = 0; i < 5; i++) {
      r.resolve(webBackend);
      const look = r.resolve(webBackend, { peek: true });
      if (look.kind === 'target') looks.add(look.via);
    }
    expect(looks.size).toBe(1);
  });

  it('a Service whose only container exited answers 503 with the container and its exit code, even with echo for unmapped Services', () => {
    const docker = fakeDockerIndex([container('web-1', { labelsOf: { app: 'web' }, state: 'exited', exitCode: 3 })]);
    const r = createResolver({ mappings: [], services: [web], unmapped: 'echo', docker });
    expect(r.resolve(webBackend)).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/container web-1 \(\w+\) which exited with code 3/) });
  });

  it('no container matches: the unmapped 503 says which Docker rules were tried; echo still answers when asked', () => {
    const docker = fakeDockerIndex([]);
    const res = createResolver({ mappings: [], services: [web], unmapped: 'unavailable', docker }).resolve(webBackend);
    expect(res).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('no Docker container matches selector app=web, compose service web, container name web') });
    expect(res.kind === 'unavailable' && res.hint).toContain('--map web=8080');
    expect(createResolver({ mappings: [], services: [web], unmapped: 'echo', docker }).resolve(webBackend)).toMatchObject({ kind: 'target', target: { kind: 'echo' } });
  });

  it('engine lost: Services it served answer 503 "Docker engine not reachable", and come back with it', () => {
    const a = container('web-1', { labelsOf: { app: 'web' } });
    const docker = fakeDockerIndex([a]);
    const r = createResolver({ mappings: [], services: [web, dockerService('other')], unmapped: 'echo', docker });
    expect(r.resolve(webBackend).kind).toBe('target');
    docker.setStatus({ state: 'unreachable', endpoint: 'unix:///var/run/docker.sock', error: 'connect ENOENT /var/run/docker.sock', hint: 'start Docker', since: 1, retrying: true });
    expect(r.resolve(webBackend)).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^Docker engine not reachable at unix:\/\/\/var\/run\/docker.sock \(connect ENOENT/) });
    // a Service Docker never served keeps the unmapped policy
    expect(r.resolve(backend('other'))).toMatchObject({ kind: 'target', target: { kind: 'echo' } });
    docker.setStatus({ state: 'connected', endpoint: 'unix:///var/run/docker.sock', engine: 'Docker Engine', since: 2 });
    docker.set([a]);
    expect(r.resolve(webBackend).kind).toBe('target');
  });

  it('no engine at all: the unmapped 503 says the engine is not reachable; ExternalName still works', () => {
    const docker = fakeDockerIndex([], { state: 'unreachable', endpoint: 'unix:///nope.sock', error: 'connect ENOENT /nope.sock', hint: 'start Docker', since: 0, retrying: true });
    const ext = dockerService('ext', {}, 8080, { type: 'ExternalName', externalName: 'api.example.org' });
    const r = createResolver({ mappings: [], services: [web, ext], unmapped: 'unavailable', docker });
    expect(r.resolve(webBackend)).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('Docker engine not reachable at unix:///nope.sock (connect ENOENT /nope.sock)') });
    expect(r.resolve(backend('ext'))).toMatchObject({ kind: 'target', via: 'ExternalName api.example.org' });
  });

  it('computes endpoints once per index version, not once per request', () => {
    const docker = fakeDockerIndex([container('web-1', { labelsOf: { app: 'web' } })]);
    const r = createResolver({ mappings: [], services: [web], unmapped: 'unavailable', docker });
    const first = r.resolve(webBackend);
    const second = r.resolve(webBackend);
    if (first.kind !== 'target' || second.kind !== 'target') throw new Error('expected targets');
    expect(second.target).toBe(first.target); // the same object: nothing was rebuilt for the second request
    docker.set([...docker.snap.containers]);
    const third = r.resolve(webBackend);
    expect(third.kind === 'target' && third.target).not.toBe(first.target);
  });
});
