import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRequestStore } from './request-store.js';
import { fakeBus, fakeRequest } from './ui.test-util.js';

describe('request store', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('keeps the last 1,000 requests, oldest first', () => {
    const store = createRequestStore();
    for (let i = 0; i < 2_500; i++) store.record(fakeRequest({ path: `/r${i}` }));
    vi.advanceTimersByTime(50);
    const { visible, recorded } = store.getSnapshot();
    expect(recorded).toBe(1_000);
    expect(visible).toHaveLength(1_000);
    expect(visible[0]?.event.path).toBe('/r1500');
    expect(visible.at(-1)?.event.path).toBe('/r2499');
  });

  it('turns a burst of 10,000 requests into a handful of notifications, none before the batch ends', () => {
    const store = createRequestStore();
    const listener = vi.fn();
    store.subscribe(listener);
    for (let i = 0; i < 10_000; i++) store.record(fakeRequest());
    expect(listener).not.toHaveBeenCalled();
    vi.advanceTimersByTime(50);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot().visible).toHaveLength(1_000);
  });

  it('batches a steady stream to one notification per 50 ms', () => {
    const store = createRequestStore();
    const listener = vi.fn();
    store.subscribe(listener);
    // 10,000 requests over one second: 10 per millisecond.
    for (let ms = 0; ms < 1_000; ms++) {
      for (let i = 0; i < 10; i++) store.record(fakeRequest());
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(50);
    expect(listener.mock.calls.length).toBeGreaterThanOrEqual(19);
    expect(listener.mock.calls.length).toBeLessThanOrEqual(21);
  });

  it('returns the same snapshot until something changed (for useSyncExternalStore)', () => {
    const store = createRequestStore();
    const first = store.getSnapshot();
    expect(store.getSnapshot()).toBe(first);
    store.record(fakeRequest());
    expect(store.getSnapshot()).toBe(first);
    vi.advanceTimersByTime(50);
    expect(store.getSnapshot()).not.toBe(first);
  });

  it('pause freezes the visible list while it keeps recording; resume shows everything', () => {
    const store = createRequestStore();
    store.record(fakeRequest({ path: '/before' }));
    vi.advanceTimersByTime(50);
    store.setPaused(true);
    for (let i = 0; i < 5; i++) store.record(fakeRequest({ path: `/during${i}` }));
    vi.advanceTimersByTime(50);
    let snapshot = store.getSnapshot();
    expect(snapshot.paused).toBe(true);
    expect(snapshot.visible.map((e) => e.event.path)).toEqual(['/before']);
    expect(snapshot.newWhilePaused).toBe(5);
    store.setPaused(false);
    snapshot = store.getSnapshot();
    expect(snapshot.visible).toHaveLength(6);
    expect(snapshot.newWhilePaused).toBe(0);
  });

  it('clear empties the list, and later requests start a new one', () => {
    const store = createRequestStore();
    for (let i = 0; i < 3; i++) store.record(fakeRequest());
    store.clear();
    expect(store.getSnapshot().visible).toHaveLength(0);
    store.record(fakeRequest({ path: '/after' }));
    vi.advanceTimersByTime(50);
    expect(store.getSnapshot().visible.map((e) => e.event.path)).toEqual(['/after']);
  });

  it('filters by host, path, status and route id, case-insensitively', () => {
    const store = createRequestStore();
    store.record(fakeRequest({ host: 'App.example.com', path: '/api/users', status: 200, routeId: 'ingress:default/web#r0.p1' }));
    store.record(fakeRequest({ host: 'shop.example.com', path: '/cart', status: 503, routeId: 'ingress:shop/store#r0.p0' }));
    store.record(fakeRequest({ host: 'other.test', path: 'http://other.test/x', status: 404, routeId: null }));
    vi.advanceTimersByTime(50);
    const paths = (filter: string): string[] => {
      store.setFilter(filter);
      return store.getSnapshot().visible.map((e) => e.event.path);
    };
    expect(paths('app.EXAMPLE')).toEqual(['/api/users']);
    expect(paths('/cart')).toEqual(['/cart']);
    expect(paths('app.example.com/api')).toEqual(['/api/users']);
    expect(paths('503')).toEqual(['/cart']);
    expect(paths('shop/store')).toEqual(['/cart']);
    expect(paths('no route')).toEqual(['http://other.test/x']);
    expect(paths('nothing-matches')).toEqual([]);
    expect(paths('')).toHaveLength(3);
  });

  it('is fed by the event bus until disconnected', () => {
    const store = createRequestStore();
    const bus = fakeBus();
    const disconnect = store.connect(bus);
    bus.emit(fakeRequest());
    bus.emit({ type: 'backend-changed', at: 0, service: 'default/web:80', target: null, state: 'unmapped' });
    disconnect();
    bus.emit(fakeRequest());
    vi.advanceTimersByTime(50);
    expect(store.getSnapshot().visible).toHaveLength(1);
  });

  it('gives each request its own sequence number, even when clients repeat X-Request-ID', () => {
    const store = createRequestStore();
    store.record(fakeRequest({ id: 'same' }));
    store.record(fakeRequest({ id: 'same' }));
    vi.advanceTimersByTime(50);
    const [a, b] = store.getSnapshot().visible;
    expect(a?.seq).not.toBe(b?.seq);
  });
});
