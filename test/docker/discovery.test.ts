/**
 * Services → containers against the real Docker engine: selector labels, compose labels and
 * names, published ports and container addresses, replicas in turn, engine events, stopped
 * containers, and an engine that is missing, appears, goes away and comes back.
 * Containers come from the offline test images and are removed afterwards, even on failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerDiscovery, formatDockerStatus, type DockerDiscovery } from '../../src/backends/docker/discovery.js';
import { createResolver } from '../../src/backends/resolver.js';
import type { Resolution } from '../../src/backends/types.js';
import { createEventBus } from '../../src/events/bus.js';
import type { DockerChanged } from '../../src/events/types.js';
import type { Service } from '../../src/manifest/types.js';
import type { ServiceBackend } from '../../src/model/types.js';
import { docker, get, removeRunContainers, runContainer, runId, startEngine, waitFor } from './harness.js';

const at = { file: 'svc.yaml', line: 1, col: 1 };
const runSelector = { 'ingress-dev.test.run': runId };

function service(name: string, selector: Record<string, string>, targetPort = 8080): Service {
  return {
    kind: 'Service',
    metadata: { name, namespace: 'default', annotations: new Map(), labels: new Map(), creationTimestamp: null, at, nameAt: at, order: 0 },
    type: 'ClusterIP',
    selector: new Map(Object.entries(selector)),
    ports: [{ name: 'http', port: 80, targetPort, protocol: 'TCP', nodePort: null, at }],
    externalName: null,
  };
}
const backend = (name: string): ServiceBackend => ({ kind: 'service', service: name, namespace: 'default', port: 80, portName: 'http', problem: null });
const origin = (r: Resolution): string | undefined => (r.kind === 'target' && r.target.kind === 'http' ? r.target.origin : undefined);
const name = (suffix: string): string => `idt-${runId}-${suffix}`;

let discovery: DockerDiscovery | undefined;
const dockerEvents: DockerChanged[] = [];
const temp = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-docker-'));

beforeAll(async () => {
  await startEngine();
  const events = createEventBus();
  events.on('docker-changed', (e) => dockerEvents.push(e));
  discovery = createDockerDiscovery({ events, env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' } });
  const status = await discovery.ready();
  expect(status.state, formatDockerStatus(status)).toBe('connected');
}, 300_000);

afterAll(async () => {
  discovery?.stop();
  await removeRunContainers();
  rmSync(temp, { recursive: true, force: true });
}, 60_000);

function resolverFor(...services: Service[]) {
  if (discovery === undefined) throw new Error('no discovery');
  return createResolver({ mappings: [], services, unmapped: 'unavailable', docker: discovery });
}

describe.sequential('Docker containers as Service endpoints (real engine)', () => {
  it('selects by the Service selector and reaches an unpublished container at its address', async () => {
    const svc = service(`sel-${runId}`, { app: 'sel', ...runSelector });
    const id = await runContainer({ name: name('sel'), labels: { app: 'sel' }, env: { PORT: '8080', BODY: 'from sel' } });
    const r = resolverFor(svc);
    const res = await waitFor('the container to be selected', () => (r.resolve(backend(svc.metadata.name)).kind === 'target' ? r.resolve(backend(svc.metadata.name)) : undefined));
    expect(res).toMatchObject({ via: `docker: selector app=sel,ingress-dev.test.run=${runId} → container ${name('sel')} (${id.slice(0, 12)})` });
    const ip = await docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', id);
    expect(origin(res)).toBe(`http://${ip}:8080`);
    expect(await waitFor('the container to answer', () => get(origin(res) ?? '').then((b) => b ?? undefined))).toBe('from sel');
  }, 30_000);

  it('prefers the published port, on 127.0.0.1', async () => {
    const svc = service(`pub-${runId}`, { app: 'pub', ...runSelector });
    const id = await runContainer({ name: name('pub'), labels: { app: 'pub' }, env: { PORT: '8080', BODY: 'from pub' }, publish: '127.0.0.1::8080' });
    const published = (await docker('port', id, '8080/tcp')).split('\n')[0];
    const r = resolverFor(svc);
    const res = await waitFor('the container to be selected', () => origin(r.resolve(backend(svc.metadata.name))));
    expect(`${res.replace('http://', '')}`).toBe(published);
    expect(await waitFor('the container to answer', () => get(res).then((b) => b ?? undefined))).toBe('from pub');
  }, 30_000);

  it('falls back to the compose service of the same name, then to the container name', async () => {
    const composeName = `api-${runId}`;
    await runContainer({ name: name('shop-api-1'), labels: { 'com.docker.compose.service': composeName, 'com.docker.compose.project': 'shop' }, env: { PORT: '8080', BODY: 'from compose' } });
    const plainName = `plain-${runId}`;
    await runContainer({ name: plainName, env: { PORT: '8080', BODY: 'from name' } });
    const r = resolverFor(service(composeName, {}), service(plainName, {}));
    const viaCompose = await waitFor('the compose container', () => {
      const res = r.resolve(backend(composeName));
      return res.kind === 'target' ? res : undefined;
    });
    expect(viaCompose.kind === 'target' && viaCompose.via).toMatch(new RegExp(`^docker: compose service ${composeName} → container ${name('shop-api-1')} \\(\\w{12}\\)$`));
    expect(await waitFor('compose answer', () => get(origin(viaCompose) ?? '').then((b) => b ?? undefined))).toBe('from compose');
    const viaName = await waitFor('the named container', () => {
      const res = r.resolve(backend(plainName));
      return res.kind === 'target' ? res : undefined;
    });
    expect(viaName.kind === 'target' && viaName.via).toMatch(new RegExp(`^docker: container name ${plainName} → container ${plainName} `));
    expect(await waitFor('named answer', () => get(origin(viaName) ?? '').then((b) => b ?? undefined))).toBe('from name');
  }, 30_000);

  it('takes replicas in turn, follows stop and start events, and a stopped container leaves the rotation', async () => {
    const svc = service(`rr-${runId}`, { app: 'rr', ...runSelector });
    const [one, two] = await Promise.all([
      runContainer({ name: name('rr-1'), labels: { app: 'rr' }, env: { PORT: '8080', BODY: 'replica 1' } }),
      runContainer({ name: name('rr-2'), labels: { app: 'rr' }, env: { PORT: '8080', BODY: 'replica 2' } }),
    ]);
    const r = resolverFor(svc);
    const key = backend(svc.metadata.name);
    const bodies = async (n: number): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await get(origin(r.resolve(key)) ?? '')) ?? 'no answer');
      return out;
    };
    await waitFor('both replicas answering', async () => {
      const seen = new Set(await bodies(4));
      return seen.size === 2 && seen.has('replica 1') && seen.has('replica 2') ? true : undefined;
    });
    expect((await bodies(4)).toSorted()).toEqual(['replica 1', 'replica 1', 'replica 2', 'replica 2']);

    await docker('stop', '-t', '1', two);
    const stoppedAt = Date.now();
    await waitFor('the stopped replica to leave the rotation', () => {
      const vias = Array.from({ length: 4 }, () => r.resolve(key)).map((res) => (res.kind === 'target' ? res.via : res.reason));
      return vias.every((v) => v.includes(name('rr-1'))) ? true : undefined;
    }, 1_000);
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    expect(await bodies(3)).toEqual(['replica 1', 'replica 1', 'replica 1']);
    expect(dockerEvents.some((e) => e.change === 'container' && e.message.includes(`${name('rr-2')} (${two.slice(0, 12)})`))).toBe(true);

    await docker('start', two);
    await waitFor('the restarted replica to join again', async () => (new Set(await bodies(4)).size === 2 ? true : undefined), 3_000);

    // The last replica stops: the Service answers 503 with the container and its exit code.
    await docker('stop', '-t', '1', one, two);
    const down = await waitFor('both replicas to be stopped', () => {
      const res = r.resolve(key);
      return res.kind === 'unavailable' ? res : undefined;
    }, 2_000);
    expect(down.kind === 'unavailable' && down.reason).toMatch(/selects 2 containers, none running: .*rr-1 \(\w+\) which exited with code \d+/);
  }, 30_000);

  it('a Service whose only container exited answers 503 with its exit code', async () => {
    const svc = service(`exit-${runId}`, { app: 'exit', ...runSelector });
    const id = await runContainer({ name: name('exit'), labels: { app: 'exit' }, shell: 'exit 3' });
    await docker('wait', id);
    const r = resolverFor(svc);
    const res = await waitFor('the exit to be known', () => {
      const x = r.resolve(backend(svc.metadata.name));
      return x.kind === 'unavailable' && x.reason.includes('exited') ? x : undefined;
    });
    expect(res).toEqual({
      kind: 'unavailable',
      cause: 'docker',
      reason: `Service default/exit-${runId} port http: docker: selector app=exit,ingress-dev.test.run=${runId} selects container ${name('exit')} (${id.slice(0, 12)}) which exited with code 3`,
      hint: `Start it again: docker start ${name('exit')} (docker logs ${name('exit')} says why it stopped)`,
    });
  }, 30_000);

  it('renamed containers and removed containers are followed', async () => {
    const plain = `ren-${runId}`;
    const id = await runContainer({ name: name('ren-old'), env: { PORT: '8080', BODY: 'renamed' } });
    const r = resolverFor(service(plain, {}));
    expect(r.resolve(backend(plain)).kind).toBe('unavailable');
    await docker('rename', id, plain);
    const res = await waitFor('the renamed container', () => origin(r.resolve(backend(plain))), 1_000);
    expect(await waitFor('answer', () => get(res).then((b) => b ?? undefined))).toBe('renamed');
    await docker('rm', '-f', id);
    await waitFor('the removed container to be gone', () => (r.resolve(backend(plain)).kind === 'unavailable' ? true : undefined), 1_000);
  }, 30_000);
});

describe.sequential('the engine missing, appearing, lost and back (real engine behind a socket proxy)', () => {
  it('no engine: resolution says so and nothing throws; the engine is picked up when it appears, lost when it goes, and used again when it returns', async () => {
    const socketPath = path.join(temp, 'docker.sock');
    const events = createEventBus();
    const seen: DockerChanged[] = [];
    events.on('docker-changed', (e) => seen.push(e));
    const late = createDockerDiscovery({ events, env: { DOCKER_HOST: `unix://${socketPath}` }, retryMs: 100 });
    // A socket that forwards to the real engine, and can be taken away: the engine "goes away".
    const clients = new Set<net.Socket>();
    let proxy: net.Server | null = null;
    const startProxy = () =>
      new Promise<void>((resolve) => {
        proxy = net.createServer((client) => {
          const upstream = net.connect('/var/run/docker.sock');
          clients.add(client).add(upstream);
          client.pipe(upstream).pipe(client);
          const drop = () => (client.destroy(), upstream.destroy());
          client.on('error', drop).on('close', drop);
          upstream.on('error', drop).on('close', drop);
        });
        proxy.listen(socketPath, resolve);
      });
    const stopProxy = () =>
      new Promise<void>((resolve) => {
        for (const s of clients) s.destroy();
        clients.clear();
        if (proxy === null) resolve();
        else proxy.close(() => resolve());
      });
    try {
      const svc = service(`late-${runId}`, { app: 'late', ...runSelector });
      await runContainer({ name: name('late'), labels: { app: 'late' }, env: { PORT: '8080', BODY: 'late' } });
      const r = createResolver({ mappings: [], services: [svc], unmapped: 'unavailable', docker: late });

      const first = await late.ready();
      expect(first).toMatchObject({ state: 'unreachable', endpoint: `unix://${socketPath}`, retrying: true });
      expect(formatDockerStatus(first)).toMatch(new RegExp(`^Docker: engine not reachable at unix://${socketPath} \\(.*ENOENT.*\\): no socket at`));
      const missing = r.resolve(backend(svc.metadata.name));
      expect(missing).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining(`Docker engine not reachable at unix://${socketPath}`) });

      await startProxy();
      const up = await waitFor('the engine to be picked up', () => origin(r.resolve(backend(svc.metadata.name))), 3_000);
      expect(await waitFor('the container to answer', () => get(up).then((b) => b ?? undefined))).toBe('late');
      expect(late.status().state).toBe('connected');

      await stopProxy();
      const lost = await waitFor('the engine loss to be noticed', () => {
        const res = r.resolve(backend(svc.metadata.name));
        return res.kind === 'unavailable' ? res : undefined;
      }, 2_000);
      expect(lost.kind === 'unavailable' && lost.reason).toMatch(new RegExp(`^Docker engine not reachable at unix://${socketPath} `));

      await startProxy();
      expect(await waitFor('the engine to come back', () => origin(r.resolve(backend(svc.metadata.name))), 3_000)).toBe(up);
      expect(seen.filter((e) => e.change === 'engine').map((e) => e.engine)).toEqual(['unreachable', 'connected', 'unreachable', 'connected']);
    } finally {
      late.stop();
      await stopProxy();
    }
  }, 30_000);
});
