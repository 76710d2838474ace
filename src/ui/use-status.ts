import { useSyncExternalStore } from 'react';
import type { StatusSnapshot, StatusStore } from './status-store.js';

export function useStatus(store: StatusStore): StatusSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
