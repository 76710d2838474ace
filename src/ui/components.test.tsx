import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { DetailPane } from './DetailPane.js';
import { Footer } from './Footer.js';
import { Header } from './Header.js';
import { ProblemsPane } from './ProblemsPane.js';
import type { RequestEntry } from './request-store.js';
import { RequestsPane } from './RequestsPane.js';
import { routeRows } from './routes-view.js';
import { RoutesPane } from './RoutesPane.js';
import { buildTable } from '../routing/table-builder.test-util.js';
import { fakeRequest, http, plain, sampleDiagnostics, sampleResolver, sampleTable, waitFor } from './ui.test-util.js';

const unmounts: (() => void)[] = [];
afterEach(() => {
  for (const u of unmounts.splice(0)) u();
});

/** Render plain props and wait for the first frame. */
async function frameOf(node: React.ReactElement): Promise<string> {
  const ui = render(node);
  unmounts.push(ui.unmount);
  return waitFor(() => plain(ui.lastFrame()) || null, () => 'no frame');
}

const entry = (seq: number, overrides: Parameters<typeof fakeRequest>[0] = {}): RequestEntry => ({ seq, event: fakeRequest(overrides) });

describe('Header', () => {
  const base = {
    version: '1.2.3',
    urls: ['http://127.0.0.1:8080'],
    profile: 'spec',
    files: 1,
    routes: 2,
    startedAt: Date.now(),
    lastReload: null,
    backends: { reachable: 3, refused: 1, unmapped: 2, unknown: 0 },
    width: 100,
  };

  it('counts manifests, routes and backends', async () => {
    const f = await frameOf(<Header {...base} />);
    expect(f).toContain('ingress-dev 1.2.3  http://127.0.0.1:8080  profile spec · 1 manifest · 2 routes');
    expect(f).toContain('backends 3 reachable · 1 refused · 2 unmapped │ loaded ');
  });

  it('names what the manifests are read from when it is not the folder (-f, --kustomize, --helm)', async () => {
    const f = await frameOf(<Header {...base} width={120} source="helm template ./chart --values dev.yaml" />);
    expect(f).toContain('profile spec · helm template ./chart --values dev.yaml · 2 routes');
  });

  it('shows a failed reload first, with where it failed', async () => {
    const lastReload = {
      ok: false,
      at: Date.now(),
      trigger: 'web.yaml',
      durationMs: 3,
      changes: null,
      rejection: [{ code: 'E_YAML_SYNTAX' as const, severity: 'error' as const, message: 'bad', file: 'web.yaml', line: 3, col: 5, hint: '' }],
      restartNeeded: null,
      unchanged: false,
    };
    const f = await frameOf(<Header {...base} width={200} lastReload={lastReload} />);
    expect(f).toMatch(/reload \d\d:\d\d:\d\d failed in 3ms: web\.yaml:3:5: error E_YAML_SYNTAX: bad \(the last good routes keep serving\) │ backends/);
  });

  it('says when a change needs a restart', async () => {
    const lastReload = { ok: true, at: Date.now(), trigger: 'ingress-dev.yaml', durationMs: 2, changes: null, rejection: [], restartNeeded: 'listen port 8080 → 9090', unchanged: false };
    const f = await frameOf(<Header {...base} width={160} lastReload={lastReload} />);
    expect(f).toContain('ok 2ms (ingress-dev.yaml) restart needed: listen port 8080 → 9090');
  });
});

describe('RequestsPane', () => {
  it('shows the newest at the bottom when nothing is selected, and how to send a first request when empty', async () => {
    const entries = Array.from({ length: 30 }, (_, i) => entry(i + 1, { path: `/r${i + 1}` }));
    const f = await frameOf(<RequestsPane entries={entries} selectedSeq={null} width={100} height={6} emptyHint="hint" />);
    const rows = f.split('\n');
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(/TIME\s+METHOD\s+HOST\+PATH\s+ST\s+TOOK\s+ROUTE\s+TARGET/);
    expect(rows.at(-1)).toContain('/r30');
    expect(rows[1]).toContain('/r26');
    expect(await frameOf(<RequestsPane entries={[]} selectedSeq={null} width={100} height={6} emptyHint="curl it" />)).toContain('curl it');
  });

  it('keeps the selected request in view and marks it', async () => {
    const entries = Array.from({ length: 30 }, (_, i) => entry(i + 1, { path: `/r${i + 1}` }));
    const f = await frameOf(<RequestsPane entries={entries} selectedSeq={3} width={100} height={6} emptyHint="" />);
    expect(f.split('\n').find((l) => l.startsWith('›'))).toContain('/r3 ');
  });

  it('drops the target column below 96 columns and cuts long values', async () => {
    const long = entry(1, { path: `/${'a'.repeat(200)}`, routeId: 'ingress:a-very-long-namespace/a-very-long-name#r3.p4' });
    const f = await frameOf(<RequestsPane entries={[long]} selectedSeq={null} width={80} height={3} emptyHint="" />);
    for (const row of f.split('\n')) expect([...row].length).toBeLessThanOrEqual(80);
    expect(f).not.toContain('TARGET');
    expect(f).toContain('…#r3.p4');
  });

  // Issue 10, item 23: at 120 columns the route id was cut while HOST+PATH had 30 blank columns.
  it('shares the width by content: a long route id is shown whole when host+path is short', async () => {
    const routeId = 'ingress:default/simple-fanout-example#r0.p0';
    const rows = [entry(1, { host: 'foo.bar.com', path: '/foo', routeId, target: 'http://127.0.0.1:3000' }), entry(2, { host: 'foo.bar.com', path: '/bar/baz', routeId: 'ingress:default/simple-fanout-example#r0.p1' })];
    const f = await frameOf(<RequestsPane entries={rows} selectedSeq={null} width={120} height={4} emptyHint="" />);
    for (const row of f.split('\n')) expect([...row].length).toBeLessThanOrEqual(120);
    expect(f).not.toContain('…');
    expect(f.split('\n').find((r) => r.includes('/foo'))).toMatch(/foo\.bar\.com\/foo\s+200\s+12ms ingress:default\/simple-fanout-example#r0\.p0\s+:3000/);
  });

  it('still cuts both, host+path and route, when neither fits', async () => {
    const long = entry(1, { host: 'a-rather-long-hostname.example.com', path: `/${'p'.repeat(80)}`, routeId: `ingress:default/${'n'.repeat(60)}#r0.p0` });
    const f = await frameOf(<RequestsPane entries={[long]} selectedSeq={null} width={120} height={3} emptyHint="" />);
    const row = f.split('\n').find((r) => r.includes('a-rather-long')) ?? '';
    expect([...row].length).toBeLessThanOrEqual(120);
    expect(row).toMatch(/a-rather-long-hostname\.example\.com\/p+… +200/);
    expect(row).toMatch(/ingress:default\/n+…#r0\.p0/);
  });
});

describe('RoutesPane', () => {
  it('lists host, path, pathType, Service:port, target and a health mark', async () => {
    const backends = new Map([
      ['default/web:80', { type: 'backend-changed' as const, at: 0, service: 'default/web:80', target: 'http://127.0.0.1:3000', state: 'reachable' as const }],
      ['default/api:8080', { type: 'backend-changed' as const, at: 0, service: 'default/api:8080', target: 'http://127.0.0.1:4000', state: 'refused' as const }],
    ]);
    const rows = routeRows(sampleTable(), sampleResolver(), backends);
    const f = await frameOf(<RoutesPane rows={rows} width={100} height={12} scroll={0} />);
    expect(f).toMatch(/● app\.example\.com\s+\/\s+Prefix\s+web:80\s+127\.0\.0\.1:3000/);
    expect(f).toMatch(/✗ app\.example\.com\s+\/api\s+Prefix\s+api:8080\s+127\.0\.0\.1:4000/);
    expect(f).toMatch(/○ shop\.example\.com\s+\/\s+Prefix\s+shop\/store:80\s+unmapped/);
    expect(f).toContain('● reachable  ✗ refused  ○ unmapped');
  });

  it('ignores a health result for another target (the mapping changed since)', () => {
    const backends = new Map([['default/web:80', { type: 'backend-changed' as const, at: 0, service: 'default/web:80', target: 'http://127.0.0.1:9999', state: 'refused' as const }]]);
    const web = routeRows(sampleTable(), sampleResolver(), backends).find((r) => r.id === 'ingress:default/web#r0.p0');
    expect(web?.health).toBe('unknown');
  });

  it('uses a health result for another replica of the same containers (requests take them in turn)', () => {
    const via = (n: number): string => `docker: selector app=web → container web-${n} (172.17.0.${n + 1}:80), replica ${n} of 3`;
    const resolver = { resolve: () => ({ kind: 'target' as const, target: http(3002), via: via(2) }) };
    const probed = { type: 'backend-changed' as const, at: 0, service: 'default/web:80', target: 'http://127.0.0.1:3001', state: 'reachable' as const, via: via(1) };
    const web = routeRows(sampleTable(), resolver, new Map([['default/web:80', probed]])).find((r) => r.id === 'ingress:default/web#r0.p0');
    expect(web?.health).toBe('reachable');
    const other = { ...probed, via: 'docker: selector app=old → container old-1 (172.17.0.9:80)' };
    expect(routeRows(sampleTable(), resolver, new Map([['default/web:80', other]])).find((r) => r.id === 'ingress:default/web#r0.p0')?.health).toBe('unknown');
  });

  it('marks a Service whose containers cannot take requests as refused, not unmapped', () => {
    const resolver = { resolve: () => ({ kind: 'unavailable' as const, cause: 'docker' as const, reason: 'container web-1 exited', hint: '' }) };
    const rows = routeRows(sampleTable(), resolver, new Map());
    expect(rows[0]).toMatchObject({ target: 'docker: down', health: 'refused' });
  });

  it('scrolls a long table, saying where it is', async () => {
    const rows = routeRows(sampleTable(), sampleResolver(), new Map());
    const f = await frameOf(<RoutesPane rows={rows} width={100} height={6} scroll={2} />);
    expect(f).toContain('── 3–5 of 6 · ↑↓ scroll ──');
  });
});

describe('DetailPane', () => {
  it('explains a request that matched no rule', async () => {
    const e = entry(1, { host: 'nowhere.test', path: '/x', status: 404, routeId: null, target: null, upstreamPath: null });
    const table = { ...sampleTable(), defaultBackend: null };
    const f = await frameOf(<DetailPane entry={e} table={table} width={120} height={30} scroll={0} />);
    expect(f).toContain('no route: no rule matched nowhere.test/x and there is no defaultBackend');
    expect(f).toContain('host app.example.com ≠ request host nowhere.test');
  });

  it('shows what each ingress-nginx annotation did to the request, as the proxy decided it (issue 11)', async () => {
    const steps = [
      { by: 'enable-cors', what: 'origin https://shop.example.com is allowed by https://shop.example.com; nginx sets the Access-Control-* headers on the response' },
      { by: 'canary', what: 'to the canary api-next:80 of Ingress default/api-canary: canary-by-header: X-Canary is "always"' },
    ];
    const e = entry(1, { path: '/api/x', routeId: 'ingress:default/web#r0.p1', steps });
    const f = await frameOf(<DetailPane entry={e} table={sampleTable()} width={160} height={30} scroll={0} />);
    expect(f).toContain('enable-cors: origin https://shop.example.com is allowed by https://shop.example.com');
    expect(f).toContain('canary: to the canary api-next:80 of Ingress default/api-canary: canary-by-header: X-Canary is "always"');
  });

  it('says when the routes changed since the request was served', async () => {
    const e = entry(1, { path: '/api/x', routeId: 'ingress:default/gone#r0.p0' });
    const f = await frameOf(<DetailPane entry={e} table={sampleTable()} width={120} height={30} scroll={0} />);
    expect(f).toContain('ingress:default/gone#r0.p0 (no longer in the routes: the manifests changed since)');
    expect(f).toContain('the routes changed since: now this request would go to ingress:default/web#r0.p1');
  });

  // Issue 10, item 22: a wrapped value lost the label column (`Error connect …`, `Timing started …`)
  // and the Route line was cut at 80 columns.
  it('keeps the labels aligned at 80 columns: wrapped values continue under the value column', async () => {
    const e = entry(1, {
      path: '/api/users',
      status: 502,
      error: 'connect ECONNREFUSED 127.0.0.1:4000 (the target refused the connection: is anything listening on that port?)',
      id: '7ac3e022fda243b19b1e228c9261ce99',
    });
    const table = buildTable([{ id: 'ingress:default/simple-fanout-example#r0.p0', host: 'foo.bar.example.com', path: '/api', pathType: 'Prefix', service: 'api', port: 8080 }]);
    const rows = (await frameOf(<DetailPane entry={{ ...e, event: { ...e.event, host: 'foo.bar.example.com', routeId: 'ingress:default/simple-fanout-example#r0.p0' } }} table={table} width={80} height={30} scroll={0} />)).split('\n');
    for (const row of rows) expect([...row].length).toBeLessThanOrEqual(80);
    const block = (label: string): string[] => {
      const first = rows.findIndex((r) => r.startsWith(label));
      const rest = rows.slice(first + 1);
      const end = rest.findIndex((r) => !r.startsWith(' '.repeat(10)) || r.trim() === '');
      return [rows[first] ?? '', ...rest.slice(0, end === -1 ? rest.length : end)];
    };
    // The value of a label: its first row from column 10, every continuation indented to column 10.
    const valueOf = (label: string): string => {
      const [first = '', ...rest] = block(label);
      expect(first.slice(0, 10)).toBe(label.padEnd(10));
      expect(first[10]).not.toBe(' ');
      for (const row of rest) expect(row).toMatch(/^ {10}\S/);
      return [first, ...rest].map((r) => r.slice(10)).join(' ');
    };
    expect(block('Error').length).toBeGreaterThan(1);
    expect(valueOf('Error')).toBe('connect ECONNREFUSED 127.0.0.1:4000 (the target refused the connection: is anything listening on that port?)');
    expect(block('Timing').length).toBeGreaterThan(1);
    expect(valueOf('Timing')).toMatch(/^started \S+ · 12ms · 0 B in · 120 B out · id 7ac3e022fda243b19b1e228c9261ce99$/);
    expect(block('Route').length).toBeGreaterThan(1);
    expect(valueOf('Route')).toMatch(/^ingress:default\/simple-fanout-example#r0\.p0 {2}Prefix \/api on foo\.bar\.example\.com {2}\S+:\d+$/);
    expect(rows.join('\n')).not.toContain('…');
  });

  it('routes HOST.localhost as HOST, as the proxy does', async () => {
    const e = entry(1, { host: 'app.example.com.localhost:8080', path: '/api/x' });
    const f = await frameOf(<DetailPane entry={e} table={sampleTable()} width={120} height={30} scroll={0} />);
    expect(f).not.toContain('the routes changed since');
  });
});

describe('ProblemsPane', () => {
  it('lists every diagnostic with file:line:col and its hint', async () => {
    const f = await frameOf(<ProblemsPane diagnostics={sampleDiagnostics} lastReload={null} width={100} height={10} scroll={0} />);
    expect(f).toContain('broken.yaml:12:15: error E_SERVICE_NOT_FOUND: Service "ghost" not found in namespace "default"');
    expect(f).toContain('  hint: Services in namespace "default": web, api, stub.');
    expect(f).toContain('web.yaml:9:7: warning W_PORT_SHORTHAND: port: 80 is a shorthand');
  });

  it('wraps long messages to the width', async () => {
    const long = [{ ...sampleDiagnostics[0]!, message: 'word '.repeat(40).trim() }];
    const f = await frameOf(<ProblemsPane diagnostics={long} lastReload={null} width={60} height={10} scroll={0} />);
    for (const row of f.split('\n')) expect([...row].length).toBeLessThanOrEqual(60);
    expect(f.split('\n').filter((l) => l.includes('word')).length).toBeGreaterThan(2);
  });

  it('says so when there are none', async () => {
    expect(await frameOf(<ProblemsPane diagnostics={[]} lastReload={null} width={100} height={10} scroll={0} />)).toContain('No problems in the manifests.');
  });
});

describe('Footer', () => {
  it('always keeps the quit and help keys, even at 80 columns with a filter and a pause', async () => {
    const f = await frameOf(<Footer width={80} paused newWhilePaused={12} filter="app.example.com" editing={false} detail={false} />);
    expect(f).toContain('PAUSED +12');
    expect(f).toContain('filter: app.example.com');
    expect(f).toContain('? keys  q quit');
    expect([...f].length).toBeLessThanOrEqual(80);
  });

  it('shows the filter being typed', async () => {
    expect(await frameOf(<Footer width={80} paused={false} newWhilePaused={0} filter="api" editing detail={false} />)).toContain('/api');
  });
});
