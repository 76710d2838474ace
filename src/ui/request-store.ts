import type { EventBus } from '../events/bus.js';
import type { RequestCompleted } from '../events/types.js';
import { pathOf } from './text.js';

/** One recorded request. `seq` identifies it (X-Request-ID is the client's to choose, so it may repeat). */
export interface RequestEntry {
  readonly seq: number;
  readonly event: RequestCompleted;
}

/** What the requests pane shows; a new object only when something visible changed. */
export interface RequestSnapshot {
  /** The requests shown, oldest first: the filtered window, frozen while paused. */
  readonly visible: readonly RequestEntry[];
  /** Requests held (at most `capacity`). */
  readonly recorded: number;
  /** Requests recorded since the list was paused. */
  readonly newWhilePaused: number;
  readonly paused: boolean;
  readonly filter: string;
}

export interface RequestStore {
  /** Record one request; subscribers hear of it within `batchMs`, together with the rest of its burst. */
  record(event: RequestCompleted): void;
  subscribe(listener: () => void): () => void;
  /** A stable reference between notifications, for `useSyncExternalStore`. */
  getSnapshot(): RequestSnapshot;
  setPaused(paused: boolean): void;
  clear(): void;
  setFilter(text: string): void;
  /** Feed the store from a bus; returns the unsubscribe function. */
  connect(events: EventBus): () => void;
  /** Stop the pending notification timer. */
  dispose(): void;
}

export interface RequestStoreOptions {
  /** How many requests are kept; older ones are dropped. Default 1,000. */
  readonly capacity?: number;
  /** The longest a recorded request waits before subscribers hear of it. Default 50 ms. */
  readonly batchMs?: number;
}

/**
 * The bounded store between the proxy and the UI. Recording is O(1) and never renders: a
 * burst of thousands of requests becomes one notification per `batchMs`, so the proxy never
 * waits for the screen and the screen never flickers.
 */
export function createRequestStore(options: RequestStoreOptions = {}): RequestStore {
  const capacity = options.capacity ?? 1_000;
  const batchMs = options.batchMs ?? 50;
  const listeners = new Set<() => void>();
  // Appended to, and cut back to `capacity` only when it reaches twice that: O(1) amortised.
  let entries: RequestEntry[] = [];
  let seq = 0;
  let paused = false;
  let frozen: readonly RequestEntry[] = [];
  let newWhilePaused = 0;
  let filter = '';
  let timer: ReturnType<typeof setTimeout> | null = null;
  let snapshot: RequestSnapshot = build();

  function windowOf(): RequestEntry[] {
    if (entries.length > capacity) entries = entries.slice(-capacity);
    return entries;
  }

  function build(): RequestSnapshot {
    const source = paused ? frozen : windowOf();
    const needle = filter.trim().toLowerCase();
    return {
      visible: needle === '' ? [...source] : source.filter((entry) => matchesFilter(entry.event, needle)),
      recorded: Math.min(entries.length, capacity),
      newWhilePaused,
      paused,
      filter,
    };
  }

  function notify(): void {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    snapshot = build();
    for (const listener of listeners) listener();
  }

  function schedule(): void {
    if (timer !== null) return;
    timer = setTimeout(notify, batchMs);
    timer.unref?.();
  }

  function record(event: RequestCompleted): void {
    entries.push({ seq: ++seq, event });
    if (entries.length >= capacity * 2) entries = entries.slice(-capacity);
    if (paused) newWhilePaused++;
    schedule();
  }

  return {
    record,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    setPaused(value) {
      if (value === paused) return;
      paused = value;
      frozen = paused ? [...windowOf()] : [];
      newWhilePaused = 0;
      notify();
    },
    clear() {
      entries = [];
      frozen = [];
      newWhilePaused = 0;
      notify();
    },
    setFilter(text) {
      if (text === filter) return;
      filter = text;
      notify();
    },
    connect(events) {
      return events.on('request-completed', record);
    },
    dispose() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

/** A request matches when its host+path, status or route id contains the text (case-insensitive). */
export function matchesFilter(event: RequestCompleted, needle: string): boolean {
  return (
    `${event.host}${pathOf(event.path)}`.toLowerCase().includes(needle) ||
    String(event.status).includes(needle) ||
    (event.routeId ?? 'no route').toLowerCase().includes(needle)
  );
}
