import type { EventBus } from '../events/bus.js';
import { createRequestStore, type RequestStore } from './request-store.js';
import { createStatusStore, type StatusStore, type UiState } from './status-store.js';
import { createWorkloadStore, type WorkloadStore } from './workload-store.js';
import { createLogStore, type LogStore } from './log-store.js';

export { createWorkloadStore, type WorkloadStore } from './workload-store.js';
export { createLogStore, type LogStore } from './log-store.js';

/** Everything the terminal UI reads: the requests, and the state, reloads and health of the run. */
export interface UiStores {
  readonly requests: RequestStore;
  readonly status: StatusStore;
  /** The workloads `up --run` runs (empty and inactive without it). */
  readonly workloads: WorkloadStore;
  /** What the containers of `up --run` write (empty without it). */
  readonly logs: LogStore;
  /** Stop listening to the bus and drop the pending notification timers (idempotent). */
  dispose(): void;
}

export interface UiStoresOptions {
  /** The bus the proxy, the reloader and the health checker emit on. */
  readonly events: EventBus;
  /** The state serving now; read at once and after every `config-applied` / `config-rejected`. */
  readonly getState: () => UiState;
  /** Requests kept for the list (default 1,000). */
  readonly capacity?: number;
  /**
   * A workload store made earlier: `up --run` pulls and starts the workloads before the routes
   * are served, and the store must hear of that from the first pull on. Disposed with the rest.
   */
  readonly workloads?: WorkloadStore;
  /** A log store the CLI feeds with the containers' output (made with the workload store). */
  readonly logs?: LogStore;
}

/**
 * The UI's stores, subscribed to the bus from this call on. The CLI creates them before the
 * proxy opens its port and before anything can emit, then loads Ink (which takes a while) and
 * hands them to `startUi`: a request served, a reload or a health round in between is already
 * in them when the first frame is drawn (DESIGN.md: no event is ever missed).
 *
 * No Ink and no React here, nor in what this imports: the CLI imports it statically.
 */
export function createUiStores(options: UiStoresOptions): UiStores {
  const requests = createRequestStore({ capacity: options.capacity });
  const disconnect = requests.connect(options.events);
  const status = createStatusStore(options.events, options.getState);
  const workloads = options.workloads ?? createWorkloadStore(options.events);
  const logs = options.logs ?? createLogStore();
  let disposed = false;
  return {
    requests,
    status,
    workloads,
    logs,
    dispose() {
      if (disposed) return;
      disposed = true;
      disconnect();
      requests.dispose();
      status.dispose();
      workloads.dispose();
      logs.dispose();
    },
  };
}
