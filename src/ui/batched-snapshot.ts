/**
 * A value read with `useSyncExternalStore`, whose changes are published at most once per
 * `batchMs`: events come in bursts (health rounds, pull progress), renders must not.
 */
export interface BatchedSnapshot<T> {
  /** The latest value, published or not: what the next change builds on. */
  next(): T;
  /** Replaces the value; listeners hear of it within `batchMs`. */
  set(value: T): void;
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
  /** No more notifications. */
  dispose(): void;
}

export function createBatchedSnapshot<T>(initial: T, batchMs: number): BatchedSnapshot<T> {
  const listeners = new Set<() => void>();
  let snapshot = initial;
  let next = initial;
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    next: () => next,
    set(value) {
      next = value;
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        snapshot = next;
        for (const listener of listeners) listener();
      }, batchMs);
      timer.unref?.();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    dispose() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
