import { connect, type Socket } from 'node:net';
import { tableBackends } from '../model/table-backends.js';
import type { EventBus } from '../events/bus.js';
import type { BackendChanged } from '../events/types.js';
import type { RouteTable, ServiceBackend } from '../model/types.js';
import { formatTarget, type BackendResolver } from './types.js';

export type BackendState = BackendChanged['state'];

/** What the checker reads each round: the table in use and the resolver of the moment. */
export interface HealthInputs {
  readonly table: RouteTable;
  readonly resolver: BackendResolver;
}

export interface HealthCheckerOptions {
  readonly getState: () => HealthInputs;
  readonly events: EventBus;
  /** Time between two rounds; default 2 s. */
  readonly intervalMs?: number;
  /** Connect timeout of one probe; default 1 s. */
  readonly timeoutMs?: number;
  /** How a target is probed; a TCP connect by default. Tests replace it. */
  readonly probe?: (host: string, port: number, timeoutMs: number) => Promise<boolean>;
}

export interface HealthChecker {
  /** Run a round now (rounds never overlap); resolves when its probes have answered. */
  check(): Promise<void>;
  /** The last state of every backend in use, by `backendKey`. */
  states(): ReadonlyMap<string, BackendChanged>;
  stop(): void;
}

/** `default/web:80`: how a Service port is named in `backend-changed` events. */
export function backendKey(backend: ServiceBackend): string {
  return `${backend.namespace}/${backend.service}:${backend.port ?? backend.portName ?? '?'}`;
}

/**
 * Probes every distinct target in use in the background, so the UI can mark each route's
 * backend reachable, refused or unmapped. Probes never touch the request path: they run on
 * their own timers (unref'd, so they never keep the process alive), one TCP connect per
 * distinct address per round, and an event is emitted only when a backend's state changes.
 */
export function createHealthChecker(options: HealthCheckerOptions): HealthChecker {
  const intervalMs = options.intervalMs ?? 2_000;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const probe = options.probe ?? probeTcp;
  const states = new Map<string, BackendChanged>();
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function runRound(): Promise<void> {
    const { table, resolver } = options.getState();
    const probes = new Map<string, Promise<BackendState>>();
    const results = await Promise.all(
      backendsOf(table).map(async (backend) => {
        const key = backendKey(backend);
        // The proxy answers a backend with a problem (missing Service or port) with 503, mapped or not.
        const resolution = backend.problem === null ? resolver.resolve(backend, { peek: true }) : null;
        if (resolution === null || resolution.kind === 'unavailable') {
          // Containers that exist but cannot take a request (not ready, exited), or a failed workload of `--run`, are down, not unmapped.
          const state: BackendState = resolution?.kind === 'unavailable' && resolution.cause !== 'unmapped' ? 'refused' : 'unmapped';
          return { key, target: null, via: undefined, state };
        }
        const target = formatTarget(resolution.target);
        const via = resolution.via;
        if (resolution.target.kind === 'echo') return { key, target, via, state: 'reachable' as const };
        const { host, port } = resolution.target;
        let pending = probes.get(target);
        if (pending === undefined) {
          pending = probe(host, port, timeoutMs).then((ok) => (ok ? 'reachable' : 'refused'));
          probes.set(target, pending);
        }
        return { key, target, via, state: await pending };
      }),
    );
    if (stopped) return;
    const inUse = new Set<string>();
    for (const { key, target, via, state } of results) {
      inUse.add(key);
      const previous = states.get(key);
      if (previous?.state === state && previous.target === target) continue;
      const event: BackendChanged = { type: 'backend-changed', at: Date.now(), service: key, target, state, ...(via === undefined ? {} : { via }) };
      states.set(key, event);
      options.events.emit(event);
    }
    for (const key of states.keys()) if (!inUse.has(key)) states.delete(key);
  }

  function check(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running !== null) {
      // The round in flight read the state before this request: run one more after it.
      again = true;
      return running;
    }
    running = runRound()
      .catch(() => undefined) // a resolver bug must not stop the checks
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          void check();
        }
      });
    return running;
  }

  // A reload may bring new backends, and a container that started or stopped new addresses:
  // check them now rather than at the next tick.
  const offs = [options.events.on('config-applied', () => void check()), options.events.on('docker-changed', () => void check())];
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  void check();

  return {
    check,
    states: () => states,
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const off of offs) off();
    },
  };
}

function backendsOf(table: RouteTable): ServiceBackend[] {
  const seen = new Map<string, ServiceBackend>();
  const all = tableBackends(table);
  for (const backend of all) {
    if (backend.kind === 'service' && !seen.has(backendKey(backend))) seen.set(backendKey(backend), backend);
  }
  return [...seen.values()];
}

/** Resolves true when a TCP connection opens within the timeout; never rejects. */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let socket: Socket | null = null;
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket?.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    timer.unref();
    socket = connect({ host, port });
    socket.unref();
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
