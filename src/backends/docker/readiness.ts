import type { DockerContainer } from './containers.js';
import { probeHttp, probeTcp, type ProbeResult } from './probe.js';
import { addressOf } from './select.js';
import type { ContainerReadiness, DockerIndex, DockerSnapshot, ReadinessIndex } from './types.js';
import type { Probe, ReadinessPlan } from './workload-spec.js';

/** A container the tracker checks: what it is called and which workload it runs. */
export interface TrackedContainer {
  readonly id: string;
  readonly name: string;
  /** `Deployment default/web`. */
  readonly workload: string;
}

export interface ReadinessChange {
  readonly change: 'ready' | 'not-ready' | 'exited' | 'restarted';
  readonly container: TrackedContainer;
  readonly message: string;
}

export interface ReadinessTrackerOptions {
  /** Where the containers' state, start time and addresses come from (the discovery's index). */
  readonly index: DockerIndex;
  readonly now?: () => number;
  /** The longest wait between two checks of one container, whatever periodSeconds says (default 1 s). */
  readonly maxIntervalMs?: number;
  /** Runs an exec probe in the container (the runner does it through the engine). */
  readonly exec?: (containerId: string, command: readonly string[], timeoutMs: number) => Promise<ProbeResult>;
  /** How an HTTP or TCP probe is made; real sockets by default. */
  readonly check?: (probe: Extract<Probe, { kind: 'http' | 'tcp' }>, address: { host: string; port: number; published: boolean }, timeoutMs: number) => Promise<ProbeResult>;
  readonly onChange?: (change: ReadinessChange) => void;
  /** A tracked container is gone from the engine, and nobody untracked it: someone removed it. */
  readonly onGone?: (container: TrackedContainer) => void;
}

export interface ReadinessTracker extends ReadinessIndex {
  /** Start checking a container that was just created (not ready until its check passes). */
  track(container: TrackedContainer, plan: ReadinessPlan): void;
  /** A new plan for a tracked container (its Services changed, so did the default check). */
  update(id: string, plan: ReadinessPlan): void;
  untrack(id: string): void;
  /**
   * The container leaves (a rollout or a scale-down replaces it): it is out of rotation from now
   * on, for good (also after it is untracked, while discovery still lists it), and no longer checked.
   */
  retire(id: string): void;
  /** Tracked, not retired. */
  has(id: string): boolean;
  /** It runs and passes its check now (what a rollout waits for). */
  isReady(id: string): boolean;
  /** Check every container now (and wait for the checks); tests and the first apply use it. */
  checkAll(): Promise<void>;
  stop(): void;
}

interface Entry {
  readonly container: TrackedContainer;
  plan: ReadinessPlan;
  /** The start time the state below is for; undefined until the container was seen running. */
  generation: string | null | undefined;
  since: number;
  ready: boolean;
  everReady: boolean;
  successes: number;
  failures: number;
  last: string | null;
  seen: boolean;
  running: boolean;
  /** The exit code seen while it was down: the engine reports 0 again once it runs. */
  exitCode: number | null;
  timer: NodeJS.Timeout | null;
  busy: Promise<void> | null;
}

/**
 * Checks the readiness of the containers a run started, as the kubelet runs readinessProbes:
 * after initialDelaySeconds, every periodSeconds (at most `maxIntervalMs` here, so a laptop
 * does not wait 10 s), ready after successThreshold passes, not ready after failureThreshold
 * failures. A restart (a new start time) starts over. The resolver reads the result
 * synchronously through `readinessOf`.
 */
export function createReadinessTracker(options: ReadinessTrackerOptions): ReadinessTracker {
  const now = options.now ?? Date.now;
  const maxIntervalMs = options.maxIntervalMs ?? 1_000;
  const entries = new Map<string, Entry>();
  /** Containers that leave, by id: never routed to again. */
  const retired = new Set<string>();
  let version = 0;
  let stopped = false;
  /** Containers by id, for the snapshot version it was built from. */
  let byId: { version: number; map: Map<string, DockerContainer> } = { version: -1, map: new Map() };

  const changed = (): void => {
    version++;
  };

  function find(snapshot: DockerSnapshot, id: string): DockerContainer | undefined {
    if (byId.version !== snapshot.version) byId = { version: snapshot.version, map: new Map(snapshot.containers.map((c) => [c.id, c])) };
    return byId.map.get(id);
  }

  function schedule(entry: Entry, delayMs: number): void {
    if (stopped || !entries.has(entry.container.id)) return;
    if (entry.timer !== null) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      void tick(entry);
    }, delayMs);
    entry.timer.unref();
  }

  function setReady(entry: Entry, ready: boolean, message: string): void {
    if (entry.ready === ready) return;
    entry.ready = ready;
    if (ready) entry.everReady = true;
    changed();
    options.onChange?.({ change: ready ? 'ready' : 'not-ready', container: entry.container, message });
  }

  function tick(entry: Entry): Promise<void> {
    if (entry.busy !== null) return entry.busy;
    entry.busy = check(entry).finally(() => {
      entry.busy = null;
      schedule(entry, Math.min(entry.plan.periodMs, maxIntervalMs));
    });
    return entry.busy;
  }

  async function check(entry: Entry): Promise<void> {
    if (stopped || !entries.has(entry.container.id)) return;
    if (options.index.status().state !== 'connected') return;
    const snapshot = options.index.snapshot();
    const c = find(snapshot, entry.container.id);
    const name = entry.container.name;
    if (c === undefined) {
      if (entry.seen) {
        untrack(entry.container.id);
        options.onGone?.(entry.container);
      }
      return; // not indexed yet: the engine's event has not arrived
    }
    entry.seen = true;
    if (c.state !== 'running') {
      if (c.exitCode !== null) entry.exitCode = c.exitCode;
      if (entry.running) {
        entry.running = false;
        const code = c.exitCode === null ? '' : ` with code ${c.exitCode}`;
        options.onChange?.({ change: 'exited', container: entry.container, message: `container ${name} exited${code}` });
      }
      entry.last = c.state === 'restarting' ? 'the container is restarting' : `the container is ${c.state}`;
      setReady(entry, false, `container ${name} is not ready: it is ${c.state}`);
      return;
    }
    entry.running = true;
    if (c.startedAt !== entry.generation) {
      const restarted = entry.generation !== undefined;
      entry.generation = c.startedAt;
      entry.since = now();
      entry.successes = 0;
      entry.failures = 0;
      entry.everReady = false;
      entry.last = null;
      if (entry.ready) entry.ready = false;
      changed();
      if (restarted) {
        // The code seen when it went down: Docker resets a running container's to 0 (issue 10
        // item 18), so a 0 read now says nothing; another engine may keep the real one.
        const exitCode = entry.exitCode ?? (c.exitCode === 0 ? null : c.exitCode);
        const code = exitCode === null ? '' : ` (it had exited with code ${exitCode})`;
        entry.exitCode = null;
        options.onChange?.({ change: 'restarted', container: entry.container, message: `container ${name} restarted${code}` });
      }
    }
    const plan = entry.plan;
    if (plan.probe === null) {
      setReady(entry, true, `container ${name} is running`);
      return;
    }
    if (now() - entry.since < plan.initialDelayMs) return;
    const result = await runProbe(plan.probe, c, snapshot.addresses, plan.timeoutMs);
    if (!entries.has(entry.container.id) || entry.generation !== c.startedAt) return;
    if (entry.last !== result.detail) {
      entry.last = result.detail;
      if (!entry.ready) changed(); // the 503 hint shows the last result
    }
    if (result.ok) {
      entry.failures = 0;
      entry.successes++;
      if (entry.successes >= plan.successThreshold) setReady(entry, true, `container ${name} is ready (${plan.description}: ${result.detail})`);
    } else {
      entry.successes = 0;
      entry.failures++;
      if (entry.ready && entry.failures >= plan.failureThreshold) {
        setReady(entry, false, `container ${name} is not ready: ${plan.description} failed ${entry.failures} times (${result.detail})`);
      }
    }
  }

  async function runProbe(probe: Probe, c: DockerContainer, addresses: DockerSnapshot['addresses'], timeoutMs: number): Promise<ProbeResult> {
    switch (probe.kind) {
      case 'never':
        return { ok: false, detail: probe.why };
      case 'exec':
        if (options.exec === undefined) return { ok: false, detail: 'exec probes are not available' };
        return options.exec(c.id, probe.command, timeoutMs).catch((error: unknown) => ({ ok: false, detail: error instanceof Error ? error.message : String(error) }));
      case 'http':
      case 'tcp': {
        const address = addressOf(c, probe.port, addresses);
        if (!address.ok) return { ok: false, detail: address.reason };
        const target = { host: address.host, port: address.port, published: address.how === 'published' };
        if (options.check !== undefined) return options.check(probe, target, timeoutMs);
        if (probe.kind === 'tcp') return probeTcp(target.host, target.port, timeoutMs, target.published ? 200 : 0);
        return probeHttp({ scheme: probe.scheme, host: target.host, port: target.port, path: probe.path, hostHeader: probe.host, headers: probe.headers }, timeoutMs);
      }
    }
  }

  function untrack(id: string): void {
    const entry = entries.get(id);
    if (entry === undefined) return;
    if (entry.timer !== null) clearTimeout(entry.timer);
    entries.delete(id);
    changed();
  }

  return {
    version: () => version,
    readinessOf(c: DockerContainer): ContainerReadiness | undefined {
      if (retired.has(c.id)) {
        return { ready: false, reason: `container ${c.name} is terminating (a rollout or a scale-down replaces it)`, hint: 'Its replacement receives requests as soon as it is ready' };
      }
      const entry = entries.get(c.id);
      if (entry === undefined) return undefined;
      if (entry.plan.probe === null) return { ready: true };
      if (entry.ready && entry.generation === c.startedAt) return { ready: true };
      const description = entry.plan.description;
      const logs = `docker logs ${c.name} shows what it is doing`;
      const reason = entry.everReady && entry.generation === c.startedAt
        ? `container ${c.name} is not ready (${description} failed ${entry.failures} times)`
        : `container ${c.name} is not ready yet (${description})`;
      const hint = entry.last === null
        ? `It receives requests as soon as its check passes; ${logs}`
        : `The last check: ${entry.last}. It receives requests as soon as the check passes; ${logs}`;
      return { ready: false, reason, hint };
    },
    track(container, plan) {
      const existing = entries.get(container.id);
      if (existing !== undefined) {
        existing.plan = plan;
        return;
      }
      const entry: Entry = {
        container,
        plan,
        generation: undefined,
        since: now(),
        ready: false,
        everReady: false,
        successes: 0,
        failures: 0,
        last: null,
        seen: false,
        running: false,
        exitCode: null,
        timer: null,
        busy: null,
      };
      entries.set(container.id, entry);
      changed();
      schedule(entry, 0);
    },
    update(id, plan) {
      const entry = entries.get(id);
      if (entry === undefined || samePlan(entry.plan, plan)) return;
      entry.plan = plan;
      entry.successes = 0;
      entry.failures = 0;
      changed();
      schedule(entry, 0);
    },
    untrack,
    retire(id) {
      if (retired.has(id)) return;
      retired.add(id);
      const entry = entries.get(id);
      if (entry?.timer !== null && entry?.timer !== undefined) clearTimeout(entry.timer);
      entries.delete(id);
      changed();
    },
    has: (id) => entries.has(id),
    isReady(id) {
      const entry = entries.get(id);
      return entry !== undefined && entry.running && entry.ready;
    },
    async checkAll() {
      await Promise.all([...entries.values()].map((e) => tick(e)));
    },
    stop() {
      stopped = true;
      for (const entry of entries.values()) if (entry.timer !== null) clearTimeout(entry.timer);
      entries.clear();
      retired.clear();
      changed();
    },
  };
}

function samePlan(a: ReadinessPlan, b: ReadinessPlan): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
