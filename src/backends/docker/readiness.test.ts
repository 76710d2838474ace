import { describe, expect, it } from 'vitest';
import { createResolver } from '../resolver.js';
import { container, dockerService, fakeDockerIndex } from './docker.test-util.js';
import type { ProbeResult } from './probe.js';
import { createReadinessTracker, type ReadinessChange } from './readiness.js';
import type { ReadinessPlan } from './workload-spec.js';

const httpPlan: ReadinessPlan = {
  probe: { kind: 'http', port: 8080, path: '/healthz', scheme: 'http', host: null, headers: [] },
  description: 'readinessProbe httpGet /healthz',
  initialDelayMs: 0,
  periodMs: 10_000,
  timeoutMs: 1000,
  successThreshold: 1,
  failureThreshold: 2,
};

/** A tracker over a hand-made index, whose probe answers what the test says. */
function setup() {
  const web1 = container('web-1', { labelsOf: { app: 'web' } });
  const index = fakeDockerIndex([web1]);
  const answers: ProbeResult[] = [];
  const changes: ReadinessChange[] = [];
  const gone: string[] = [];
  const tracker = createReadinessTracker({
    index,
    maxIntervalMs: 60_000, // the test drives every check with checkAll()
    check: async () => answers.shift() ?? { ok: false, detail: 'GET /healthz answered HTTP 503' },
    onChange: (c) => changes.push(c),
    onGone: (c) => gone.push(c.name),
  });
  tracker.track({ id: web1.id, name: 'web-1', workload: 'Deployment default/web' }, httpPlan);
  return { web1, index, answers, changes, gone, tracker };
}

describe('createReadinessTracker', () => {
  it('a container is not ready until its probe passes, and says which probe it waits for', async () => {
    const { web1, answers, tracker } = setup();
    expect(tracker.readinessOf(web1)).toEqual({
      ready: false,
      reason: 'container web-1 is not ready yet (readinessProbe httpGet /healthz)',
      hint: 'It receives requests as soon as its check passes; docker logs web-1 shows what it is doing',
    });
    answers.push({ ok: false, detail: 'GET /healthz answered HTTP 404' });
    await tracker.checkAll();
    expect(tracker.readinessOf(web1)).toMatchObject({ ready: false, hint: expect.stringContaining('The last check: GET /healthz answered HTTP 404.') });
    answers.push({ ok: true, detail: 'GET /healthz answered HTTP 200' });
    await tracker.checkAll();
    expect(tracker.readinessOf(web1)).toEqual({ ready: true });
    tracker.stop();
  });

  it('a ready container turns not ready after failureThreshold failures, and ready again', async () => {
    const { web1, answers, changes, tracker } = setup();
    answers.push({ ok: true, detail: 'ok' }, { ok: false, detail: 'HTTP 500' }, { ok: false, detail: 'HTTP 500' }, { ok: true, detail: 'ok' });
    await tracker.checkAll();
    await tracker.checkAll();
    expect(tracker.readinessOf(web1)?.ready).toBe(true); // one failure is below the threshold of 2
    await tracker.checkAll();
    expect(tracker.readinessOf(web1)).toMatchObject({ ready: false, reason: 'container web-1 is not ready (readinessProbe httpGet /healthz failed 2 times)' });
    await tracker.checkAll();
    expect(tracker.readinessOf(web1)?.ready).toBe(true);
    expect(changes.map((c) => c.change)).toEqual(['ready', 'not-ready', 'ready']);
    tracker.stop();
  });

  it('a restart (a new start time) starts over: not ready until the probe passes again', async () => {
    const { web1, index, answers, changes, tracker } = setup();
    answers.push({ ok: true, detail: 'ok' });
    await tracker.checkAll();
    const restarted = { ...web1, startedAt: '2026-01-01T00:01:00Z', exitCode: 1 };
    index.set([restarted]);
    // Before the tracker has seen the restart, the resolver already stops routing to it.
    expect(tracker.readinessOf(restarted)?.ready).toBe(false);
    await tracker.checkAll();
    expect(tracker.readinessOf(restarted)?.ready).toBe(false);
    expect(changes.map((c) => c.message)).toContain('container web-1 restarted (it had exited with code 1)');
    answers.push({ ok: true, detail: 'ok' });
    await tracker.checkAll();
    expect(tracker.readinessOf(restarted)?.ready).toBe(true);
    tracker.stop();
  });

  it('a restart says the exit code seen when the container went down, not the 0 the engine reports once it runs (issue 10 item 18)', async () => {
    const { web1, index, answers, changes, tracker } = setup();
    answers.push({ ok: true, detail: 'ok' });
    await tracker.checkAll();
    index.set([{ ...web1, state: 'exited', exitCode: 137 }]);
    await tracker.checkAll();
    index.set([{ ...web1, startedAt: '2026-01-01T00:01:00Z', exitCode: 0 }]);
    await tracker.checkAll();
    expect(changes.map((c) => c.message)).toEqual(expect.arrayContaining(['container web-1 exited with code 137', 'container web-1 restarted (it had exited with code 137)']));
    tracker.stop();
  });

  it('a container that exits is reported; one that disappears is reported gone', async () => {
    const { web1, index, changes, gone, tracker } = setup();
    await tracker.checkAll();
    index.set([{ ...web1, state: 'exited', exitCode: 137 }]);
    await tracker.checkAll();
    expect(changes.map((c) => c.message)).toEqual(['container web-1 exited with code 137']);
    index.set([]);
    await tracker.checkAll();
    expect(gone).toEqual(['web-1']);
    expect(tracker.has(web1.id)).toBe(false);
    tracker.stop();
  });

  it('containers it does not track (started by the user) are not gated; without a probe a container is ready', () => {
    const { tracker } = setup();
    const mine = container('mine');
    expect(tracker.readinessOf(mine)).toBeUndefined();
    tracker.track({ id: mine.id, name: 'mine', workload: 'Pod default/mine' }, { ...httpPlan, probe: null, description: 'no readiness check' });
    expect(tracker.readinessOf(mine)).toEqual({ ready: true });
    tracker.stop();
  });
});

describe('the resolver routes only to ready containers', () => {
  it('skips a replica that is not ready, and answers 503 with the probe when none is', async () => {
    const web1 = container('web-1', { labelsOf: { app: 'web' } });
    const web2 = container('web-2', { labelsOf: { app: 'web' } });
    const index = fakeDockerIndex([web1, web2]);
    const ok = new Set<string>();
    const tracker = createReadinessTracker({ index, maxIntervalMs: 60_000, check: async (_p, address) => ({ ok: ok.has(address.host), detail: ok.has(address.host) ? 'HTTP 200' : 'HTTP 503' }) });
    tracker.track({ id: web1.id, name: 'web-1', workload: 'Deployment default/web' }, httpPlan);
    tracker.track({ id: web2.id, name: 'web-2', workload: 'Deployment default/web' }, httpPlan);
    const resolver = createResolver({ mappings: [], services: [dockerService('web', { app: 'web' })], unmapped: 'unavailable', docker: index, readiness: tracker });
    const backend = { kind: 'service' as const, service: 'web', namespace: 'default', port: 80, portName: 'http', problem: null };

    expect(resolver.resolve(backend)).toEqual({
      kind: 'unavailable',
      cause: 'docker',
      reason: 'Service default/web port http: container web-1 is not ready yet (readinessProbe httpGet /healthz) (and 1 more replicas not ready)',
      hint: 'It receives requests as soon as its check passes; docker logs web-1 shows what it is doing',
    });
    ok.add(web2.networks[0]!.ip);
    await tracker.checkAll();
    const vias = [resolver.resolve(backend), resolver.resolve(backend)].map((r) => (r.kind === 'target' ? r.via : r.reason));
    expect(vias.every((v) => v.includes('web-2'))).toBe(true);
    ok.add(web1.networks[0]!.ip);
    await tracker.checkAll();
    const both = new Set([resolver.resolve(backend), resolver.resolve(backend)].map((r) => (r.kind === 'target' ? r.via : r.reason)));
    expect(both.size).toBe(2);
    tracker.stop();
  });
});
