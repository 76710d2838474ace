import { useSyncExternalStore } from 'react';
import type { LogSnapshot, LogStore } from './log-store.js';

export function useLogs(store: LogStore): LogSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
