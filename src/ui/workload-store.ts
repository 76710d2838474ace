import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { createBatchedSnapshot } from './batched-snapshot.js';
import type { EventBus } from '../events/bus.js';
import type { ServiceAddress, WorkloadChanged, WorkloadsApplied } from '../events/types.js';

/** One container of a workload, as its events left it. */
export interface ContainerView {
  readonly name: string;
  /** `terminating`: out of rotation (a rollout or a scale-down), answering its last requests before it stops. */
  readonly state: 'starting' | 'ready' | 'not-ready' | 'exited' | 'terminating';
  /** Times it was started again after it exited. */
  readonly restarts: number;
  /** The last thing said about it: `container shop-admin-1 exited with code 1`. */
  readonly message: string | null;
}

/** One Deployment, StatefulSet or Pod that `up --run` runs. */
export interface WorkloadView {
  /** `Deployment default/web`. */
  readonly title: string;
  readonly image: string | null;
  readonly containers: readonly ContainerView[];
  /** An image pull in progress: how far (0–1, null when the registry does not say) and the last progress line. */
  readonly pull: { readonly progress: number | null; readonly message: string; readonly kind?: 'pull' | 'build' } | null;
  /** It does not run: its image could not be had, the engine refused its container, the manifest cannot run. */
  readonly failed: boolean;
  /** The last error said about it (kept after it runs again, as the last error). */
  readonly lastError: string | null;
  /** While a rollout is under way: `rolling update: 1 of 2 replicas updated, waiting for shop-web-2-3f2a1 to be ready`. */
  readonly rollout: string | null;
  /** Every container it had in this run (the newest 50), so that its log view keeps the output of those a rollout replaced. */
  readonly seen: readonly string[];
}

export interface WorkloadSnapshot {
  /** In file order (the order of the last apply); workloads heard of before it, after. */
  readonly workloads: readonly WorkloadView[];
  /** The last apply's problems by file position. */
  readonly diagnostics: readonly Diagnostic[];
  /** Set while nothing can run (the engine does not answer, Docker is off). */
  readonly engine: string | null;
  /** Whether `up --run` said anything at all: the Workloads pane is shown from then on. */
  readonly active: boolean;
  /** The Services' addresses inside the network (their relays), from the last apply. */
  readonly services?: readonly ServiceAddress[];
}

export interface WorkloadStore {
  subscribe(listener: () => void): () => void;
  getSnapshot(): WorkloadSnapshot;
  /** Stop listening to the bus. */
  dispose(): void;
}

const empty: WorkloadSnapshot = { workloads: [], diagnostics: [], engine: null, active: false };

/**
 * The workloads of `up --run`, from its `workload-changed` and `workloads-applied` events. It
 * holds one entry per workload of the folder and per container of each (removed ones are
 * dropped), so it stays as small as the folder; pull progress comes in bursts, so notifications
 * are batched as the requests' are.
 */
export function createWorkloadStore(events: EventBus, batchMs = 50): WorkloadStore {
  const store = createBatchedSnapshot(empty, batchMs);

  const offs = [
    events.on('workload-changed', (e) => store.set(applyChange(store.next(), e))),
    events.on('workloads-applied', (e) => store.set(applyReport(store.next(), e))),
  ];

  return {
    subscribe: store.subscribe,
    getSnapshot: store.getSnapshot,
    dispose() {
      for (const off of offs) off();
      store.dispose();
    },
  };
}

function blank(title: string): WorkloadView {
  return { title, image: null, containers: [], pull: null, failed: false, lastError: null, rollout: null, seen: [] };
}

function withSeen(w: WorkloadView, names: readonly string[]): WorkloadView {
  const fresh = names.filter((n) => !w.seen.includes(n));
  return fresh.length === 0 ? w : { ...w, seen: [...w.seen, ...fresh].slice(-50) };
}

/** The snapshot after one `workload-changed` event. Pure. */
export function applyChange(s: WorkloadSnapshot, e: WorkloadChanged): WorkloadSnapshot {
  if (e.workload === null) {
    // What concerns the run as a whole: the engine being away is the one lasting state.
    const engine = e.change === 'failed' ? e.message : s.engine;
    return { ...s, engine, active: true };
  }
  const title = e.workload;
  const w = s.workloads.find((x) => x.title === title) ?? blank(title);
  const container = (name: string, change: (c: ContainerView) => ContainerView | null): WorkloadView => {
    const current = w.containers.find((c) => c.name === name) ?? { name, state: 'starting' as const, restarts: 0, message: null };
    const changed = change(current);
    const rest = w.containers.filter((c) => c.name !== name);
    return { ...w, containers: (changed === null ? rest : [...rest, changed]).toSorted((a, b) => a.name.localeCompare(b.name)) };
  };
  let updated: WorkloadView;
  switch (e.change) {
    case 'pulling':
    case 'building':
      updated = { ...w, pull: { progress: e.progress, message: e.message, kind: e.change === 'building' ? 'build' : 'pull' } };
      break;
    case 'pulled':
    case 'built':
      updated = { ...w, pull: null };
      break;
    case 'pull-failed':
    case 'build-failed':
      updated = { ...w, pull: null, lastError: e.message };
      break;
    case 'created':
      updated = e.container === null ? w : withSeen({ ...container(e.container, (c) => ({ ...c, state: 'starting', message: e.message })), failed: false }, [e.container]);
      break;
    case 'terminating':
      updated = e.container === null ? w : container(e.container, (c) => ({ ...c, state: 'terminating', message: e.message }));
      break;
    case 'removed':
      updated = e.container === null ? w : container(e.container, () => null);
      break;
    case 'ready':
    case 'not-ready':
    case 'exited':
      updated = e.container === null ? w : container(e.container, (c) => ({ ...c, state: e.change as ContainerView['state'], message: e.message }));
      break;
    case 'restarted':
      updated = e.container === null ? w : container(e.container, (c) => ({ ...c, state: 'starting', restarts: c.restarts + 1, message: e.message }));
      break;
    case 'failed':
      updated = { ...w, pull: null, failed: e.container === null ? true : w.failed, lastError: e.message };
      break;
    case 'leftovers':
      updated = w;
      break;
  }
  return { ...s, workloads: replace(s.workloads, updated), engine: null, active: true };
}

/** The snapshot after an apply: its list of workloads is the folder's. Pure. */
export function applyReport(s: WorkloadSnapshot, e: WorkloadsApplied): WorkloadSnapshot {
  const workloads = e.workloads.map((a): WorkloadView => {
    const w = s.workloads.find((x) => x.title === a.workload) ?? blank(a.workload);
    // Containers keep the state their events gave them; the apply says which exist, and which leave.
    const running = a.containers.map((c) => w.containers.find((x) => x.name === c.name) ?? { name: c.name, state: 'starting' as const, restarts: 0, message: null });
    const leaving = a.leaving.map((c): ContainerView => ({ ...(w.containers.find((x) => x.name === c.name) ?? { restarts: 0, message: null }), name: c.name, state: 'terminating' }));
    const containers = [...running, ...leaving].toSorted((x, y) => x.name.localeCompare(y.name));
    const failed = a.action === 'failed';
    return withSeen({ ...w, image: a.image ?? w.image, containers, failed, pull: failed ? null : w.pull, lastError: failed ? (a.error ?? w.lastError) : w.lastError, rollout: a.rollout }, containers.map((c) => c.name));
  });
  return { workloads, diagnostics: e.diagnostics, engine: e.engine, active: true, ...(e.services === undefined ? {} : { services: e.services }) };
}

function replace(list: readonly WorkloadView[], w: WorkloadView): WorkloadView[] {
  const i = list.findIndex((x) => x.title === w.title);
  return i === -1 ? [...list, w] : list.map((x, j) => (j === i ? w : x));
}

/** `running`, `ready`, `failed`, …: one word for the state of a workload. */
export function workloadState(w: WorkloadView): 'failed' | 'pulling' | 'building' | 'crashed' | 'updating' | 'ready' | 'starting' | 'not ready' | 'no containers' {
  if (w.failed) return 'failed';
  if (w.pull !== null) return w.pull.kind === 'build' ? 'building' : 'pulling';
  const serving = w.containers.filter((c) => c.state !== 'terminating');
  if (serving.length === 0) return w.rollout !== null ? 'updating' : 'no containers';
  if (serving.some((c) => c.state === 'exited')) return 'crashed';
  if (w.rollout !== null) return 'updating';
  if (serving.every((c) => c.state === 'ready')) return 'ready';
  if (w.containers.some((c) => c.state === 'not-ready')) return 'not ready';
  return 'starting';
}

/** A workload problem that is no diagnostic of the apply: a crashed container, a failure without a position. */
export interface RuntimeProblem {
  readonly severity: 'error' | 'warning';
  readonly text: string;
}

/** What goes wrong now, beyond the apply's diagnostics (which have positions and hints). */
export function runtimeProblems(s: WorkloadSnapshot): RuntimeProblem[] {
  const out: RuntimeProblem[] = [];
  if (s.engine !== null) out.push({ severity: 'warning', text: `workloads: ${s.engine}` });
  for (const w of s.workloads) {
    // An image that cannot be pulled or a container that cannot start is a diagnostic with its position.
    const positioned = s.diagnostics.some((d) => d.severity === 'error' && d.message.startsWith(`${w.title}: `));
    if (w.failed && !positioned) out.push({ severity: 'error', text: `${w.title}: ${w.lastError ?? 'not running'}` });
    for (const c of w.containers) {
      if (c.state === 'exited') out.push({ severity: 'error', text: `${w.title}: ${c.message ?? `container ${c.name} exited`}${c.restarts > 0 ? ` (restarted ${c.restarts} times)` : ''}` });
      else if (c.restarts > 0) out.push({ severity: 'warning', text: `${w.title}: container ${c.name} restarted ${c.restarts === 1 ? 'once' : `${c.restarts} times`}` });
    }
  }
  return out;
}

/** How many problems the Workloads side adds to the Problems tab, and whether one is an error. */
export function countWorkloadProblems(s: WorkloadSnapshot): { readonly count: number; readonly errors: boolean } {
  const runtime = runtimeProblems(s);
  return {
    count: s.diagnostics.length + runtime.length,
    errors: s.diagnostics.some((d) => d.severity === 'error') || runtime.some((p) => p.severity === 'error'),
  };
}
