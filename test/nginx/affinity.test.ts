import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import type { RouteTable } from '../../src/model/types.js';
import { explainRequest, matchRequest } from '../../src/routing/match.js';
import { stickyBackendKey } from '../../src/routing/nginx-sticky.js';

// Cookie session affinity of the nginx profile, placed on locations as ingress-nginx v1.15.1 does it:
// internal/ingress/controller/controller.go getBackendServers (the affinity belongs to the backend),
// mergeAlternativeBackend (affinity-canary-behavior), rootfs/etc/nginx/lua/balancer.lua
// (route_to_alternative_balancer) and balancer/sticky.lua (should_set_cookie), with the
// expectations of test/e2e/annotations/affinity.go.

const ann = (name: string) => `nginx.ingress.kubernetes.io/${name}`;

function ingress(name: string, paths: readonly { path: string; service?: string }[], annotations: Record<string, string> = {}, o: { host?: string | null; created?: string } = {}): string {
  const host = o.host === undefined ? 'sticky.foo.com' : o.host;
  return `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
${o.created === undefined ? '' : `  creationTimestamp: "${o.created}"\n`}  annotations:
${Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"`).join('\n') || '    ingress-dev/none: ""'}
spec:
  ingressClassName: nginx
  rules:
    - ${host === null ? '' : `host: ${host}\n      `}http:
        paths:
${paths.map((p) => `          - {path: "${p.path}", pathType: Prefix, backend: {service: {name: ${p.service ?? 'echo'}, port: {number: 80}}}}`).join('\n')}
`;
}

const services = ['echo', 'echo-canary', 'other'].map((name) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec: {ports: [{port: 80}]}
`).join('');

function compile(...docs: string[]): { table: RouteTable; codes: string[]; messages: string[] } {
  const compiled = compileRoutes(parseManifests([{ file: 'k8s.yaml', text: docs.join('') + services }]).resources, { profile: 'auto' });
  return { table: compiled.value, codes: compiled.diagnostics.map((d) => d.code), messages: compiled.diagnostics.map((d) => d.message) };
}

const cookie = { [ann('affinity')]: 'cookie' };
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('nginx profile: where cookie affinity applies (controller.go getBackendServers, sticky.lua should_set_cookie)', () => {
  it('gives every location of the backend the affinity, but only the annotated Ingress\'s path sets the cookie (affinity.go "should not set affinity across all server locations when using separate ingresses")', () => {
    const { table } = compile(ingress('ingress1', [{ path: '/foo/bar' }], cookie), ingress('ingress2', [{ path: '/foo' }]));
    const annotated = matchRequest(table, { host: 'sticky.foo.com', path: '/foo/bar' });
    const plain = matchRequest(table, { host: 'sticky.foo.com', path: '/foo' });
    expect(annotated.affinity).toMatchObject({ upstream: 'default-echo-80', setsCookie: true, locationPath: '/foo/bar', ingress: 'default/ingress1' });
    expect(plain.affinity).toMatchObject({ upstream: 'default-echo-80', setsCookie: false, locationPath: '/foo' });
  });

  it('sets the cookie on every path of the annotated Ingress, each with its own Path (affinity.go "does not set the path to / on the generated cookie if there\'s more than one rule referring to the same backend")', () => {
    const { table } = compile(ingress('morethanonerule', [{ path: '/something' }, { path: '/somewhereelse' }], { ...cookie, [ann('session-cookie-name')]: 'SERVERID' }));
    for (const path of ['/something', '/somewhereelse']) {
      const m = matchRequest(table, { host: 'sticky.foo.com', path });
      expect(m.affinity).toMatchObject({ setsCookie: true, locationPath: path });
      expect(m.affinity?.config.cookieName).toBe('SERVERID');
    }
  });

  it('applies to the default server of host-less rules (affinity.go "should set sticky cookie without host")', () => {
    const { table } = compile(ingress('nohost', [{ path: '/' }], cookie, { host: null }));
    expect(matchRequest(table, { host: 'anything.example', path: '/' }).affinity).toMatchObject({ setsCookie: true, locationPath: '/' });
  });

  it('leaves a backend no Ingress gives affinity alone', () => {
    const { table } = compile(ingress('sticky', [{ path: '/a' }], cookie), ingress('plain', [{ path: '/b', service: 'other' }]));
    expect(matchRequest(table, { host: 'sticky.foo.com', path: '/b' }).affinity).toBeUndefined();
  });

  it('takes the affinity-mode of the first Ingress that writes one, and the cookie settings of the last with affinity: cookie (controller.go: AffinityMode set only while empty, CookieSessionAffinity overwritten)', () => {
    const { table } = compile(
      ingress('older', [{ path: '/a' }], { ...cookie, [ann('session-cookie-name')]: 'FIRST' }, { created: '2024-01-01T00:00:00Z' }),
      ingress('mode', [{ path: '/b' }], { [ann('affinity-mode')]: 'persistent' }, { created: '2024-01-02T00:00:00Z' }),
      ingress('newer', [{ path: '/c' }], { ...cookie, [ann('affinity-mode')]: 'balanced', [ann('session-cookie-name')]: 'LAST' }, { created: '2024-01-03T00:00:00Z' }),
    );
    const m = matchRequest(table, { host: 'sticky.foo.com', path: '/b' });
    expect(m.affinity?.config).toMatchObject({ mode: 'persistent', cookieName: 'LAST' });
    expect(m.affinity?.setsCookie).toBe(false);
    expect(m.affinity?.ingress).toBe('default/newer');
  });

  it('warns that the cookie\'s Path is the regex as written when use-regex has no session-cookie-path (affinity.go "should warn user when use-regex is true and session-cookie-path is not set")', () => {
    const warned = compile(ingress('regex', [{ path: '/foo/.*' }], { ...cookie, [ann('use-regex')]: 'true' }));
    expect(warned.codes).toContain('W_AFFINITY_COOKIE_PATH');
    expect(matchRequest(warned.table, { host: 'sticky.foo.com', path: '/foo/bar' }).affinity?.locationPath).toBe('/foo/.*');
    // "should work with use-regex annotation and session-cookie-path": no warning, the path given is used.
    const given = compile(ingress('regex', [{ path: '/foo/.*' }], { ...cookie, [ann('use-regex')]: 'true', [ann('session-cookie-path')]: '/foo/bar' }));
    expect(given.codes).not.toContain('W_AFFINITY_COOKIE_PATH');
    expect(matchRequest(given.table, { host: 'sticky.foo.com', path: '/foo/bar' }).affinity?.config.path).toBe('/foo/bar');
  });

  it('emulates the affinity annotations now: no W_ANNOTATION_NOT_EMULATED for them, a bad value is an error and ignored (sessionaffinity/main.go)', () => {
    const { codes, messages, table } = compile(ingress('sticky', [{ path: '/' }], { ...cookie, [ann('session-cookie-samesite')]: 'Sometimes', [ann('session-cookie-max-age')]: '172800' }));
    expect(codes).not.toContain('W_ANNOTATION_NOT_EMULATED');
    expect(messages.filter((m) => m.includes('session-cookie-samesite'))).toHaveLength(1);
    expect(matchRequest(table, { host: 'sticky.foo.com', path: '/' }).affinity?.config).toMatchObject({ sameSite: null, maxAge: 172800 });
  });
});

describe('nginx profile: affinity and canaries (controller.go mergeAlternativeBackend, balancer.lua route_to_alternative_balancer)', () => {
  const main = ingress('foo', [{ path: '/' }], cookie);
  const canary = (extra: Record<string, string>) => ingress('foo-canary', [{ path: '/', service: 'echo-canary' }], { [ann('canary')]: 'true', ...extra });
  const sessionOf = (upstream: string) => ({ cookie: `INGRESSCOOKIE=1700000001.1.42|${stickyBackendKey(upstream)}` });
  const serviceOf = (table: RouteTable, headers: Record<string, string>, random = () => 0.5) => {
    const m = matchRequest(table, { host: 'sticky.foo.com', path: '/', headers, random });
    return m.backend?.kind === 'service' ? m.backend.service : String(m.status);
  };

  it('gives the canary the main backend\'s affinity, salted with its own upstream name, by default (affinity-canary-behavior: sticky)', () => {
    const { table } = compile(main, canary({ [ann('canary-weight')]: '100' }));
    const m = matchRequest(table, { host: 'sticky.foo.com', path: '/', random: () => 0 });
    expect(m.backend).toMatchObject({ service: 'echo-canary' });
    expect(m.affinity).toMatchObject({ upstream: 'default-echo-canary-80', setsCookie: true, config: { cookieName: 'INGRESSCOOKIE' } });
  });

  it('keeps a session on the backend its cookie names, before any canary rule (balancer.lua: is_affinitized is checked first)', () => {
    const { table } = compile(main, canary({ [ann('canary-by-header')]: 'X-Canary', [ann('canary-weight')]: '0' }));
    // The main backend's cookie beats canary-by-header: always.
    expect(serviceOf(table, { 'x-canary': 'always', ...sessionOf('default-echo-80') })).toBe('echo');
    // The canary's cookie beats a weight of 0.
    expect(serviceOf(table, sessionOf('default-echo-canary-80'))).toBe('echo-canary');
    // A cookie of another backend is no session here.
    expect(serviceOf(table, { 'x-canary': 'always', ...sessionOf('default-other-80') })).toBe('echo-canary');
    const explained = explainRequest(table, { host: 'sticky.foo.com', path: '/', headers: sessionOf('default-echo-canary-80') });
    expect(explained.steps?.find((s) => s.by === 'canary')?.what).toContain('the session cookie names the canary backend');
  });

  it('leaves the canary without affinity with affinity-canary-behavior: legacy, so its cookie does not hold a session there', () => {
    const { table } = compile(main, canary({ [ann('canary-weight')]: '0', [ann('affinity-canary-behavior')]: 'legacy' }));
    expect(serviceOf(table, sessionOf('default-echo-canary-80'))).toBe('echo');
    const m = matchRequest(table, { host: 'sticky.foo.com', path: '/', random: () => 0, headers: {} });
    expect(m.affinity?.upstream).toBe('default-echo-80');
  });

  it('says in the steps what the sticky balancer will do (explain)', () => {
    const { table } = compile(main);
    const fresh = explainRequest(table, { host: 'sticky.foo.com', path: '/' });
    expect(fresh.steps?.find((s) => s.by === 'affinity')?.what).toMatch(/cookie affinity of default-echo-80 \(balanced, from Ingress default\/foo\): no INGRESSCOOKIE cookie: one endpoint is picked and a new session sets INGRESSCOOKIE \(Path \/\)/);
    const held = explainRequest(table, { host: 'sticky.foo.com', path: '/', headers: { cookie: `INGRESSCOOKIE=${md5('x')}|${stickyBackendKey('default-echo-80')}` } });
    expect(held.steps?.find((s) => s.by === 'affinity')?.what).toContain('leads to one endpoint on the hash ring');
  });
});
