import type { BackendResolver } from '../backends/types.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { createBatchedSnapshot } from './batched-snapshot.js';
import type { EventBus } from '../events/bus.js';
import type { BackendChanged, RouteChanges } from '../events/types.js';
import type { RouteTable } from '../model/types.js';

/** What the CLI serves right now. Read again after every reload event. */
export interface UiState {
  readonly table: RouteTable;
  readonly resolver: BackendResolver;
  /** Diagnostics of the state in use (loader and compiler). */
  readonly diagnostics: readonly Diagnostic[];
  /** How many manifest files were read. */
  readonly files: number;
}

/** The last reload, applied or rejected. */
export interface ReloadOutcome {
  readonly ok: boolean;
  readonly at: number;
  readonly trigger: string;
  readonly durationMs: number;
  readonly changes: RouteChanges | null;
  /** For a rejected reload: why (the last good state keeps serving). */
  readonly rejection: readonly Diagnostic[];
  readonly restartNeeded: string | null;
  /** The `r` key's reload found nothing to change (the state served is the same). */
  readonly unchanged: boolean;
}

export interface StatusSnapshot {
  readonly state: UiState;
  readonly lastReload: ReloadOutcome | null;
  /** The last `backend-changed` of each backend, by `backendKey` (`default/web:80`). */
  readonly backends: ReadonlyMap<string, BackendChanged>;
}

export interface StatusStore {
  subscribe(listener: () => void): () => void;
  getSnapshot(): StatusSnapshot;
  /** Stop listening to the bus. */
  dispose(): void;
}

/**
 * Everything but the requests: the state in use, the last reload and the backends' health.
 * These events are rare, but health rounds come in bursts (one event per backend), so
 * notifications are batched like the requests'.
 */
export function createStatusStore(events: EventBus, getState: () => UiState, batchMs = 50): StatusStore {
  const store = createBatchedSnapshot<StatusSnapshot>({ state: getState(), lastReload: null, backends: new Map() }, batchMs);
  const update = (change: Partial<StatusSnapshot>): void => store.set({ ...store.next(), ...change });

  const offs = [
    events.on('config-applied', (e) => {
      const before = store.next().state;
      const state = getState();
      // A reload swaps the state reference only when something changed (DESIGN.md): the same
      // reference after the `r` key's reload means it found nothing to change.
      const unchanged = e.trigger === 'manual' && state === before;
      update({
        state,
        lastReload: { ok: true, at: e.at, trigger: e.trigger, durationMs: e.durationMs, changes: e.changes, rejection: [], restartNeeded: e.restartNeeded, unchanged },
      });
    }),
    events.on('config-rejected', (e) =>
      update({
        state: getState(),
        lastReload: { ok: false, at: e.at, trigger: e.trigger, durationMs: e.durationMs, changes: null, rejection: e.diagnostics, restartNeeded: null, unchanged: false },
      }),
    ),
    events.on('backend-changed', (e) => update({ backends: new Map(store.next().backends).set(e.service, e) })),
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
