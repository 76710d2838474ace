import { useSyncExternalStore } from 'react';
import type { WorkloadSnapshot, WorkloadStore } from './workload-store.js';

export function useWorkloads(store: WorkloadStore): WorkloadSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
