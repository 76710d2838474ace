import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App, type QuitKey } from './App.js';
import { createRequestStore } from './request-store.js';
import { createStatusStore, type UiState } from './status-store.js';
import { fakeBus, fakeRequest, keys, plain, sampleDiagnostics, sampleState, waitFor } from './ui.test-util.js';
import type { TerminalSize } from './use-terminal-size.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function renderApp(options: { size?: TerminalSize | null; state?: () => UiState; https?: { url: string; caFile: string; servedBySecret?: (host: string) => boolean } } = {}) {
  const bus = fakeBus();
  const requests = createRequestStore();
  const disconnect = requests.connect(bus);
  const fixedState = sampleState();
  const status = createStatusStore(bus, options.state ?? (() => fixedState));
  const onReload = vi.fn<() => void>();
  const onQuit = vi.fn<(key: QuitKey) => void>();
  const size = options.size === null ? undefined : (options.size ?? { columns: 100, rows: 30 });
  const ui = render(
    <App version="9.9.9" urls={options.https === undefined ? ['http://127.0.0.1:8080'] : ['http://127.0.0.1:8080', options.https.url]} {...(options.https === undefined ? {} : { caFile: options.https.caFile })} {...(options.https?.servedBySecret === undefined ? {} : { servedBySecret: options.https.servedBySecret })} requests={requests} status={status} onReload={onReload} onQuit={onQuit} size={size} />,
  );
  cleanups.push(() => {
    ui.unmount();
    disconnect();
    requests.dispose();
    status.dispose();
  });
  const frame = (): string => plain(ui.lastFrame());
  const until = (condition: (frame: string) => boolean, what = 'the frame'): Promise<string> =>
    waitFor(() => {
      const f = frame();
      return condition(f) ? f : null;
    }, () => `${what}\n${frame()}`);
  const press = async (key: string): Promise<void> => {
    ui.stdin.write(key);
    // Ink reads input on its next turn; a lone Esc waits for one more.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { ui, bus, requests, status, onReload, onQuit, frame, until, press };
}

/** The row of the requests pane that holds `text`. */
function rowWith(frame: string, text: string): string {
  return frame.split('\n').find((l) => l.includes(text)) ?? '';
}

describe('App', () => {
  it('shows the header: version, URL, profile, manifests, routes, and the state of the backends', async () => {
    const app = renderApp();
    let f = await app.until((s) => s.includes('ingress-dev 9.9.9'));
    expect(f).toContain('http://127.0.0.1:8080');
    expect(f).toContain('profile spec · 3 manifests · 5 routes');
    expect(f).toContain('loaded ');
    // stub is echo (reachable); store and ghost are unmapped; web and api are not probed yet.
    expect(f).toContain('backends 1 reachable · 2 unmapped · 2 checking');
    app.bus.emit({ type: 'backend-changed', at: 1, service: 'default/web:80', target: 'http://127.0.0.1:3000', state: 'reachable' });
    app.bus.emit({ type: 'backend-changed', at: 1, service: 'default/api:8080', target: 'http://127.0.0.1:4000', state: 'refused' });
    f = await app.until((s) => s.includes('backends 2 reachable · 1 refused · 2 unmapped'));
    expect(f).toContain('[Requests 0]');
    expect(f).toContain("Waiting for requests: curl -H 'Host: app.example.com' http://127.0.0.1:8080/");
  });

  it('with HTTPS on, shows its port in the header and a curl --cacert that works on a line of its own (issue 12)', async () => {
    const app = renderApp({ https: { url: 'https://127.0.0.1:8443', caFile: '/home/you/.local/share/ingress-dev/ca/rootCA.pem' } });
    const f = await app.until((s) => s.includes('Waiting for requests'));
    expect(f).toContain('ingress-dev 9.9.9  http://127.0.0.1:8080 https:8443  profile spec');
    expect(f).toContain("Waiting for requests: curl -H 'Host: app.example.com' http://127.0.0.1:8080/\n");
    // Wrapped at the pane's width, not cut: every character of the command is on screen.
    const hint = f.slice(f.indexOf('or: curl')).split('\n').slice(0, 2).map((l) => l.trim()).join('');
    expect(hint).toBe('or: curl --cacert /home/you/.local/share/ingress-dev/ca/rootCA.pem --resolve app.example.com:8443:127.0.0.1 https://app.example.com:8443/');
  });

  it('names a host whose certificate is the folder\'s Secret by its .localhost alias in the curl --cacert hint, whose certificate the local CA signs', async () => {
    const app = renderApp({ https: { url: 'https://127.0.0.1:8443', caFile: '/ca.pem', servedBySecret: (host: string) => host === 'app.example.com' } });
    const f = await app.until((s) => s.includes('Waiting for requests'));
    const hint = f.slice(f.indexOf('or: curl')).split('\n').slice(0, 2).map((l) => l.trim()).join('');
    expect(hint).toBe('or: curl --cacert /ca.pem --resolve app.example.com.localhost:8443:127.0.0.1 https://app.example.com.localhost:8443/');
  });

  it('lists requests as they complete, newest at the bottom, with status, duration, route and target', async () => {
    const app = renderApp();
    app.bus.emit(fakeRequest({ path: '/api/users', status: 200, durationMs: 12.4 }));
    app.bus.emit(fakeRequest({ host: 'nowhere.test', path: '/x', status: 404, routeId: null, target: null, upstreamPath: null }));
    app.bus.emit(fakeRequest({ host: 'shop.example.com', path: '/cart', status: 503, routeId: 'ingress:shop/store#r0.p0', target: null }));
    const f = await app.until((s) => s.includes('shop.example.com/cart'));
    const rows = f.split('\n');
    const first = rows.findIndex((l) => l.includes('app.example.com/api/users'));
    const last = rows.findIndex((l) => l.includes('shop.example.com/cart'));
    expect(first).toBeGreaterThan(0);
    expect(last).toBeGreaterThan(first);
    expect(rowWith(f, '/api/users')).toMatch(/GET\s+app\.example\.com\/api\/users\s+200\s+12ms ingress:default\/web#r0\.p1\s+:4000/);
    expect(rowWith(f, 'nowhere.test/x')).toMatch(/404\s+\S+ no route/);
    expect(f).toContain('[Requests 3]');
  });

  it('selects with ↑/↓ and j/k, opens the detail with Enter and closes it with Esc', async () => {
    const app = renderApp();
    app.bus.emit(fakeRequest({ path: '/api/one' }));
    app.bus.emit(fakeRequest({ path: '/api/two' }));
    app.bus.emit(fakeRequest({ path: '/api/three' }));
    await app.until((s) => s.includes('/api/three'));
    await app.press(keys.up); // nothing selected: the newest
    let f = await app.until((s) => rowWith(s, '/api/three').startsWith('›'));
    await app.press('k');
    await app.press(keys.up);
    f = await app.until((s) => rowWith(s, '/api/one').startsWith('›'));
    await app.press('j');
    f = await app.until((s) => rowWith(s, '/api/two').startsWith('›'));
    await app.press(keys.down);
    await app.press(keys.up);
    f = await app.until((s) => rowWith(s, '/api/two').startsWith('›'));

    await app.press(keys.enter);
    f = await app.until((s) => s.includes('Candidates that lost'), 'the detail');
    expect(f).toContain('GET app.example.com/api/two  200');
    expect(f).toMatch(/Route\s+ingress:default\/web#r0\.p1\s+Prefix \/api on app\.example\.com\s+ingress\.yaml:2/);
    expect(f).toMatch(/Backend\s+api:8080 → 127\.0\.0\.1:4000/);
    expect(f).toMatch(/Upstream\s+\/api\/users/);
    expect(f).toContain('✗ ingress:default/web#r0.p0');
    expect(f).toContain('matched, but /api (4 chars) is longer than / (0)');
    expect(f).toContain('› detail');

    await app.press(keys.escape);
    f = await app.until((s) => !s.includes('Candidates that lost'), 'the list again');
    expect(rowWith(f, '/api/two').startsWith('›')).toBe(true);
  });

  it('shows the error, headers and timings of a failed request in the detail', async () => {
    const app = renderApp({ size: { columns: 100, rows: 60 } });
    app.bus.emit(
      fakeRequest({ status: 502, error: 'connect ECONNREFUSED 127.0.0.1:4000', requestHeaders: { host: 'app.example.com', 'x-trace': 'abc' }, responseHeaders: { 'x-ingress-dev-error': 'refused' }, bytesOut: 2_500 }),
    );
    await app.until((s) => s.includes('502'));
    await app.press(keys.enter); // nothing selected: the newest
    const f = await app.until((s) => s.includes('Candidates that lost'));
    expect(f).toMatch(/Error\s+connect ECONNREFUSED 127\.0\.0\.1:4000/);
    expect(f).toMatch(/Timing\s+started \d\d:\d\d:\d\d\.\d{3} · 12ms · 0 B in · 2\.5 kB out/);
    expect(f).toContain('x-trace: abc');
    expect(f).toContain('x-ingress-dev-error: refused');
  });

  it('switches panes with Tab: routes with health marks, problems with file:line:col and hints', async () => {
    const app = renderApp();
    await app.until((s) => s.includes('[Requests 0]'));
    app.bus.emit({ type: 'backend-changed', at: 1, service: 'default/api:8080', target: 'http://127.0.0.1:4000', state: 'refused' });
    await app.press(keys.tab);
    let f = await app.until((s) => s.includes('[Routes 6]'));
    f = await app.until((s) => /✗ app\.example\.com\s+\/api\s+Prefix\s+api:8080\s+127\.0\.0\.1:4000/.test(s));
    expect(f).toMatch(/● app\.example\.com\s+\/api\/health\s+Exact\s+stub:80\s+echo/);
    expect(f).toMatch(/○ shop\.example\.com\s+\/\s+Prefix\s+shop\/store:80\s+unmapped/);
    expect(f).toMatch(/○ broken\.example\.com\s+\/\s+Prefix\s+ghost:80\s+missing/);
    expect(f).toMatch(/· \*\s+\(default\)\s+web:80\s+127\.0\.0\.1:3000/);
    await app.press(keys.tab);
    f = await app.until((s) => s.includes('[Problems 2]'));
    expect(f).toContain('broken.yaml:12:15: error E_SERVICE_NOT_FOUND: Service "ghost" not found in namespace "default"');
    expect(f).toContain('hint: Services in namespace "default": web, api, stub.');
    expect(f).toContain('web.yaml:9:7: warning W_PORT_SHORTHAND');
    await app.press(keys.shiftTab);
    await app.until((s) => s.includes('[Routes 6]'));
    await app.press(keys.tab);
    await app.press(keys.tab);
    await app.until((s) => s.includes('[Requests 0]'));
  });

  it('filters with /: typing narrows the list live, Enter keeps the filter, / then Esc clears it', async () => {
    const app = renderApp();
    app.bus.emit(fakeRequest({ host: 'app.example.com', path: '/api/a' }));
    app.bus.emit(fakeRequest({ host: 'shop.example.com', path: '/cart', status: 503 }));
    await app.until((s) => s.includes('/cart'));
    await app.press('/');
    await app.press('shop');
    let f = await app.until((s) => !s.includes('/api/a'));
    expect(f).toContain('/shop');
    expect(f).toContain('shop.example.com/cart');
    await app.press(keys.backspace);
    await app.press('p');
    await app.press(keys.enter);
    f = await app.until((s) => s.includes('filter: shop'));
    expect(f).not.toContain('PAUSED'); // p went into the filter, not to pause
    await app.press('/');
    await app.press(keys.escape);
    f = await app.until((s) => s.includes('/api/a') && s.includes('/cart'));
    expect(f).not.toContain('filter:');
    await app.press('/');
    await app.press('nothing');
    await app.until((s) => s.includes('No request matches "nothing".'));
  });

  it('pauses the list with p while still recording, and clears it with c', async () => {
    const app = renderApp();
    app.bus.emit(fakeRequest({ path: '/api/before' }));
    await app.until((s) => s.includes('/api/before'));
    await app.press('p');
    await app.until((s) => s.includes('PAUSED'));
    app.bus.emit(fakeRequest({ path: '/api/during' }));
    let f = await app.until((s) => s.includes('PAUSED +1'));
    expect(f).not.toContain('/api/during');
    await app.press('p');
    f = await app.until((s) => s.includes('/api/during'));
    expect(f).not.toContain('PAUSED');
    await app.press('c');
    f = await app.until((s) => s.includes('[Requests 0]'));
    expect(f).not.toContain('/api/before');
    app.bus.emit(fakeRequest({ path: '/api/after' }));
    await app.until((s) => s.includes('/api/after') && s.includes('[Requests 1]'));
  });

  it('r reloads; q and Ctrl-C quit; ? shows the keys until Esc', async () => {
    const app = renderApp();
    await app.until((s) => s.includes('[Requests 0]'));
    await app.press('r');
    expect(app.onReload).toHaveBeenCalledTimes(1);
    await app.press('?');
    let f = await app.until((s) => s.includes('Keys'));
    expect(f).toContain('pause the list');
    expect(f).toContain('q  Ctrl-C');
    await app.press(keys.escape);
    f = await app.until((s) => !s.includes('pause the list'));
    await app.press('q');
    expect(app.onQuit).toHaveBeenLastCalledWith('q');
    await app.press(keys.ctrlC);
    expect(app.onQuit).toHaveBeenLastCalledWith('ctrl-c');
    expect(app.onQuit).toHaveBeenCalledTimes(2);
  });

  it('shows a reload in the header, and a rejected one with its error in the header and the problems', async () => {
    const app = renderApp();
    await app.until((s) => s.includes('loaded '));
    app.bus.emit({ type: 'config-applied', at: Date.now(), trigger: 'web.yaml', routes: 5, files: 3, changes: { added: ['x'], removed: [], changed: [] }, diagnostics: [], durationMs: 23, restartNeeded: null });
    await app.until((s) => /reload \d\d:\d\d:\d\d ok 23ms \(web\.yaml\)/.test(s));
    app.bus.emit({
      type: 'config-rejected',
      at: Date.now(),
      trigger: 'web.yaml',
      durationMs: 4,
      diagnostics: [{ code: 'E_YAML_SYNTAX', severity: 'error', message: 'bad indentation', file: 'web.yaml', line: 3, col: 5, hint: 'indent with spaces' }],
    });
    let f = await app.until((s) => s.includes('failed in 4ms: web.yaml:3:5: error E_YAML_SYNTAX'));
    expect(f).toMatch(/ Problems 3\b/);
    await app.press(keys.tab);
    await app.press(keys.tab);
    f = await app.until((s) => s.includes('The last reload failed'));
    expect(f).toContain('web.yaml:3:5: error E_YAML_SYNTAX: bad indentation');
    expect(f).toContain('In the routes serving now:');
  });

  // Issue 10, item 21: `r` with nothing changed gave no answer at all.
  it('says "reloaded, no changes" with the time when the r key finds nothing to change', async () => {
    let state = sampleState();
    const app = renderApp({ state: () => state });
    await app.until((s) => s.includes('loaded '));
    const noChanges = { added: [], removed: [], changed: [] };
    app.bus.emit({ type: 'config-applied', at: Date.now(), trigger: 'manual', routes: 5, files: 3, changes: noChanges, diagnostics: sampleDiagnostics, durationMs: 2, restartNeeded: null });
    const f = await app.until((s) => s.includes('reloaded, no changes'));
    expect(f).toMatch(/backends .* │ reloaded, no changes \(\d\d:\d\d:\d\d\)/);
    // A manual reload that swapped in a new state says so, as any other.
    state = sampleState({ files: 4 });
    app.bus.emit({ type: 'config-applied', at: Date.now(), trigger: 'manual', routes: 6, files: 3, changes: { ...noChanges, added: ['x'] }, diagnostics: sampleDiagnostics, durationMs: 3, restartNeeded: null });
    await app.until((s) => /reload \d\d:\d\d:\d\d ok 3ms \(manual\)/.test(s));
  });

  it('reads the state again after a reload', async () => {
    let state = sampleState();
    const app = renderApp({ state: () => state });
    await app.until((s) => s.includes('5 routes'));
    state = sampleState({ files: 7 });
    app.bus.emit({ type: 'config-applied', at: Date.now(), trigger: 'manual', routes: 5, files: 7, changes: { added: [], removed: [], changed: [] }, diagnostics: [], durationMs: 1, restartNeeded: null });
    await app.until((s) => s.includes('7 manifests'));
  });

  it('fits 80x24: no row wider than 80, and one row left free', async () => {
    const app = renderApp({ size: { columns: 80, rows: 24 } });
    for (let i = 0; i < 40; i++) {
      app.bus.emit(fakeRequest({ path: `/api/${'very-long-segment/'.repeat(6)}${i}`, routeId: 'ingress:some-long-namespace/some-long-ingress-name#r12.p34' }));
    }
    const f = await app.until((s) => s.includes('[Requests 40]'));
    const rows = f.split('\n');
    expect(rows.length).toBeLessThanOrEqual(23);
    for (const row of rows) expect([...row].length).toBeLessThanOrEqual(80);
    // The newest is at the bottom; the route id keeps its rule and path.
    expect(f).toContain('…');
    expect(f).toContain('#r12.p34');
    expect(rows.at(-1)).toContain('q quit');
  });

  it('follows a resize of the terminal', async () => {
    const app = renderApp({ size: null });
    app.bus.emit(fakeRequest({ path: `/api/${'x'.repeat(150)}` }));
    await app.until((s) => s.includes('/api/xxx'));
    const stdout = app.ui.stdout as unknown as { columns: number; rows: number; emit(event: string): void };
    Object.defineProperty(stdout, 'columns', { value: 60, configurable: true });
    Object.defineProperty(stdout, 'rows', { value: 20, configurable: true });
    stdout.emit('resize');
    const f = await app.until((s) => s.split('\n').every((row) => [...row].length <= 60) && s.split('\n').length <= 19);
    expect(f).toContain('app.example.co…');
  });
});
