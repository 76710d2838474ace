import { createBatchedSnapshot } from './batched-snapshot.js';

/**
 * What the containers of `up --run` write, for the UI's log view: the newest lines of all of them,
 * each already prefixed with its container (`shop-web-1 | listening`), bounded, with batched
 * notifications (a chatty container writes in bursts). No Ink here: the CLI feeds it.
 */

export interface LogLine {
  readonly seq: number;
  /** As written, with its container's prefix: `shop-web-1 | listening on 3000`. */
  readonly text: string;
  readonly stream: 'stdout' | 'stderr';
  /** The container that wrote it (its prefix), for the view of one workload or container. */
  readonly container: string | null;
}

export interface LogSnapshot {
  readonly lines: readonly LogLine[];
  /** Lines dropped to stay within the capacity. */
  readonly dropped: number;
}

export interface LogStore {
  /** Text as written (one or more whole lines ending in `\n`). */
  append(text: string, stream: LogLine['stream']): void;
  subscribe(listener: () => void): () => void;
  getSnapshot(): LogSnapshot;
  dispose(): void;
}

export function createLogStore(capacity = 1_000, batchMs = 50): LogStore {
  const store = createBatchedSnapshot<LogSnapshot>({ lines: [], dropped: 0 }, batchMs);
  let seq = 0;
  return {
    append(text, stream) {
      const added = text
        .split('\n')
        .filter((part, i, parts) => part !== '' || i < parts.length - 1)
        .map((part) => ({ seq: ++seq, text: part, stream, container: /^(\S+) \| /.exec(part)?.[1] ?? null }));
      if (added.length === 0) return;
      const current = store.next();
      const all = [...current.lines, ...added];
      const over = Math.max(0, all.length - capacity);
      store.set({ lines: over === 0 ? all : all.slice(over), dropped: current.dropped + over });
    },
    subscribe: store.subscribe,
    getSnapshot: store.getSnapshot,
    dispose: store.dispose,
  };
}
