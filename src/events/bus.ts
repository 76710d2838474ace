import type { IngressDevEvent } from './types.js';

type Listener<E> = (event: E) => void;

/** A small typed event bus: the core emits plain values, the UI and loggers subscribe. */
export interface EventBus {
  emit(event: IngressDevEvent): void;
  on<T extends IngressDevEvent['type']>(type: T, listener: Listener<Extract<IngressDevEvent, { type: T }>>): () => void;
  onAny(listener: Listener<IngressDevEvent>): () => void;
}

export function createEventBus(): EventBus {
  const listeners = new Set<Listener<IngressDevEvent>>();
  return {
    emit(event) {
      for (const l of listeners) {
        // A failing subscriber must not break the request that emitted the event.
        try {
          l(event);
        } catch {
          /* ignored on purpose */
        }
      }
    },
    on(type, listener) {
      const wrapped: Listener<IngressDevEvent> = (e) => {
        if (e.type === type) listener(e as Extract<IngressDevEvent, { type: typeof type }>);
      };
      listeners.add(wrapped);
      return () => listeners.delete(wrapped);
    },
    onAny(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
