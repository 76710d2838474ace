import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import type { RouteTable } from '../../src/model/types.js';
import { explainRequest, matchRequest } from '../../src/routing/match.js';
import { normalizeNginxUri } from '../../src/routing/nginx.js';

// The nginx profile's location selection, case by case, from ingress-nginx v1.15.1's e2e tests
// (test/e2e/ingress/pathtype_*.go, test/e2e/annotations/rewrite.go), its docs
// (docs/user-guide/ingress-path-matching.md) and, where no test exists, its template and
// nginx 1.27's source ("derived").

interface PathSpec {
  readonly path: string;
  readonly type?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  readonly svc: string;
}

function ingress(name: string, paths: readonly PathSpec[], o: { host?: string | null; annotations?: Record<string, string>; created?: string; defaultBackend?: string } = {}): string {
  const annotations = { 'kubernetes.io/ingress.class': 'nginx', ...o.annotations };
  const host = o.host === undefined ? 'h.example.com' : o.host;
  const rules = paths.length === 0 ? '' : `
  rules:
    - ${host === null ? '' : `host: "${host}"\n      `}http:
        paths:
${paths.map((p) => `          - {path: "${p.path}", pathType: ${p.type ?? 'Prefix'}, backend: {service: {name: ${p.svc}, port: {number: 80}}}}`).join('\n')}`;
  return `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
${o.created === undefined ? '' : `  creationTimestamp: "${o.created}"\n`}  annotations:
${Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"`).join('\n')}
spec:${o.defaultBackend === undefined ? '' : `\n  defaultBackend: {service: {name: ${o.defaultBackend}, port: {number: 80}}}`}${rules}
---`;
}

function tableOf(...ingresses: string[]): { table: RouteTable; diagnostics: readonly Diagnostic[] } {
  const services = new Set<string>();
  for (const text of ingresses) for (const m of text.matchAll(/name: (\w[\w-]*), port/g)) services.add(m[1] as string);
  const yaml = ingresses.join('\n') + [...services].map((s) => `\napiVersion: v1\nkind: Service\nmetadata: {name: ${s}}\nspec: {ports: [{port: 80}]}\n---`).join('');
  const { resources, diagnostics } = parseManifests([{ file: 'k8s.yaml', text: yaml }]);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const compiled = compileRoutes(resources, { profile: 'auto' });
  return { table: compiled.value, diagnostics: compiled.diagnostics };
}

/** `svc upstream-path`, `301 Location`, `404`, `400`. */
function route(table: RouteTable, path: string, host = 'h.example.com', scheme: 'http' | 'https' = 'http'): string {
  const m = matchRequest(table, { host, path, scheme });
  if (m.status === 301) return `301 ${m.redirect?.location ?? ''}`;
  if (m.status === 404 || m.status === 400) return String(m.status);
  const svc = m.backend?.kind === 'service' ? m.backend.service : '?';
  return m.upstreamPath === path ? svc : `${svc} ${m.upstreamPath ?? ''}`;
}

const regex = { 'nginx.ingress.kubernetes.io/use-regex': 'true' };

describe('nginx profile: Prefix and Exact without regex (e2e pathtype_prefix.go, pathtype_exact.go, pathtype_mixed.go)', () => {
  it('Prefix /aaa is "/aaa/" and = "/aaa": /aaa and /aaa/cccc match, /aaacccc does not (pathtype_prefix.go:47-69)', () => {
    const { table } = tableOf(ingress('a', [{ path: '/aaa', svc: 'aaa' }]));
    expect(table.exactHosts.get('h.example.com')?.nginx?.locations.map((l) => l.directive)).toEqual(['location "/aaa/"', 'location = "/aaa"', 'location "/"']);
    expect([route(table, '/aaa'), route(table, '/aaacccc'), route(table, '/aaa/cccc'), route(table, '/aaa/')]).toEqual(['aaa', '404', 'aaa', 'aaa']);
  });

  it('Exact /exact and Prefix /exact of two Ingresses: the exact for /exact, the prefix below it; a newer duplicate Prefix loses (pathtype_exact.go:66-114)', () => {
    const { table } = tableOf(
      ingress('exact', [{ path: '/exact', type: 'Exact', svc: 'exact' }], { created: '2024-01-01T00:00:00Z' }),
      ingress('prefix', [{ path: '/exact', svc: 'prefix' }], { created: '2024-01-01T00:00:01Z' }),
      ingress('duplicated-prefix', [{ path: '/exact', svc: 'late' }], { created: '2024-01-01T00:00:02Z' }),
    );
    expect([route(table, '/exact'), route(table, '/exact/suffix')]).toEqual(['exact', 'prefix']);
  });

  it('Exact / and Prefix /, Exact /foo and Prefix /foo: exact first, Prefix is by element (pathtype_mixed.go:65-146)', () => {
    const { table } = tableOf(ingress('mixed', [{ path: '/', type: 'Exact', svc: 'exactroot' }, { path: '/', svc: 'root' }, { path: '/foo', type: 'Exact', svc: 'exactfoo' }, { path: '/foo', svc: 'foo' }]));
    expect([route(table, '/'), route(table, '/bar'), route(table, '/foo'), route(table, '/foo/bar'), route(table, '/foobar')]).toEqual(['exactroot', 'root', 'exactfoo', 'foo', 'root']);
  });

  it('ImplementationSpecific and unset are Prefix (internal/k8s/main.go SetDefaultNGINXPathType)', () => {
    const { table } = tableOf(ingress('is', [{ path: '/app', type: 'ImplementationSpecific', svc: 'app' }]));
    expect([route(table, '/app'), route(table, '/app/x'), route(table, '/apple')]).toEqual(['app', 'app', '404']);
  });

  it('matching is case-sensitive without regex (derived: static locations compare bytes)', () => {
    const { table } = tableOf(ingress('a', [{ path: '/foo', svc: 'foo' }]));
    expect(route(table, '/FOO')).toBe('404');
  });

  it('a path with a trailing slash gets nginx\'s 301 for the path without it, query kept, no port (derived: proxy_pass auto_redirect, port_in_redirect off)', () => {
    const { table } = tableOf(ingress('a', [{ path: '/foo/', svc: 'foo' }, { path: '/bar/', type: 'Exact', svc: 'bar' }]));
    expect(route(table, '/foo')).toBe('301 http://h.example.com/foo/');
    expect(route(table, '/foo?a=1')).toBe('301 http://h.example.com/foo/?a=1');
    expect(route(table, '/bar', 'H.example.com:8080')).toBe('301 http://h.example.com/bar/');
    expect([route(table, '/foo/'), route(table, '/bar/'), route(table, '/bar/x')]).toEqual(['foo', 'bar', '404']);
  });

  it('that 301 names the scheme the request came with, and is relative with relative-redirects (ngx_http_header_filter_module.c: "https" when c->ssl; nginx.tmpl absolute_redirect off)', () => {
    const { table } = tableOf(ingress('a', [{ path: '/foo/', svc: 'foo' }]));
    expect(route(table, '/foo', 'h.example.com', 'https')).toBe('301 https://h.example.com/foo/');
    const relative = tableOf(ingress('a', [{ path: '/foo/', svc: 'foo' }], { annotations: { 'nginx.ingress.kubernetes.io/relative-redirects': 'true' } }));
    expect(route(relative.table, '/foo')).toBe('301 /foo/');
  });

  it('Prefix /bar and Prefix /bar/ are one location: the second is an error and not served (derived: nginx "duplicate location")', () => {
    const { table, diagnostics } = tableOf(ingress('one', [{ path: '/bar', svc: 'one' }], { created: '2024-01-01T00:00:00Z' }), ingress('two', [{ path: '/bar/', svc: 'two' }], { created: '2024-01-01T00:00:01Z' }));
    expect([route(table, '/bar/x'), route(table, '/bar/'), route(table, '/bar')]).toEqual(['one', 'one', 'one']);
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'E_NGINX_DUPLICATE_LOCATION', message: expect.stringContaining('Prefix /bar/ becomes location "/bar/"') }));
  });
});

describe('nginx profile: regex hosts (use-regex, rewrite-target)', () => {
  it('use-regex: paths are case-insensitive regexes anchored at the start only (pathtype_prefix.go:82-139)', () => {
    const { table } = tableOf(ingress('id', [{ path: '/id/[0-9]+', type: 'ImplementationSpecific', svc: 'id' }], { annotations: regex }));
    expect([route(table, '/id/1'), route(table, '/id/123'), route(table, '/id/aaa'), route(table, '/id/123a'), route(table, '/ID/7')]).toEqual(['id', 'id', '404', 'id', 'id']);
    const { table: anchored } = tableOf(ingress('id', [{ path: '/id/[0-9]+$', type: 'ImplementationSpecific', svc: 'id' }], { annotations: regex }));
    expect([route(anchored, '/id/1'), route(anchored, '/id/aaa'), route(anchored, '/id/123a')]).toEqual(['id', '404', '404']);
  });

  it('regex on one Ingress makes every path of the host a regex, Exact included (ingress-path-matching.md; the "Five Surprising Behaviors" post)', () => {
    const { table } = tableOf(
      ingress('plain', [{ path: '/foo', type: 'Exact', svc: 'exact' }, { path: '/bar', svc: 'bar' }], { annotations: {} }),
      ingress('re', [{ path: '/re/[a-z]+', type: 'ImplementationSpecific', svc: 're' }], { annotations: regex }),
    );
    const server = table.exactHosts.get('h.example.com')?.nginx;
    expect(server?.regexBecause).toBe('Ingress default/re has nginx.ingress.kubernetes.io/use-regex: "true"');
    expect(server?.locations.every((l) => l.modifier === '~*')).toBe(true);
    // Exact /foo is now a case-insensitive prefix; Prefix /bar matches /BAR/x.
    expect([route(table, '/foobar'), route(table, '/FOO'), route(table, '/BAR/x'), route(table, '/RE/abc')]).toEqual(['exact', 'exact', 'bar', 're']);
  });

  it('regex order is by path length, not by what matches best: /foo/bar/[a-z]{3} wins /foo/bar/bar (rewrite.go:160-190)', () => {
    const { table } = tableOf(
      ingress('a', [{ path: '/foo/bar/bar', svc: 'literal' }]),
      ingress('b', [{ path: '/foo/bar/[a-z]{3}', type: 'ImplementationSpecific', svc: 'regex' }], { annotations: { ...regex, 'nginx.ingress.kubernetes.io/rewrite-target': '/new/backend' } }),
    );
    expect(route(table, '/foo/bar/bar')).toBe('regex /new/backend');
  });

  it('rewrite-target replaces the URI with $1… and keeps the query (rewrite.go:113-216)', () => {
    const { table } = tableOf(
      ingress('a', [{ path: '/foo', svc: 'plain' }]),
      ingress('b', [{ path: '/foo.+', type: 'ImplementationSpecific', svc: 'rewritten' }], { annotations: { ...regex, 'nginx.ingress.kubernetes.io/rewrite-target': '/new/backend' } }),
    );
    expect([route(table, '/foo'), route(table, '/foo/bar'), route(table, '/foo/bar?x=1')]).toEqual(['plain', 'rewritten /new/backend', 'rewritten /new/backend?x=1']);
    const { table: captured } = tableOf(ingress('c', [{ path: '/foo/bar/(.+)', type: 'ImplementationSpecific', svc: 'c' }], { annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/new/backend/$1' } }));
    expect(route(captured, '/foo/bar/bar')).toBe('c /new/backend/bar');
    // The documentation's example: /something(/|$)(.*) with rewrite-target /$2.
    const { table: doc } = tableOf(ingress('d', [{ path: '/something(/|$)(.*)', type: 'ImplementationSpecific', svc: 'http-svc' }], { annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' } }));
    expect([route(doc, '/something'), route(doc, '/something/'), route(doc, '/something/new')]).toEqual(['http-svc /', 'http-svc /', 'http-svc /new']);
  });

  it('the documentation\'s three paths: /foo/bar/1, /foo/bar/ and /foo/bar each go to their own Service (ingress-path-matching.md:105-125)', () => {
    const { table } = tableOf(
      ingress('one', [{ path: '/foo/bar', svc: 'service1' }, { path: '/foo/bar/', svc: 'service2' }], { created: '2024-01-01T00:00:00Z' }),
      ingress('two', [{ path: '/foo/bar/(.+)', type: 'ImplementationSpecific', svc: 'service3' }], { created: '2024-01-01T00:00:01Z', annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/$1' } }),
    );
    expect([route(table, '/foo/bar/1'), route(table, '/foo/bar/'), route(table, '/foo/bar')]).toEqual(['service3 /1', 'service2', 'service1']);
  });

  it('rewrite-target equal to the path turns no regex on (template.go needsRewrite); an invalid value is an error and ignored', () => {
    expect(tableOf(ingress('a', [{ path: '/', svc: 'root' }], { annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/' } })).table.exactHosts.get('h.example.com')?.nginx?.regex).toBe(false);
    const { table, diagnostics } = tableOf(ingress('a', [{ path: '/x', svc: 'x' }], { annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/a?b=1', 'nginx.ingress.kubernetes.io/use-regex': 'yes' } }));
    expect(table.exactHosts.get('h.example.com')?.nginx?.regex).toBe(false);
    expect(diagnostics.filter((d) => d.code === 'E_ANNOTATION_VALUE').map((d) => d.message)).toEqual([
      'Ingress default/a: nginx.ingress.kubernetes.io/use-regex "yes" is not a boolean; ingress-nginx ignores it, and so does ingress-dev',
      'Ingress default/a: nginx.ingress.kubernetes.io/rewrite-target "/a?b=1" has characters ingress-nginx does not allow in a rewrite target; ingress-nginx ignores it, and so does ingress-dev',
    ]);
  });

  it('with regex on, an Exact / is never reached: the root location comes first (derived)', () => {
    const { table } = tableOf(ingress('a', [{ path: '/', type: 'Exact', svc: 'root' }, { path: '/x', svc: 'x' }], { annotations: regex }));
    expect([route(table, '/'), route(table, '/x')]).toEqual(['404', 'x']);
  });

  it('a path JavaScript cannot read as a regex is an error, and the rest of the host is served', () => {
    const { table, diagnostics } = tableOf(ingress('a', [{ path: '/bad/(', type: 'ImplementationSpecific', svc: 'bad' }, { path: '/good', svc: 'good' }], { annotations: regex }));
    expect(route(table, '/good')).toBe('good');
    expect(diagnostics.map((d) => d.code)).toContain('E_NGINX_REGEX');
  });
});

describe('nginx profile: the request path, hosts and Ingress order', () => {
  it('nginx decodes %XX, merges slashes and resolves dot segments before matching; the backend gets the path as sent (derived: ngx_http_parse_complex_uri)', () => {
    const { table } = tableOf(ingress('a', [{ path: '/foo', svc: 'foo' }]));
    expect([route(table, '//foo///bar'), route(table, '/bar/../foo'), route(table, '/%66oo/x'), route(table, '/foo/./x')]).toEqual(['foo', 'foo', 'foo', 'foo']);
    expect(route(table, '/../x')).toBe('400');
    expect(normalizeNginxUri('/a//b/./c/../d/')).toEqual({ uri: '/a/b/d/' });
    expect(normalizeNginxUri('/a/%2e%2e/b')).toEqual({ uri: '/b' });
    expect(normalizeNginxUri('/a%2')).toHaveProperty('error');
    expect(normalizeNginxUri('/a%00')).toHaveProperty('error');
  });

  it('an unknown host, and a path no rule serves, get 404; a host-less rule serves every other host; an Ingress with only a defaultBackend catches all (controller.go createServers)', () => {
    const { table } = tableOf(ingress('a', [{ path: '/', svc: 'named' }]));
    expect(route(table, '/', 'other.example.com')).toBe('404');
    const { table: catchAll } = tableOf(ingress('a', [{ path: '/x', svc: 'named' }]), ingress('all', [], { defaultBackend: 'fallback' }));
    expect([route(catchAll, '/', 'other.example.com'), route(catchAll, '/y')]).toEqual(['fallback', '404']);
    const { table: hostless } = tableOf(ingress('a', [{ path: '/x', svc: 'named' }]), ingress('any', [{ path: '/', svc: 'anyhost' }], { host: null }));
    expect(route(hostless, '/z', 'other.example.com')).toBe('anyhost');
  });

  it('the first Ingress of a host gives its root location its defaultBackend', () => {
    const { table } = tableOf(ingress('a', [{ path: '/x', svc: 'x' }], { defaultBackend: 'home', created: '2024-01-01T00:00:00Z' }), ingress('b', [{ path: '/y', svc: 'y' }], { defaultBackend: 'other', created: '2024-01-01T00:00:01Z' }));
    expect(route(table, '/z')).toBe('home');
  });

  it('*.example.com matches one label; an exact host wins (template.go buildServerName: a regex server_name)', () => {
    const { table } = tableOf(ingress('w', [{ path: '/', svc: 'wild' }], { host: '*.example.com' }), ingress('e', [{ path: '/', svc: 'exact' }], { host: 'foo.example.com' }));
    expect([route(table, '/', 'a.example.com'), route(table, '/', 'a.b.example.com'), route(table, '/', 'FOO.example.com:8080')]).toEqual(['wild', '404', 'exact']);
  });

  it('of two Ingresses with the same path, the older wins; with the same (or no) creationTimestamp, the last namespace/name (store.go sortIngressSlice)', () => {
    const timed = tableOf(ingress('b', [{ path: '/dup', svc: 'b' }], { created: '2024-01-02T00:00:00Z' }), ingress('a', [{ path: '/dup', svc: 'a' }], { created: '2024-01-01T00:00:00Z' }));
    expect(route(timed.table, '/dup')).toBe('a');
    const untimed = tableOf(ingress('a', [{ path: '/dup', svc: 'a' }]), ingress('b', [{ path: '/dup', svc: 'b' }]));
    expect(route(untimed.table, '/dup')).toBe('b');
  });
});

describe('nginx profile: why each location lost (explain)', () => {
  it('nginx-shorter-prefix, nginx-no-match, and nginx-later-regex on a regex host', () => {
    const { table } = tableOf(ingress('a', [{ path: '/app', svc: 'app' }, { path: '/app/admin', svc: 'admin' }]));
    const reasons = (t: RouteTable, path: string) => Object.fromEntries(explainRequest(t, { host: 'h.example.com', path }).candidates.map((c) => [`${c.path}${c.detail.includes('exact twin') ? ' (twin)' : ''}`, c.reason]));
    expect(reasons(table, '/app/admin/users')).toMatchObject({ '/app/': 'nginx-shorter-prefix', '/': 'nginx-shorter-prefix', '/app (twin)': 'nginx-no-match' });
    const { table: re } = tableOf(ingress('a', [{ path: '/app', svc: 'app' }, { path: '/b', svc: 'b' }], { annotations: regex }));
    expect(reasons(re, '/app/x')).toMatchObject({ '/': 'nginx-later-regex', '/b': 'nginx-no-match' });
  });
});
