/**
 * How `up --run` replaces the containers of a workload whose pod spec changed, or whose replica
 * count did: one step at a time, as the workload controllers of Kubernetes do. Pure: the runner
 * takes the step, and plans the next one when a container becomes ready or has stopped.
 *
 * Sources: the apps/v1 API reference (DeploymentStrategy, RollingUpdateDeployment,
 * StatefulSetUpdateStrategy), the Deployment and StatefulSet concept pages, and the deployment
 * controller (pkg/controller/deployment/rolling.go and util/deployment_util.go ResolveFenceposts).
 */

/** How a workload moves its replicas to a new version (resolved for its replica count). */
export type UpdateStrategy =
  /** A Deployment's default: at most `desired + maxSurge` containers, at least `desired - maxUnavailable` ready. */
  | { readonly kind: 'RollingUpdate'; readonly maxSurge: number; readonly maxUnavailable: number }
  /** Every old container is gone before a new one is created (a Deployment's `Recreate`, and a Pod). */
  | { readonly kind: 'Recreate' }
  /**
   * A StatefulSet's default: one replica at a time from the highest ordinal, each replaced (same
   * name) only when all are ready; ordinals below `partition` keep their version.
   */
  | { readonly kind: 'OrderedRollingUpdate'; readonly partition: number }
  /** A StatefulSet's `OnDelete`: an old replica is replaced only when someone removes it. */
  | { readonly kind: 'OnDelete' };

/** A container of the workload that runs (or is about to), as the runner sees it now. */
export interface RolloutContainer {
  readonly id: string;
  readonly name: string;
  /** Its replica number (the label), 1, 2, … or a StatefulSet's ordinal 0, 1, … */
  readonly index: number;
  /** Its spec is the one the folder asks for now. */
  readonly current: boolean;
  /** It passes its readiness check (it receives requests). */
  readonly ready: boolean;
}

export interface RolloutInput {
  /** The replica numbers the folder asks for. */
  readonly desired: readonly number[];
  /** The containers that run, not those already leaving. */
  readonly containers: readonly RolloutContainer[];
  /** The replica numbers of containers leaving now (drained, then stopped). */
  readonly terminating: readonly number[];
  readonly strategy: UpdateStrategy;
}

export interface RolloutStep {
  /** Replica numbers to create a container for now, with the spec of the folder. */
  readonly create: readonly number[];
  /** Containers to take out of rotation, drain and stop now. */
  readonly remove: readonly { readonly id: string; readonly why: 'scaled-down' | 'replaced' }[];
  /** While containers of an older version run (or new ones are missing): how far, and what it waits for. */
  readonly progress: RolloutProgress | null;
}

export interface RolloutProgress {
  /** Replicas that run the folder's spec. */
  readonly updated: number;
  readonly desired: number;
  /** `shop-web-1-3f2a1 to be ready`, `old containers to stop`, `you to remove shop-db-1 (updateStrategy OnDelete)`. */
  readonly waitingFor: string | null;
}

/**
 * `maxSurge` and `maxUnavailable` (a number or a percentage of the replicas) as the deployment
 * controller resolves them: a percentage of the surge rounds up, of the unavailable rounds down,
 * and when both come to 0 one replica may be unavailable (util/deployment_util.go
 * ResolveFenceposts). Values are checked by the caller.
 */
export function resolveFenceposts(maxSurge: number | string, maxUnavailable: number | string, desired: number): { readonly maxSurge: number; readonly maxUnavailable: number } {
  const scaled = (value: number | string, roundUp: boolean): number => {
    if (typeof value === 'number') return value;
    const share = (Number(value.slice(0, -1)) * desired) / 100;
    return roundUp ? Math.ceil(share) : Math.floor(share);
  };
  const surge = scaled(maxSurge, true);
  const unavailable = scaled(maxUnavailable, false);
  return { maxSurge: surge, maxUnavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}

/** The next step towards the folder's replicas, given what runs now. */
export function planRolloutStep(input: RolloutInput): RolloutStep {
  const step = nextStep(input);
  // Containers created now run the new version, ready or not (a Deployment's updatedReplicas).
  if (step.progress === null || step.create.length === 0) return step;
  return { ...step, progress: { ...step.progress, updated: step.progress.updated + step.create.length, waitingFor: step.progress.waitingFor ?? 'the new containers to be ready' } };
}

function nextStep(input: RolloutInput): RolloutStep {
  const desired = new Set(input.desired);
  // Replicas the folder no longer asks for go at once, whatever their version: a scale-down.
  const surplus: RolloutContainer[] = [];
  const current = new Map<number, RolloutContainer>();
  const old: RolloutContainer[] = [];
  for (const c of input.containers) {
    if (!desired.has(c.index)) surplus.push(c);
    else if (!c.current) old.push(c);
    else {
      const twin = current.get(c.index);
      if (twin === undefined) current.set(c.index, c);
      // Two of one replica (a crash between create and label): keep the ready one.
      else if (c.ready && !twin.ready) {
        surplus.push(twin);
        current.set(c.index, c);
      } else surplus.push(c);
    }
  }
  const scaledDown = surplus.map((c) => ({ id: c.id, why: 'scaled-down' as const }));
  const replaced = (list: readonly RolloutContainer[]) => list.map((c) => ({ id: c.id, why: 'replaced' as const }));
  const n = input.desired.length;
  const fresh = input.desired.filter((i) => !current.has(i));
  // A rollout is under way while old containers run, or new ones wait for old ones to stop;
  // creating the replicas of a new workload, or more of them, is not one.
  const rolling = old.length > 0 || (fresh.length > 0 && input.terminating.length > 0);
  const progress = (waitingFor: string | null): RolloutProgress | null => (rolling ? { updated: current.size, desired: n, waitingFor } : null);
  const notReadyNew = [...current.values()].filter((c) => !c.ready);
  const waitingForNew = notReadyNew.length === 0 ? null : `${formatNames(notReadyNew.map((c) => c.name))} to be ready`;

  switch (input.strategy.kind) {
    case 'Recreate': {
      if (old.length > 0) return { create: [], remove: [...scaledDown, ...replaced(old)], progress: progress('old containers to stop') };
      // "Successful removal is awaited before any Pod of the new revision is created."
      if (input.terminating.length > 0) return { create: [], remove: scaledDown, progress: progress(fresh.length > 0 ? 'old containers to stop' : null) };
      return { create: fresh, remove: scaledDown, progress: null };
    }
    case 'OnDelete': {
      const missing = fresh.filter((i) => !old.some((c) => c.index === i));
      const left = old.map((c) => c.name);
      const waiting = left.length === 0 ? null : `you to remove ${formatNames(left)} (updateStrategy OnDelete)`;
      return { create: missing, remove: scaledDown, progress: progress(waiting) };
    }
    case 'OrderedRollingUpdate': {
      // A StatefulSet's replica keeps its name: it is created again only once the old one is gone.
      const leaving = new Set(input.terminating);
      const missing = fresh.filter((i) => !old.some((c) => c.index === i) && !leaving.has(i));
      if (missing.length > 0) return { create: missing, remove: scaledDown, progress: progress(null) };
      const notReady = input.containers.filter((c) => desired.has(c.index) && !c.ready);
      if (leaving.size > 0 || notReady.length > 0) {
        const what = notReady.length > 0 ? `${formatNames(notReady.map((c) => c.name))} to be ready` : 'the old container to stop';
        return { create: [], remove: scaledDown, progress: progress(what) };
      }
      const partition = input.strategy.partition;
      const next = old.filter((c) => c.index >= partition).toSorted((a, b) => b.index - a.index)[0];
      if (next === undefined) {
        const kept = old.map((c) => c.name);
        return { create: [], remove: scaledDown, progress: kept.length === 0 ? null : { updated: current.size, desired: n, waitingFor: `nothing: ${formatNames(kept)} keep${kept.length === 1 ? 's' : ''} the old version (partition ${partition})` } };
      }
      return { create: [], remove: [...scaledDown, ...replaced([next])], progress: progress(`${next.name} to stop`) };
    }
    case 'RollingUpdate': {
      const { maxSurge, maxUnavailable } = input.strategy;
      const total = old.length + current.size;
      // rolling.go reconcileNewReplicaSet: scale up within desired + maxSurge; replicas that have
      // no container at all come first, then the lowest numbers.
      const room = Math.max(0, n + maxSurge - total);
      const order = fresh.toSorted((a, b) => Number(old.some((c) => c.index === a)) - Number(old.some((c) => c.index === b)) || a - b);
      const create = order.slice(0, room);
      if (create.length > 0) return { create, remove: scaledDown, progress: progress(waitingForNew) };
      // reconcileOldReplicaSets: unhealthy old replicas first, then ready ones as far as
      // desired - maxUnavailable stay ready.
      const minAvailable = n - maxUnavailable;
      const maxScaledDown = total - minAvailable - notReadyNew.length;
      if (old.length === 0 || maxScaledDown <= 0) return { create: [], remove: scaledDown, progress: progress(waitingForNew ?? (old.length > 0 ? 'old containers to stop' : null)) };
      const unhealthy = old.filter((c) => !c.ready).slice(0, maxScaledDown);
      const healthy = old.filter((c) => c.ready);
      const available = healthy.length + (current.size - notReadyNew.length);
      const readyCurrent = (i: number): boolean => current.get(i)?.ready === true;
      // The old replica whose new one is ready goes first, then the highest number.
      const byReplacement = healthy.toSorted((a, b) => Number(readyCurrent(b.index)) - Number(readyCurrent(a.index)) || b.index - a.index);
      const take = byReplacement.slice(0, Math.max(0, available - minAvailable));
      const remove = [...unhealthy, ...take];
      const waiting = remove.length > 0 ? 'old containers to stop' : waitingForNew;
      return { create: [], remove: [...scaledDown, ...replaced(remove)], progress: progress(waiting) };
    }
  }
}

function formatNames(names: readonly string[]): string {
  return names.length <= 2 ? names.join(' and ') : `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`;
}

/** `rolling update: 1 of 2 replicas updated, waiting for shop-web-2-3f2a1 to be ready`. */
export function formatRolloutProgress(strategy: UpdateStrategy, p: RolloutProgress): string {
  const name = strategy.kind === 'RollingUpdate' ? 'rolling update' : strategy.kind === 'Recreate' ? 'recreate' : strategy.kind === 'OnDelete' ? 'update on delete' : 'ordered rolling update';
  return `${name}: ${p.updated} of ${p.desired} replica${p.desired === 1 ? '' : 's'} updated${p.waitingFor === null ? '' : `, waiting for ${p.waitingFor}`}`;
}
