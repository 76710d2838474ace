import { useSyncExternalStore } from 'react';
import type { RequestSnapshot, RequestStore } from './request-store.js';

/** The requests pane's view of the store: re-renders at most once per batch, never per request. */
export function useRequests(store: RequestStore): RequestSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
