import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkloadsApplied } from '../events/types.js';
import { App } from './App.js';
import { createLogStore } from './log-store.js';
import { createUiStores } from './ui-stores.js';
import { fakeBus, keys, plain, sampleState, waitFor } from './ui.test-util.js';

// Issue 10 item 3: "In the UI, a key on a workload or container shows its log". `l` on the
// Workloads pane shows what the containers of `up --run` write, each line with its container.

const unmounts: (() => void)[] = [];
afterEach(() => {
  for (const u of unmounts.splice(0)) u();
});

const applied: WorkloadsApplied = {
  type: 'workloads-applied',
  at: 0,
  workloads: [{ workload: 'Deployment default/web', image: 'ingress-dev-test/httpd:latest', action: 'created', containers: [{ id: 'a', name: 'shop-web-1' }], leaving: [], rollout: null, error: null }],
  diagnostics: [],
  engine: null,
};

describe('the log view of up --run', () => {
  it('keeps the newest lines within its capacity and says how many it dropped', () => {
    const store = createLogStore(3, 0);
    store.append('a | 1\na | 2\n', 'stdout');
    store.append('a | 3\na | 4\n', 'stderr');
    return waitFor(
      () => (store.getSnapshot().lines.length === 3 ? store.getSnapshot() : null),
      () => 'no snapshot',
    ).then((snapshot) => {
      expect(snapshot.lines.map((l) => [l.text, l.stream])).toEqual([['a | 2', 'stdout'], ['a | 3', 'stderr'], ['a | 4', 'stderr']]);
      expect(snapshot.dropped).toBe(1);
      store.dispose();
    });
  });

  it('l on the Workloads pane shows the containers\' output, follows new lines, and Esc closes it', async () => {
    const bus = fakeBus();
    const logs = createLogStore();
    const stores = createUiStores({ events: bus, getState: () => sampleState({ diagnostics: [] }), logs });
    unmounts.push(() => stores.dispose());
    bus.emit(applied);
    logs.append('shop-web-1 | listening on 8080\n', 'stdout');
    logs.append('shop-web-1 | warning: no config\n', 'stderr');
    const ui = render(<App version="9" urls={['http://127.0.0.1:8080']} requests={stores.requests} status={stores.status} workloads={stores.workloads} logs={stores.logs} onReload={() => {}} onQuit={() => {}} size={{ columns: 100, rows: 20 }} />);
    unmounts.push(ui.unmount);
    const frame = (): string => plain(ui.lastFrame());
    const until = (ok: (f: string) => boolean): Promise<string> => waitFor(() => (ok(frame()) ? frame() : null), frame);
    await until((s) => s.includes('Workloads 1'));
    for (const _ of [1, 2, 3]) ui.stdin.write(keys.tab);
    await until((s) => s.includes('[Workloads 1]'));
    ui.stdin.write('L');
    let f = await until((s) => s.includes('Container output (all containers)'));
    expect(f).toContain('shop-web-1 | listening on 8080');
    expect(f).toContain('shop-web-1 | warning: no config');
    logs.append('shop-web-1 | GET / 200\n', 'stdout');
    f = await until((s) => s.includes('shop-web-1 | GET / 200'));
    ui.stdin.write(keys.escape);
    f = await until((s) => !s.includes('Container output'));
    expect(f).toContain('[Workloads 1]');
  });

  it('l shows what the selected workload or container writes: ↓ selects, a rollout\'s replaced container stays in its workload\'s view', async () => {
    const bus = fakeBus();
    const logs = createLogStore();
    const stores = createUiStores({ events: bus, getState: () => sampleState({ diagnostics: [] }), logs });
    unmounts.push(() => stores.dispose());
    const api = { workload: 'Deployment default/api', image: 'ingress-dev-test/echo:latest', action: 'created' as const, containers: [{ id: 'c', name: 'shop-api-1' }], leaving: [], rollout: null, error: null };
    const web = { ...applied.workloads[0]!, containers: [{ id: 'a', name: 'shop-web-1' }, { id: 'b', name: 'shop-web-2' }] };
    bus.emit({ ...applied, workloads: [web, api] });
    // web-2 is replaced by web-2-3f2a1 in a rollout: its lines stay under Deployment default/web.
    bus.emit({ ...applied, workloads: [{ ...web, containers: [{ id: 'a', name: 'shop-web-1' }, { id: 'd', name: 'shop-web-2-3f2a1' }] }, api] });
    logs.append('shop-web-1 | web one\nshop-web-2 | web two, old version\nshop-api-1 | api listening\nshop-web-2-3f2a1 | web two, new version\n', 'stdout');
    const ui = render(<App version="9" urls={['http://127.0.0.1:8080']} requests={stores.requests} status={stores.status} workloads={stores.workloads} logs={stores.logs} onReload={() => {}} onQuit={() => {}} size={{ columns: 100, rows: 20 }} />);
    unmounts.push(ui.unmount);
    const frame = (): string => plain(ui.lastFrame());
    const until = (ok: (f: string) => boolean): Promise<string> => waitFor(() => (ok(frame()) ? frame() : null), frame);
    await until((s) => s.includes('Workloads 2'));
    ui.stdin.write(keys.shiftTab);
    await until((s) => s.includes('[Workloads 2]'));
    // The first row, Deployment default/web, is selected: its containers' lines, prefixed.
    ui.stdin.write('l');
    let f = await until((s) => s.includes('Output of Deployment default/web'));
    expect(f).toContain('shop-web-1 | web one');
    expect(f).toContain('shop-web-2 | web two, old version');
    expect(f).toContain('shop-web-2-3f2a1 | web two, new version');
    expect(f).not.toContain('api listening');
    ui.stdin.write(keys.escape);
    await until((s) => !s.includes('Output of'));
    // Down past web's two containers to Deployment default/api, then its container: one container, no prefix.
    ui.stdin.write(`${keys.down}${keys.down}${keys.down}${keys.down}`);
    ui.stdin.write(keys.enter);
    f = await until((s) => s.includes('Output of container shop-api-1'));
    expect(f).toMatch(/^api listening$/m);
    expect(f).not.toContain('web one');
  });
});
