import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../events/bus.js';
import type { WorkloadChanged } from '../../events/types.js';
import { parseManifests } from '../../manifest/parse.js';
import { createDockerDiscovery } from './discovery.js';
import { createApplyReportPrinter, formatApplyReport, createWorkloadRunner } from './runner.js';

// Only the paths that touch no engine; test/docker/workloads.test.ts covers the rest against a real one.
const yaml = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx, env: [{name: A, valueFrom: {configMapKeyRef: {name: nope, key: a}}}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api}
spec: {containers: [{name: app, image: nginx}]}
`;

describe('createWorkloadRunner without an engine', () => {
  it('reports every workload as not running, says why, and stops cleanly', async () => {
    const discovery = createDockerDiscovery({ disabled: '--no-docker' });
    const events = createEventBus();
    const seen: WorkloadChanged[] = [];
    events.on('workload-changed', (e) => seen.push(e));
    const runner = createWorkloadRunner({ docker: discovery, projectDir: '/home/ada/shop', events, now: () => 7 });
    expect(runner.network).toBe(`ingress-dev-shop-${runner.runId}`);
    expect(runner.runId).toMatch(/^[0-9a-f]{8}$/);
    const { resources } = parseManifests([{ file: 'app.yaml', text: yaml }]);
    const report = await runner.apply(resources);
    expect(report.workloads).toEqual([
      { workload: 'Deployment default/web', action: 'failed', containers: [], leaving: [], rollout: null, error: 'env A reads key "a" of ConfigMap default/nope, which is not in the folder' },
      { workload: 'Pod default/api', action: 'failed', containers: [], leaving: [], rollout: null, error: 'Docker is off (--no-docker); workloads cannot run' },
    ]);
    expect(report.diagnostics.map((d) => d.code)).toEqual(['E_WORKLOAD_REF_NOT_FOUND']);
    expect(seen).toEqual([{ type: 'workload-changed', at: 7, workload: null, change: 'failed', container: null, progress: null, message: 'Docker is off (--no-docker); workloads cannot run' }]);
    expect(formatApplyReport(report)).toEqual([
      'Pod default/api: not running: Docker is off (--no-docker); workloads cannot run',
      'Deployment default/web: not running: env A reads key "a" of ConfigMap default/nope, which is not in the folder',
    ]);
    expect(await runner.cleanupLeftovers()).toEqual([]);
    await runner.stop();
    discovery.stop();
  });

  it('says that the engine is away once for all workloads, and not again on every save (issue 10 item 12)', async () => {
    const discovery = createDockerDiscovery({ env: { DOCKER_HOST: 'unix:///nonexistent/ingress-dev-test.sock' }, retryMs: 60_000 });
    await discovery.ready();
    const events = createEventBus();
    const seen: WorkloadChanged[] = [];
    events.on('workload-changed', (e) => seen.push(e));
    const printed: string[] = [];
    const print = createApplyReportPrinter();
    const runner = createWorkloadRunner({ docker: discovery, projectDir: '/home/ada/shop', events, onReport: (r) => printed.push(...print(r).lines) });
    const three = `${yaml}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: worker}\nspec: {containers: [{name: app, image: nginx}]}\n`;
    const { resources } = parseManifests([{ file: 'app.yaml', text: three }]);
    for (let save = 0; save < 3; save++) await runner.apply(resources);
    expect(seen.map((e) => e.message)).toEqual(['the Docker engine is not reachable; the workloads start when it answers']);
    expect(printed).toEqual([
      '2 workloads (Pod default/api, Pod default/worker): not running: the Docker engine is not reachable; the workloads start when it answers',
      'Deployment default/web: not running: env A reads key "a" of ConfigMap default/nope, which is not in the folder',
    ]);
    expect(printed.join('\n')).not.toMatch(/(Pod default\/\w+: ){2}/);
    expect(await runner.stop()).toEqual([]);
    expect((await runner.apply(resources)).workloads.map((w) => w.error)).toContain('ingress-dev is stopping');
    discovery.stop();
  });
});

describe('formatApplyReport', () => {
  it('one line per change; unchanged workloads are quiet', () => {
    expect(
      formatApplyReport({
        workloads: [
          { workload: 'Deployment default/web', action: 'created', containers: [{ id: 'a', name: 'shop-web-1' }, { id: 'b', name: 'shop-web-2' }], leaving: [], rollout: null, error: null },
          { workload: 'Deployment default/api', action: 'unchanged', containers: [{ id: 'c', name: 'shop-api-1' }], leaving: [], rollout: null, error: null },
          { workload: 'Deployment default/new', action: 'failed', containers: [{ id: 'd', name: 'shop-new-1' }], leaving: [], rollout: null, error: 'image new:2 is not on this machine and could not be pulled: no such host' },
        ],
        removed: ['Deployment default/old (2 containers)'],
        diagnostics: [],
        leftovers: ['removed container shop-web-1 (0123456789ab) left by an earlier run of this project (run deadbeef)'],
        network: 'ingress-dev-shop-1a2b3c4d',
      }),
    ).toEqual([
      'cleanup: removed container shop-web-1 (0123456789ab) left by an earlier run of this project (run deadbeef)',
      'Deployment default/web: created shop-web-1, shop-web-2',
      'Deployment default/new: not running: image new:2 is not on this machine and could not be pulled: no such host (still running: shop-new-1)',
      'Deployment default/old (2 containers): removed',
    ]);
  });
});
