/**
 * `up --run` against the real Docker engine: Deployments of a folder run as containers from the
 * offline test images, with env from ConfigMaps and Secrets, replicas, cluster DNS names between
 * containers, readiness gating, edits and removals, a missing image, restarts, stop() and the
 * leftovers of a killed run. Everything is labelled with this test run and removed afterwards,
 * even on failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerDiscovery, formatDockerStatus, type DockerDiscovery } from '../../src/backends/docker/discovery.js';
import { projectIdOf, runLabels } from '../../src/backends/docker/labels.js';
import { createWorkloadRunner, type ApplyReport, type WorkloadRunner } from '../../src/backends/docker/runner.js';
import { createResolver } from '../../src/backends/resolver.js';
import type { Resolution } from '../../src/backends/types.js';
import { createEventBus, type EventBus } from '../../src/events/bus.js';
import type { WorkloadChanged } from '../../src/events/types.js';
import { parseManifests } from '../../src/manifest/parse.js';
import type { ResourceSet } from '../../src/manifest/types.js';
import type { ServiceBackend } from '../../src/model/types.js';
import { docker, exec, removeRunContainers, runId, runLabel, startEngine, waitFor } from './harness.js';

const testLabels = { 'ingress-dev.test': '1', 'ingress-dev.test.run': runId };
const temp = mkdtempSync(path.join(os.tmpdir(), `idt-${runId}-`));
const projectDir = path.join(temp, 'shop');
const app = (name: string): string => `${name}-${runId}`; // pod labels no other test uses

let discovery: DockerDiscovery | undefined;
let events: EventBus;
const seen: WorkloadChanged[] = [];
const runners: WorkloadRunner[] = [];

beforeAll(async () => {
  await startEngine();
  events = createEventBus();
  events.on('workload-changed', (e) => seen.push(e));
  discovery = createDockerDiscovery({ events, env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' } });
  const status = await discovery.ready();
  expect(status.state, formatDockerStatus(status)).toBe('connected');
}, 300_000);

afterAll(async () => {
  for (const r of runners) await r.stop().catch(() => undefined);
  discovery?.stop();
  await removeRunContainers();
  const networks = await docker('network', 'ls', '-q', '--filter', `label=${runLabel}`).catch(() => '');
  for (const id of networks.split('\n').filter((n) => n !== '')) await docker('network', 'rm', id).catch(() => undefined);
  rmSync(temp, { recursive: true, force: true });
}, 60_000);

function runnerFor(dir: string, publishPorts?: boolean): WorkloadRunner {
  if (discovery === undefined) throw new Error('no discovery');
  const runner = createWorkloadRunner({ docker: discovery, projectDir: dir, events, labels: testLabels, maxProbeIntervalMs: 200, publishPorts });
  runners.push(runner);
  return runner;
}

function resources(yaml: string): ResourceSet {
  const parsed = parseManifests([{ file: 'app.yaml', text: yaml }]);
  expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return parsed.resources;
}

const backend = (name: string, port = 8080): ServiceBackend => ({ kind: 'service', service: name, namespace: 'default', port, portName: 'http', problem: null });
const origin = (r: Resolution): string | undefined => (r.kind === 'target' && r.target.kind === 'http' ? r.target.origin : undefined);

async function getJson(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? ((await res.json()) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** GET a URL from inside a container of the echo image, with its Node.js; the body, trimmed. */
function httpFrom(containerId: string, url: string): Promise<string> {
  const script = "require('http').get(process.argv[1], (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => process.stdout.write(b)); }).on('error', (e) => { process.stderr.write(e.message); process.exit(1); })";
  return exec('docker', ['exec', containerId, 'node', '-e', script, url]);
}

async function idsOf(runner: WorkloadRunner, workload: string): Promise<string[]> {
  const out = await docker('ps', '-aq', '--no-trunc', '--filter', `label=${runLabels.run}=${runner.runId}`, '--filter', `label=${runLabels.workload}=${workload}`);
  return out.split('\n').filter((id) => id !== '').toSorted();
}

// ---------------------------------------------------------------------------------------------

const configYaml = `
apiVersion: v1
kind: ConfigMap
metadata: {name: api-config}
data:
  SERVICE_NAME: api from the ConfigMap
---
apiVersion: v1
kind: Secret
metadata: {name: api-secret}
data:
  PORTS: ODA4MA==          # "8080": the echo server listens where the Secret says
stringData:
  API_TOKEN: s3cret-token
`;

const apiYaml = (extraEnv = '') => `
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${app('api')}}}
  template:
    metadata: {labels: {app: ${app('api')}}}
    spec:
      containers:
        - name: echo
          image: ingress-dev-test/echo
          ports: [{name: http, containerPort: 8080}]
          envFrom: [{secretRef: {name: api-secret}, prefix: SECRET_}]
          env:
            - name: SERVICE_NAME
              valueFrom: {configMapKeyRef: {name: api-config, key: SERVICE_NAME}}
            - name: PORTS
              valueFrom: {secretKeyRef: {name: api-secret, key: PORTS}}${extraEnv}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: ${app('api')}}
  ports: [{name: http, port: 8080, targetPort: http}]
`;

const webYaml = `
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: ${app('web')}}}
  template:
    metadata: {labels: {app: ${app('web')}}}
    spec:
      containers:
        - name: httpd
          image: ingress-dev-test/httpd
          env: [{name: PORT, value: "8080"}, {name: BODY, value: web is up}]
          ports: [{containerPort: 8080}]
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
            periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: ${app('web')}}
  ports: [{name: http, port: 8080}]
`;

describe.sequential('up --run: workloads of the folder as containers (real engine)', () => {
  let runner: WorkloadRunner;
  let first: ApplyReport;
  let set: ResourceSet;
  let apiIds: string[] = [];
  let webIds: string[] = [];

  it('runs a Deployment with env from a ConfigMap and a Secret, 2 replicas, both reachable through the resolver', async () => {
    runner = runnerFor(projectDir);
    set = resources(configYaml + apiYaml() + webYaml);
    first = await runner.apply(set);
    const slug = path.basename(projectDir);
    expect(first.diagnostics).toEqual([]);
    expect(first.network).toBe(runner.network);
    expect(first.workloads.map((w) => [w.workload, w.action, w.containers.map((c) => c.name)])).toEqual([
      ['Deployment default/api', 'created', [`${slug}-api-1`, `${slug}-api-2`]],
      ['Deployment default/web', 'created', [`${slug}-web-1`]],
    ]);
    apiIds = await idsOf(runner, 'Deployment/default/api');
    webIds = await idsOf(runner, 'Deployment/default/web');
    expect(apiIds).toHaveLength(2);

    // The Service's targetPort is the name "http": it resolves through the port names the runner records.
    const resolver = createResolver({ mappings: [], services: set.services, unmapped: 'unavailable', docker: discovery!, readiness: runner.readiness });
    const answers = await waitFor('both replicas to answer through the resolver', async () => {
      const got = [];
      for (let i = 0; i < 4; i++) {
        const url = origin(resolver.resolve(backend('api')));
        const json = url === undefined ? undefined : await getJson(url);
        if (json === undefined) return undefined;
        got.push(json);
      }
      return new Set(got.map((j) => j['hostname'])).size === 2 ? got : undefined;
    }, 15_000);
    expect(new Set(answers.map((j) => j['hostname']))).toEqual(new Set(['api-1', 'api-2']));
    for (const json of answers) expect(json).toMatchObject({ service: 'api from the ConfigMap', port: 8080 });
    // envFrom a Secret: stringData as written, with the prefix.
    const env = await docker('exec', apiIds[0]!, 'sh', '-c', 'echo "$SECRET_API_TOKEN $SECRET_PORTS"');
    expect(env).toBe('s3cret-token 8080');
  }, 30_000);

  it('containers call each other by the cluster DNS names of their Services', async () => {
    // From an echo container (its Node.js resolves names through the engine's DNS) to web.
    for (const name of ['web', 'web.default', 'web.default.svc', 'web.default.svc.cluster.local']) {
      expect(await httpFrom(apiIds[0]!, `http://${name}:8080/`), name).toBe('web is up');
    }
    // And back, to api by its full name: the answer is the echo of that request.
    const echoed = JSON.parse(await httpFrom(apiIds[1]!, 'http://api.default.svc.cluster.local:8080/from-api')) as Record<string, unknown>;
    expect(echoed).toMatchObject({ service: 'api from the ConfigMap', path: '/from-api', host: 'api.default.svc.cluster.local:8080' });
    // The name of a Service with two replicas resolves to both (busybox in the httpd image).
    const ips = await Promise.all(apiIds.map((id) => docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${runner.network}").IPAddress}}`, id)));
    const lookup = await docker('exec', webIds[0]!, 'nslookup', 'api');
    for (const ip of ips) expect(lookup).toContain(ip);
  }, 20_000);

  it('routes only to ready containers: a failing readinessProbe keeps a container out until it passes', async () => {
    const resolver = createResolver({ mappings: [], services: set.services, unmapped: 'unavailable', docker: discovery!, readiness: runner.readiness });
    const slug = path.basename(projectDir);
    const waiting = await waitFor('the readiness check to fail', () => {
      const r = resolver.resolve(backend('web'));
      return r.kind === 'unavailable' && r.hint.includes('HTTP 404') ? r : undefined;
    }, 5_000);
    expect(waiting).toMatchObject({
      reason: `Service default/web port http: container ${slug}-web-1 is not ready yet (readinessProbe httpGet /ready)`,
      hint: expect.stringContaining('The last check: GET /ready answered HTTP 404'),
    });
    await docker('exec', webIds[0]!, 'sh', '-c', 'echo ok > /www/ready');
    const url = await waitFor('the container to become ready', () => origin(resolver.resolve(backend('web'))), 5_000);
    expect(await fetch(url).then((r) => r.text())).toBe('web is up\n');
    expect(seen.some((e) => e.change === 'ready' && e.container === `${slug}-web-1`)).toBe(true);
  }, 20_000);

  it('editing a Deployment rolls out only its containers (RollingUpdate: a new replica first)', async () => {
    set = resources(configYaml + apiYaml('\n            - {name: EDITED, value: "yes"}') + webYaml);
    const report = await runner.apply(set);
    expect(report.workloads.map((w) => [w.workload, w.action])).toEqual([
      ['Deployment default/api', 'updated'],
      ['Deployment default/web', 'unchanged'],
    ]);
    // maxSurge 25% of 2 is 1: one new replica next to the two old ones, which still serve.
    expect(report.workloads[0]?.containers).toHaveLength(3);
    expect(report.workloads[0]?.rollout).toBe('rolling update: 1 of 2 replicas updated, waiting for the new containers to be ready');
    // The next steps follow readiness on their own, until only new replicas are left.
    const after = await waitFor('the rollout to end', async () => {
      const ids = await idsOf(runner, 'Deployment/default/api');
      return ids.length === 2 && !ids.some((id) => apiIds.includes(id)) ? ids : undefined;
    }, 20_000);
    expect(await idsOf(runner, 'Deployment/default/web')).toEqual(webIds);
    expect(await docker('exec', after[0]!, 'sh', '-c', 'echo $EDITED')).toBe('yes');
    apiIds = after;
    // Applying the same folder again changes nothing.
    const again = await runner.apply(set);
    expect(again.workloads.map((w) => w.action)).toEqual(['unchanged', 'unchanged']);
    expect(await idsOf(runner, 'Deployment/default/api')).toEqual(apiIds);
  }, 30_000);

  it('a missing image is an error for that workload only; removing a Deployment removes its containers', async () => {
    const ghost = `
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ghost}
spec:
  template:
    metadata: {labels: {app: ${app('ghost')}}}
    spec: {containers: [{name: c, image: "ingress-dev-test/does-not-exist:1"}]}
`;
    const started = Date.now();
    const report = await runner.apply(resources(configYaml + apiYaml('\n            - {name: EDITED, value: "yes"}') + ghost));
    expect(Date.now() - started).toBeLessThan(10_000); // no registry: the pull fails fast
    expect(report.workloads.map((w) => [w.workload, w.action])).toEqual([
      ['Deployment default/api', 'unchanged'],
      ['Deployment default/ghost', 'failed'],
    ]);
    expect(report.workloads[1]?.error).toMatch(/^image ingress-dev-test\/does-not-exist:1 is not on this machine and could not be pulled: .+/);
    expect(report.diagnostics).toMatchObject([{ code: 'E_IMAGE_PULL', severity: 'error', file: 'app.yaml', message: expect.stringContaining('Deployment default/ghost: image ingress-dev-test/does-not-exist:1') }]);
    expect(seen.some((e) => e.change === 'pull-failed' && e.workload === 'Deployment default/ghost')).toBe(true);
    expect(report.removed).toEqual(['Deployment default/web (1 container)']);
    await waitFor('the removed workload\'s container to stop', async () => ((await idsOf(runner, 'Deployment/default/web')).length === 0 ? true : undefined), 10_000);
    expect(await idsOf(runner, 'Deployment/default/api')).toEqual(apiIds);
  }, 30_000);

  it('restarts a crashed container with backoff (restartPolicy Always)', async () => {
    const crash = `
---
apiVersion: v1
kind: Pod
metadata: {name: crash, labels: {app: ${app('crash')}}}
spec: {containers: [{name: c, image: ingress-dev-test/httpd, command: [/bin/sh, -c, "exit 3"]}]}
`;
    const report = await runner.apply(resources(configYaml + apiYaml('\n            - {name: EDITED, value: "yes"}') + crash));
    expect(report.workloads.find((w) => w.workload === 'Pod default/crash')?.action).toBe('created');
    const [id] = await idsOf(runner, 'Pod/default/crash');
    const restarts = await waitFor('the engine to restart it', async () => {
      const count = Number(await docker('inspect', '-f', '{{.RestartCount}}', id!));
      return count >= 2 ? count : undefined;
    }, 10_000);
    expect(restarts).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('a container of the run that someone removes is created again, as a ReplicaSet would', async () => {
    const [gone, other] = apiIds as [string, string];
    await docker('rm', '-f', gone);
    const after = await waitFor('a new replica', async () => {
      const ids = await idsOf(runner, 'Deployment/default/api');
      return ids.length === 2 && !ids.includes(gone) ? ids : undefined;
    }, 10_000);
    expect(after).toContain(other);
    expect(seen.some((e) => e.change === 'removed' && e.message.includes('was removed by someone else'))).toBe(true);
  }, 20_000);

  it('stop() removes every container and the network of the run', async () => {
    const removed = await runner.stop();
    expect(removed).toContain(`removed network ${runner.network}`);
    expect(removed.filter((l) => l.startsWith('removed container'))).toHaveLength(3);
    expect(await docker('ps', '-aq', '--filter', `label=${runLabels.run}=${runner.runId}`)).toBe('');
    expect(await docker('network', 'ls', '-q', '--filter', `label=${runLabels.run}=${runner.runId}`)).toBe('');
    expect(await runner.stop()).toBe(removed); // idempotent
  }, 30_000);
});

describe.sequential('published ports, as where container addresses are not reachable (real engine)', () => {
  it('publishes container ports on 127.0.0.1, routes there, and a TCP readiness check sees through the port proxy', async () => {
    const runner = runnerFor(path.join(temp, 'published'), true);
    const pod = (name: string, image: string, env: string) => `
---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: ${app(name)}}}
spec: {containers: [{name: c, image: ${image}, env: [${env}], ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec: {selector: {app: ${app(name)}}, ports: [{name: http, port: 8080}]}
`;
    // "deaf" listens on port 80, not on the 8080 its Service sends to: the port proxy accepts
    // connections to the published port and drops them, which must not count as ready.
    const set = resources(pod('pub', 'ingress-dev-test/echo', '{name: PORTS, value: "8080"}') + pod('deaf', 'ingress-dev-test/httpd', '{name: PORT, value: "80"}'));
    const report = await runner.apply(set);
    expect(report.workloads.map((w) => w.action)).toEqual(['created', 'created']);
    const resolver = createResolver({ mappings: [], services: set.services, unmapped: 'unavailable', docker: discovery!, readiness: runner.readiness });
    const url = await waitFor('the published port', () => origin(resolver.resolve(backend('pub'))), 10_000);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await getJson(url)).toMatchObject({ port: 8080, hostname: 'pub' });
    const deaf = await waitFor('the check of the deaf container', () => {
      const r = resolver.resolve(backend('deaf'));
      return r.kind === 'unavailable' && r.hint.includes('The last check') ? r : undefined;
    }, 5_000);
    expect(deaf).toMatchObject({ reason: expect.stringContaining('is not ready yet (TCP connect to port 8080)'), hint: expect.stringContaining('closed the connection') });
    await runner.stop();
  }, 30_000);
});

describe.sequential('leftovers of a killed run (real engine)', () => {
  it('the next start removes what a dead run of the project left, and nothing else', async () => {
    const dir = path.join(temp, 'killed');
    const project = projectIdOf(dir);
    const labels = (run: string, extra: string[] = []) => [
      '--label', 'ingress-dev.test=1', '--label', runLabel,
      '--label', `${runLabels.project}=${project}`, '--label', `${runLabels.run}=${run}`, ...extra,
    ];
    const name = (s: string) => `idt-${runId}-${s}`;
    // A run that was killed: its container and its network are still there.
    const dead = await docker('run', '-d', '--name', name('dead'), ...labels('deadbeef', ['--label', `${runLabels.runPid}=999999`, '--label', `${runLabels.runHost}=${os.hostname()}`]), 'ingress-dev-test/httpd');
    await docker('network', 'create', ...labels('deadbeef'), name('dead-net'));
    // A run of the same project that is still alive (this very process): left alone.
    const alive = await docker('run', '-d', '--name', name('alive'), ...labels('a1a1a1a1', ['--label', `${runLabels.runPid}=${process.pid}`, '--label', `${runLabels.runHost}=${os.hostname()}`]), 'ingress-dev-test/httpd');
    // The user's own container: no project label.
    const mine = await docker('run', '-d', '--name', name('mine'), '--label', 'ingress-dev.test=1', '--label', runLabel, 'ingress-dev-test/httpd');

    const runner = runnerFor(dir);
    const removed = await runner.cleanupLeftovers();
    expect(removed).toEqual([
      `removed container ${name('dead')} (${dead.slice(0, 12)}) left by an earlier run of this project (run deadbeef)`,
      `removed network ${name('dead-net')} left by an earlier run of this project (run deadbeef)`,
    ]);
    const left = (await docker('ps', '-aq', '--no-trunc', '--filter', `label=${runLabel}`)).split('\n');
    expect(left).toContain(alive);
    expect(left).toContain(mine);
    expect(left).not.toContain(dead);
    expect(seen.some((e) => e.change === 'leftovers')).toBe(true);
    // The first apply does not clean up a second time.
    const report = await runner.apply(resources(''));
    expect(report.leftovers).toEqual([]);
    await runner.stop();
  }, 30_000);
});
