import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from './App.js';
import { createUiStores, type UiStores } from './ui-stores.js';
import { fakeBus, fakeRequest, plain, sampleState, waitFor } from './ui.test-util.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** The App on stores made earlier, as `up` mounts it once Ink has loaded. */
function mount(stores: UiStores) {
  const ui = render(<App version="9.9.9" urls={['http://127.0.0.1:8080']} requests={stores.requests} status={stores.status} onReload={() => {}} onQuit={() => {}} size={{ columns: 100, rows: 30 }} />);
  cleanups.push(() => ui.unmount());
  const frame = (): string => plain(ui.lastFrame());
  return {
    until: (condition: (frame: string) => boolean): Promise<string> => waitFor(() => (condition(frame()) ? frame() : null), frame),
  };
}

describe('UI stores', () => {
  // Issue 9: `up` served the first requests before Ink had loaded, and the Requests pane never
  // showed them. The stores subscribe first; the UI mounts on what they already hold.
  it('issue 9: requests, a reload and a health round from before the UI mounted are on its first frames', async () => {
    const bus = fakeBus();
    const state = sampleState();
    const stores = createUiStores({ events: bus, getState: () => state });
    cleanups.push(() => stores.dispose());

    bus.emit(fakeRequest({ path: '/api/first' }));
    bus.emit(fakeRequest({ path: '/api/second' }));
    bus.emit({ type: 'config-applied', at: Date.UTC(2026, 0, 2, 3, 4, 5), trigger: 'web.yaml', routes: 5, files: 3, changes: { added: [], removed: [], changed: [] }, diagnostics: state.diagnostics, durationMs: 7, restartNeeded: null });
    bus.emit({ type: 'backend-changed', at: 1, service: 'default/web:80', target: 'http://127.0.0.1:3000', state: 'reachable' });
    // The last one is still inside the store's batching window when the UI mounts.
    await waitFor(() => stores.requests.getSnapshot().recorded === 2, () => 'the first two requests in the store');
    bus.emit(fakeRequest({ path: '/api/third' }));

    const f = await mount(stores).until((s) => s.includes('[Requests 3]') && s.includes('app.example.com/api/third') && s.includes('backends 2 reachable'));
    for (const path of ['/api/first', '/api/second', '/api/third']) expect(f).toContain(`app.example.com${path}`);
    expect(f).toMatch(/reload \d\d:\d\d:\d\d ok 7ms \(web\.yaml\)/);
    expect(f).toContain('backends 2 reachable · 2 unmapped · 1 checking');
  });
});
