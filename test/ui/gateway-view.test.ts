/**
 * The UI with Gateway API routes (issue 13): the Routes pane lists each listener's route matches
 * in precedence order (one row per backendRef), and the request detail names the listener, the
 * route's rule and match, and what each filter did.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackendResolver } from '../../src/backends/types.js';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import { detailLines } from '../../src/ui/detail-view.js';
import { routeLines, routeRows } from '../../src/ui/routes-view.js';
import { fakeRequest } from '../../src/ui/ui.test-util.js';

const example = path.join(import.meta.dirname, '..', '..', 'examples', 'gateway-basic');
const files = ['gateway.yaml', 'routes.yaml', 'services.yaml'].map((file) => ({ file, text: readFileSync(path.join(example, file), 'utf8') }));
const table = compileRoutes(parseManifests(files).resources, { profile: 'auto' }).value;
const echo: BackendResolver = { resolve: () => ({ kind: 'target', target: { kind: 'echo' }, via: 'echo' }) };

describe('Gateway API routes in the UI', () => {
  it('the Routes pane: per listener and hostname, the matches in precedence order (Exact, then the longest PathPrefix), a row per backendRef with its weight', () => {
    const rows = routeRows(table, echo, new Map()).map((r) => `${r.host} ${r.pathType} ${r.path} → ${r.backend} ${r.id}`);
    expect(rows.slice(0, 7)).toEqual([
      'admin.example.com Prefix /  (redirect 301 (scheme https)) → (redirect) httproute:default/admin-redirect#r0.m0',
      'shop.example.com Exact /checkout.php  (redirect 301 (ReplaceFullPath /checkout)) → (redirect) httproute:default/store#r3.m0',
      'shop.example.com Prefix /docs  (rewrite (ReplacePrefixMatch /)) → docs:80 httproute:default/store#r2.m0',
      'shop.example.com Prefix /api  (request headers (set X-Route: store-api)) → api:80 ×90 httproute:default/store#r1.m0',
      'shop.example.com Prefix /api  (request headers (set X-Route: store-api)) → api-v2:80 ×10 httproute:default/store#r1.m0',
      'shop.example.com Prefix /  header x-canary=always → web-canary:80 httproute:default/store#r0.m0',
      'shop.example.com Prefix /  (response headers (set X-Frame-Options: DENY)) → web:80 httproute:default/store#r4.m0',
    ]);
    expect(rows.filter((r) => r.startsWith('https://')).map((r) => r.split(' ')[0])).toContain('https://admin.example.com');
  });

  it('the Routes pane puts a heading line over each listener (Gateway, listener, protocol, hostname), and one over the Ingresses when both APIs are in the folder', () => {
    const headings = (t: typeof table) => routeLines(routeRows(t, echo, new Map()), 100).rows.map((l) => l.segments.map((s) => s.text).join('')).filter((l) => l.startsWith('──'));
    expect(headings(table).map((h) => h.replace(/ ─+$/, ''))).toEqual([
      '── listener http of Gateway default/shop (HTTP, any host)',
      '── listener https of Gateway default/shop (HTTPS, *.example.com)',
    ]);
    expect(headings(table).every((h) => [...h].length === 99)).toBe(true);
    const ingress = { file: 'ingress.yaml', text: [
      'apiVersion: networking.k8s.io/v1', 'kind: Ingress', 'metadata: {name: legacy}', 'spec:', '  rules:',
      '    - {host: old.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}',
    ].join('\n') };
    const mixed = compileRoutes(parseManifests([...files, ingress]).resources, { profile: 'auto' }).value;
    expect(headings(mixed)[0]?.replace(/ ─+$/, '')).toBe('── Ingresses');
    const lines = routeLines(routeRows(mixed, echo, new Map()), 100).rows.map((l) => l.segments.map((s) => s.text).join(''));
    expect(lines[1]).toContain('old.example.com');
    // Without Gateway API routes there are no headings: the pane is as it was.
    const only = compileRoutes(parseManifests([ingress]).resources, { profile: 'auto' }).value;
    expect(headings(only)).toEqual([]);
  });

  it('the request detail: the listener, the rule and match with its file:line, and the filters the proxy applied', () => {
    const event = fakeRequest({ host: 'shop.example.com', path: '/docs/install', routeId: 'httproute:default/store#r2.m0', upstreamPath: '/install', target: 'echo', steps: [{ by: 'URLRewrite', what: 'path /docs/install → /install' }] });
    const text = detailLines({ seq: 1, event }, table).map((l) => l.segments.map((s) => s.text).join(''));
    expect(text).toContain('Route     httproute:default/store#r2.m0  HTTPRoute default/store rule 2: PathPrefix /docs; rewrite (ReplacePrefixMatch /)  routes.yaml:27');
    expect(text).toContain('Listener  http of Gateway default/shop (HTTP, any host)');
    expect(text).toContain('Filter    URLRewrite: path /docs/install → /install');
    expect(text.some((l) => l.startsWith('the routes changed since'))).toBe(false);
    expect(text).toContain('Upstream  /install');
  });

  it('a RequestRedirect is shown as the answer the rule asks for, not as an error', () => {
    const event = fakeRequest({ host: 'shop.example.com', path: '/checkout.php', status: 301, routeId: 'httproute:default/store#r3.m0', upstreamPath: null, target: null, error: 'RequestRedirect filter of the HTTPRoute rule' });
    const lines = detailLines({ seq: 1, event }, table);
    const answer = lines.find((l) => l.segments.map((s) => s.text).join('').startsWith('Answer'));
    expect(answer?.segments.map((s) => s.text).join('')).toBe('Answer    RequestRedirect filter of the HTTPRoute rule');
    expect(answer?.segments[0]?.color).toBeUndefined();
    expect(lines.some((l) => l.segments.map((s) => s.text).join('').startsWith('Error'))).toBe(false);
  });
});
