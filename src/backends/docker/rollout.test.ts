import { describe, expect, it } from 'vitest';
import { planRolloutStep, resolveFenceposts, type RolloutContainer, type UpdateStrategy } from './rollout.js';

/**
 * A small world for the planner: every step is taken at once, a created container becomes ready
 * on the next turn, a removed one is gone on the next turn. It records what each step did, and
 * the fewest ready and the most containers there ever were.
 */
function rollOut(replicas: readonly number[], from: readonly number[], strategy: UpdateStrategy, limit = 50) {
  let seq = 0;
  let containers: (RolloutContainer & { readonly born: number })[] = from.map((index) => ({ id: `old-${index}`, name: `web-${index}`, index, current: false, ready: true, born: -1 }));
  let terminating: RolloutContainer[] = [];
  const steps: string[] = [];
  let minReady = Infinity;
  let maxTotal = 0;
  for (let turn = 0; turn < limit; turn++) {
    // What was removed last turn has stopped; what was created last turn is ready.
    terminating = [];
    containers = containers.map((c) => (c.ready ? c : { ...c, ready: true }));
    const step = planRolloutStep({ desired: replicas, containers, terminating: terminating.map((c) => c.index), strategy });
    if (step.create.length === 0 && step.remove.length === 0) {
      // Done, or nothing more will happen (an OnDelete or a partition that keeps old replicas).
      const wait = step.progress === null ? null : `wait (${step.progress.waitingFor ?? ''})`;
      if (wait === null || steps.at(-1) === wait) return { steps, minReady, maxTotal, containers };
      steps.push(wait);
      continue;
    }
    const removed = new Set(step.remove.map((r) => r.id));
    terminating = containers.filter((c) => removed.has(c.id));
    containers = containers.filter((c) => !removed.has(c.id));
    for (const index of step.create) containers.push({ id: `new-${index}-${seq++}`, name: `web-${index}-new`, index, current: true, ready: false, born: turn });
    const parts = [
      ...(terminating.length > 0 ? [`-${terminating.map((c) => (c.current ? `new${c.index}` : `old${c.index}`)).join(',')}`] : []),
      ...(step.create.length > 0 ? [`+${step.create.join(',')}`] : []),
    ];
    steps.push(parts.join(' '));
    minReady = Math.min(minReady, containers.filter((c) => c.ready).length);
    maxTotal = Math.max(maxTotal, containers.length + terminating.length);
  }
  throw new Error(`no end after ${limit} turns: ${steps.join(' | ')}`);
}

const rolling = (desired: number, surge: number | string = '25%', unavailable: number | string = '25%'): UpdateStrategy => ({ kind: 'RollingUpdate', ...resolveFenceposts(surge, unavailable, desired) });

describe('resolveFenceposts (deployment controller, util/deployment_util.go)', () => {
  it.each([
    // [maxSurge, maxUnavailable, desired, surge, unavailable]
    ['25%', '25%', 1, 1, 0],
    ['25%', '25%', 2, 1, 0],
    ['25%', '25%', 4, 1, 1],
    ['25%', '25%', 10, 3, 2],
    ['0%', '1%', 2, 0, 1], // both come to 0: one may be unavailable
    [0, '25%', 3, 0, 1],
    [2, 0, 3, 2, 0],
    ['100%', '0%', 3, 3, 0],
  ] as const)('maxSurge %s, maxUnavailable %s of %i replicas: surge %i, unavailable %i', (surge, unavailable, desired, s, u) => {
    expect(resolveFenceposts(surge, unavailable, desired)).toEqual({ maxSurge: s, maxUnavailable: u });
  });
});

describe('a Deployment rolling update (the examples of ResolveFenceposts)', () => {
  it('2 desired, max unavailable 1%, surge 0%: old(-1), new(+1), old(-1), new(+1)', () => {
    const run = rollOut([1, 2], [1, 2], rolling(2, '0%', '1%'));
    expect(run.steps.filter((s) => !s.startsWith('wait'))).toEqual(['-old2', '+2', '-old1', '+1']);
    expect(run.maxTotal).toBe(2);
  });

  it('2 desired, max unavailable 25%, surge 1%: new(+1), old(-1), new(+1), old(-1); never fewer than 2 ready', () => {
    const run = rollOut([1, 2], [1, 2], rolling(2, '1%', '25%'));
    expect(run.steps.filter((s) => !s.startsWith('wait'))).toEqual(['+1', '-old1', '+2', '-old2']);
    expect(run.minReady).toBe(2);
    expect(run.maxTotal).toBe(3);
  });

  it('1 desired, the defaults (25%/25%): the new replica is ready before the old one goes', () => {
    const run = rollOut([1], [1], rolling(1));
    expect(run.steps.filter((s) => !s.startsWith('wait'))).toEqual(['+1', '-old1']);
    expect(run.minReady).toBe(1);
    expect(run.containers.map((c) => c.id)).toEqual(['new-1-0']);
  });

  it('4 desired, the defaults: at most 5 containers, at least 3 ready, every replica new at the end', () => {
    const run = rollOut([1, 2, 3, 4], [1, 2, 3, 4], rolling(4));
    expect(run.maxTotal).toBeLessThanOrEqual(5);
    expect(run.minReady).toBeGreaterThanOrEqual(3);
    expect(run.containers.every((c) => c.current)).toBe(true);
    expect(run.containers.map((c) => c.index).toSorted()).toEqual([1, 2, 3, 4]);
  });

  it('waits while the new replica is not ready, and says so', () => {
    const step = planRolloutStep({
      desired: [1],
      containers: [
        { id: 'a', name: 'web-1', index: 1, current: false, ready: true },
        { id: 'b', name: 'web-1-3f2a1', index: 1, current: true, ready: false },
      ],
      terminating: [],
      strategy: rolling(1),
    });
    expect(step).toEqual({ create: [], remove: [], progress: { updated: 1, desired: 1, waitingFor: 'web-1-3f2a1 to be ready' } });
  });

  it('an old replica that is not ready goes first: it serves nothing', () => {
    const step = planRolloutStep({
      desired: [1, 2, 3, 4],
      containers: [1, 2, 3, 4].map((index) => ({ id: `o${index}`, name: `web-${index}`, index, current: false, ready: index !== 2 })),
      terminating: [],
      strategy: { kind: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 },
    });
    expect(step.remove).toEqual([{ id: 'o2', why: 'replaced' }]);
  });

  it('scale-down: the replicas no longer asked for go at once, whatever the strategy', () => {
    const containers = [1, 2, 3].map((index) => ({ id: `c${index}`, name: `web-${index}`, index, current: true, ready: true }));
    for (const strategy of [rolling(1), { kind: 'Recreate' } as const]) {
      expect(planRolloutStep({ desired: [1], containers, terminating: [], strategy })).toEqual({
        create: [],
        remove: [{ id: 'c2', why: 'scaled-down' }, { id: 'c3', why: 'scaled-down' }],
        progress: null,
      });
    }
  });

  it('a new workload, or a scale-up, creates every missing replica at once and is no rollout', () => {
    expect(planRolloutStep({ desired: [1, 2, 3], containers: [], terminating: [], strategy: rolling(3) })).toEqual({ create: [1, 2, 3], remove: [], progress: null });
    const one = [{ id: 'c1', name: 'web-1', index: 1, current: true, ready: true }];
    expect(planRolloutStep({ desired: [1, 2, 3], containers: one, terminating: [], strategy: rolling(3) })).toEqual({ create: [2, 3], remove: [], progress: null });
  });
});

describe('Recreate (DeploymentStrategy: "All existing Pods are killed before new ones are created")', () => {
  it('removes every old replica, waits until they are gone, then creates all new ones', () => {
    const run = rollOut([1, 2], [1, 2], { kind: 'Recreate' });
    expect(run.steps).toEqual(['-old1,old2', '+1,2']);
    expect(run.minReady).toBe(0);
  });

  it('creates nothing while an old container is still stopping', () => {
    const step = planRolloutStep({ desired: [1], containers: [], terminating: [1], strategy: { kind: 'Recreate' } });
    expect(step).toEqual({ create: [], remove: [], progress: { updated: 0, desired: 1, waitingFor: 'old containers to stop' } });
  });
});

describe('a StatefulSet (StatefulSetUpdateStrategy)', () => {
  it('RollingUpdate replaces one replica at a time from the highest ordinal, each once all are ready', () => {
    const run = rollOut([0, 1, 2], [0, 1, 2], { kind: 'OrderedRollingUpdate', partition: 0 });
    expect(run.steps).toEqual(['-old2', '+2', '-old1', '+1', '-old0', '+0']);
    expect(run.minReady).toBe(2);
  });

  it('partition: ordinals below it keep the old version', () => {
    const run = rollOut([0, 1, 2], [0, 1, 2], { kind: 'OrderedRollingUpdate', partition: 2 });
    expect(run.steps.filter((s) => !s.startsWith('wait'))).toEqual(['-old2', '+2']);
    expect(planRolloutStep({ desired: [0, 1, 2], containers: run.containers, terminating: [], strategy: { kind: 'OrderedRollingUpdate', partition: 2 } }).progress).toEqual({
      updated: 1,
      desired: 3,
      waitingFor: 'nothing: web-0 and web-1 keep the old version (partition 2)',
    });
  });

  it('a replica keeps its name: it is not created again while its old container stops', () => {
    const containers = [{ id: 'o0', name: 'db-0', index: 0, current: true, ready: true }];
    expect(planRolloutStep({ desired: [0, 1], containers, terminating: [1], strategy: { kind: 'OrderedRollingUpdate', partition: 0 } }).create).toEqual([]);
  });

  it('OnDelete leaves old replicas running and says what to remove; a removed one comes back new', () => {
    const containers = [0, 1].map((index) => ({ id: `o${index}`, name: `db-${index}`, index, current: false, ready: true }));
    expect(planRolloutStep({ desired: [0, 1], containers, terminating: [], strategy: { kind: 'OnDelete' } })).toEqual({
      create: [],
      remove: [],
      progress: { updated: 0, desired: 2, waitingFor: 'you to remove db-0 and db-1 (updateStrategy OnDelete)' },
    });
    expect(planRolloutStep({ desired: [0, 1], containers: containers.slice(1), terminating: [], strategy: { kind: 'OnDelete' } }).create).toEqual([0]);
  });
});
