/**
 * Issue 10 item 16, against the real engine: an edit of a Deployment rolls out as its strategy
 * says, and a scale-down drains, so that live traffic loses no request. Sources: the apps/v1 API
 * reference (DeploymentStrategy: RollingUpdate with maxSurge/maxUnavailable 25% by default,
 * Recreate "All existing Pods are killed before new ones are created").
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startUp, type RunningUp } from '../up-harness.js';
import { docker, waitFor, webDefaultBackendYaml, useProjectFolder } from './harness.js';

const { dir, byProject } = useProjectFolder('rollout');

function manifests(o: { replicas: number; version: string; strategy?: string }): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${o.replicas}
${o.strategy === undefined ? '' : `  strategy: ${o.strategy}\n`}  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ingress-dev-test/echo
          env: [{name: SERVICE_NAME, value: "${o.version}"}, {name: PORTS, value: "3000"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 3000}]
---
${webDefaultBackendYaml}`;
}

interface Outcome {
  /** The status, 0 for no response at all, -1 for a response cut after its head. */
  readonly status: number;
  readonly service: string | null;
}

/**
 * `clients` loops of requests, each on a new connection, until `stop()`. Every other client
 * sends POSTs that take 300 ms at the backend, so that some are always in progress when a
 * container leaves: a POST cut by a stopping container is not sent again (ingress-nginx's
 * retry-non-idempotent false), so only a drain saves it.
 */
function load(port: number, clients: number): { outcomes: Outcome[]; stop: () => Promise<void> } {
  const outcomes: Outcome[] = [];
  const state = { running: true };
  const one = (slow: boolean): Promise<Outcome> =>
    new Promise((resolve) => {
      let started = false;
      const headers: Record<string, string> = slow ? { 'x-echo-delay-ms': '300' } : {};
      const req = http.request({ host: '127.0.0.1', port, path: '/', method: slow ? 'POST' : 'GET', headers, agent: false }, (res) => {
        started = true;
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          let service: string | null = null;
          try {
            service = (JSON.parse(body) as { service?: string }).service ?? null;
          } catch {
            /* an error page */
          }
          resolve({ status: res.statusCode ?? 0, service });
        });
        res.on('error', () => resolve({ status: -1, service: null }));
        res.on('aborted', () => resolve({ status: -1, service: null }));
      });
      req.on('error', () => resolve({ status: started ? -1 : 0, service: null }));
      req.end();
    });
  const loops = Array.from({ length: clients }, async (_, i) => {
    while (state.running) outcomes.push(await one(i % 2 === 1));
  });
  return {
    outcomes,
    stop: async () => {
      state.running = false;
      await Promise.all(loops);
    },
  };
}

async function projectContainers(): Promise<string[]> {
  return (await docker('ps', '--format', '{{.Names}}', '--filter', byProject, '--filter', 'label=ingress-dev.workload')).split('\n').filter((l) => l !== '');
}

/** Samples the number of running containers of the project until stopped: the most seen. */
function watchCount(): { stop: () => Promise<number> } {
  let most = 0;
  const state = { running: true };
  const loop = (async () => {
    while (state.running) most = Math.max(most, (await projectContainers()).length);
  })();
  return {
    stop: async () => {
      state.running = false;
      await loop;
      return most;
    },
  };
}

async function startServing(yaml: string, replicas: number, kind = 'Deployment'): Promise<RunningUp> {
  writeFileSync(path.join(dir, 'app.yaml'), yaml);
  const up = await startUp([dir, '--port', '0', '--run']);
  await up.waitFor(new RegExp(`${kind} default/web: created`), 60_000);
  await waitFor(`${replicas} ready replicas`, async () => ((await projectContainers()).length === replicas && /is ready[\s\S]*is ready/.test(up.stderr()) ? true : undefined), 30_000);
  return up;
}

const failures = (outcomes: readonly Outcome[]) => outcomes.filter((o) => o.status !== 200).map((o) => o.status);

describe.sequential('rollouts and scale-down under load (real engine)', () => {
  it('an env change rolls out with the default RollingUpdate: no failed request, at most one container more than asked', async () => {
    const up = await startServing(manifests({ replicas: 2, version: 'v1' }), 2);
    try {
      const traffic = load(up.port, 8);
      await waitFor('traffic to v1', () => (traffic.outcomes.length >= 100 ? true : undefined), 20_000);
      const count = watchCount();
      const before = up.stderr().length;
      writeFileSync(path.join(dir, 'app.yaml'), manifests({ replicas: 2, version: 'v2' }));
      await up.waitFor(/rolling update: 1 of 2 replicas updated/, 30_000);
      await up.waitFor(/Deployment default\/web: updated \S+, \S+\n/, 60_000); // the end: both replaced, nothing waits
      const end = traffic.outcomes.length;
      await waitFor('traffic after the rollout', () => (traffic.outcomes.length >= end + 100 ? true : undefined), 20_000);
      await traffic.stop();
      const most = await count.stop();
      expect(failures(traffic.outcomes)).toEqual([]);
      expect(traffic.outcomes.slice(end).every((o) => o.service === 'v2')).toBe(true);
      expect(most).toBeLessThanOrEqual(3); // maxSurge 25% of 2, rounded up
      expect(await projectContainers()).toHaveLength(2);
      // The first old replica left rotation only once its replacement was ready.
      const log = up.stderr().slice(before);
      expect(log.indexOf('is ready')).toBeGreaterThan(-1);
      expect(log.indexOf('is out of rotation (replaced by the new version)')).toBeGreaterThan(log.indexOf('is ready'));
    } finally {
      await up.stop();
    }
  }, 150_000);

  it('replicas 3 → 1 drains the two that leave: requests in progress on them are answered', async () => {
    const up = await startServing(manifests({ replicas: 3, version: 'v1' }), 3);
    try {
      await waitFor('the third replica ready', () => ((up.stderr().match(/is ready/g) ?? []).length >= 3 ? true : undefined), 30_000);
      const traffic = load(up.port, 8);
      await waitFor('traffic', () => (traffic.outcomes.length >= 100 ? true : undefined), 20_000);
      writeFileSync(path.join(dir, 'app.yaml'), manifests({ replicas: 1, version: 'v1' }));
      await up.waitFor(/Deployment default\/web: scaled/, 30_000);
      await waitFor('two containers removed', async () => ((await projectContainers()).length === 1 ? true : undefined), 30_000);
      const end = traffic.outcomes.length;
      await waitFor('traffic after the scale-down', () => (traffic.outcomes.length >= end + 50 ? true : undefined), 20_000);
      await traffic.stop();
      expect(failures(traffic.outcomes)).toEqual([]);
      expect(up.stderr()).toMatch(/is out of rotation \(scaled down\); it stops once it has answered the \d+ requests? in progress/);
    } finally {
      await up.stop();
    }
  }, 150_000);

  it('strategy Recreate: every old container is gone before a new one is created; meanwhile requests get a 503, never a 502', async () => {
    const up = await startServing(manifests({ replicas: 2, version: 'v1', strategy: '{type: Recreate}' }), 2);
    try {
      const traffic = load(up.port, 4);
      await waitFor('traffic', () => (traffic.outcomes.length >= 50 ? true : undefined), 20_000);
      const before = up.stderr().length;
      writeFileSync(path.join(dir, 'app.yaml'), manifests({ replicas: 2, version: 'v2', strategy: '{type: Recreate}' }));
      await waitFor('v2 answering', () => (traffic.outcomes.slice(-10).every((o) => o.service === 'v2') && traffic.outcomes.length > 60 ? true : undefined), 60_000);
      await traffic.stop();
      const statuses = new Set(failures(traffic.outcomes));
      statuses.delete(503);
      expect([...statuses]).toEqual([]);
      const log = up.stderr().slice(before);
      const lastRemoved = log.lastIndexOf('removed container');
      const firstCreated = log.search(/Deployment default\/web: updated \S+-web-1, \S+-web-2/);
      expect(lastRemoved).toBeGreaterThan(-1);
      expect(firstCreated).toBeGreaterThan(lastRemoved);
    } finally {
      await up.stop();
    }
  }, 150_000);

  it('a StatefulSet rolls from the highest ordinal, one at a time, and its replicas keep their names', async () => {
    const sts = (version: string) =>
      manifests({ replicas: 2, version }).replace('kind: Deployment', 'kind: StatefulSet').replace('  replicas: 2\n', '  replicas: 2\n  serviceName: web\n');
    const up = await startServing(sts('v1'), 2, 'StatefulSet');
    try {
      const names = (await projectContainers()).toSorted();
      expect(names.map((n) => n.replace(/^.*-(web-\d)$/, '$1'))).toEqual(['web-0', 'web-1']);
      const before = up.stderr().length;
      writeFileSync(path.join(dir, 'app.yaml'), sts('v2'));
      await up.waitFor(/StatefulSet default\/web: updated \S+-web-0, \S+-web-1\n/, 60_000);
      expect((await projectContainers()).toSorted()).toEqual(names);
      const log = up.stderr().slice(before);
      const leaving = [...log.matchAll(/container (\S+) is out of rotation \(replaced by the new version\)/g)].map((m) => m[1]);
      expect(leaving).toEqual([names[1], names[0]]);
      for (const name of names) expect(await docker('exec', name, 'sh', '-c', 'echo $SERVICE_NAME')).toBe('v2');
    } finally {
      await up.stop();
    }
  }, 150_000);
});
