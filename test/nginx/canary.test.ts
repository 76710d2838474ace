import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import type { RouteTable } from '../../src/model/types.js';
import { matchRequest } from '../../src/routing/match.js';

// Canary Ingresses of the nginx profile, from ingress-nginx v1.15.1's test/e2e/annotations/canary.go,
// controller.go (mergeAlternativeBackends) and rootfs/etc/nginx/lua/balancer.lua (route_to_alternative_balancer).

const ann = (name: string) => `nginx.ingress.kubernetes.io/${name}`;

function ingress(name: string, service: string, annotations: Record<string, string> = {}, o: { host?: string; path?: string } = {}): string {
  return `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  annotations:
${Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"`).join('\n') || '    ingress-dev/none: ""'}
spec:
  ingressClassName: nginx
  rules:
    - host: ${o.host ?? 'foo'}
      http:
        paths:
          - {path: ${o.path ?? '/'}, pathType: Prefix, backend: {service: {name: ${service}, port: {number: 80}}}}
`;
}

const services = `---
apiVersion: v1
kind: Service
metadata: {name: http-svc}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: http-svc-canary}
spec: {ports: [{port: 80}]}
`;

function compile(...docs: string[]): { table: RouteTable; codes: string[] } {
  const compiled = compileRoutes(parseManifests([{ file: 'k8s.yaml', text: docs.join('') + services }]).resources, { profile: 'auto' });
  return { table: compiled.value, codes: compiled.diagnostics.map((d) => d.code) };
}

function serviceFor(t: RouteTable, headers: Record<string, string> = {}, random = () => 0.5, host = 'foo'): string {
  const m = matchRequest(t, { host, path: '/info', headers, random });
  return m.backend?.kind === 'service' ? m.backend.service : String(m.status);
}

const canary = (extra: Record<string, string>) => ingress('foo-canary', 'http-svc-canary', { [ann('canary')]: 'true', ...extra });

describe('nginx profile: canary (test/e2e/annotations/canary.go)', () => {
  it('canary-by-header: "always" goes to the canary, "never" and anything else to the mainline ("respects always and never values")', () => {
    const { table: t } = compile(ingress('foo', 'http-svc'), canary({ [ann('canary-by-header')]: 'CanaryByHeader' }));
    expect(serviceFor(t, { canarybyheader: 'always' })).toBe('http-svc-canary');
    expect(serviceFor(t, { canarybyheader: 'never' })).toBe('http-svc');
    expect(serviceFor(t, { canarybyheader: 'badheadervalue' })).toBe('http-svc');
    expect(serviceFor(t)).toBe('http-svc');
    const m = matchRequest(t, { host: 'foo', path: '/', headers: { canarybyheader: 'always' } });
    expect(m.route?.id).toBe('ingress:default/foo#r0.p0');
    expect(m.steps?.at(-1)).toEqual({ by: 'canary', what: 'to the canary http-svc-canary:80 of Ingress default/foo-canary: canary-by-header: CanaryByHeader is "always"' });
  });

  it('canary-by-header-value: only that exact value goes to the canary ("by header value")', () => {
    const { table: t } = compile(ingress('foo', 'http-svc'), canary({ [ann('canary-by-header')]: 'CanaryByHeader', [ann('canary-by-header-value')]: 'DoCanary' }));
    expect(serviceFor(t, { canarybyheader: 'DoCanary' })).toBe('http-svc-canary');
    expect(serviceFor(t, { canarybyheader: 'always' })).toBe('http-svc');
  });

  it('canary-by-cookie: "always" and "never", after the header', () => {
    const { table: t } = compile(ingress('foo', 'http-svc'), canary({ [ann('canary-by-cookie')]: 'Canary-By-Cookie' }));
    expect(serviceFor(t, { cookie: 'Canary-By-Cookie=always' })).toBe('http-svc-canary');
    expect(serviceFor(t, { cookie: 'Canary-By-Cookie=never' })).toBe('http-svc');
  });

  it('canary-weight 0 sends nothing to the canary, 100 everything; 100 of weight-total 200 splits by the draw', () => {
    const zero = compile(ingress('foo', 'http-svc'), canary({ [ann('canary-weight')]: '0' })).table;
    expect(serviceFor(zero, {}, () => 0)).toBe('http-svc');
    const all = compile(ingress('foo', 'http-svc'), canary({ [ann('canary-weight')]: '100' })).table;
    expect(serviceFor(all, {}, () => 0.999)).toBe('http-svc-canary');
    const half = compile(ingress('foo', 'http-svc'), canary({ [ann('canary-weight')]: '100', [ann('canary-weight-total')]: '200' })).table;
    expect(serviceFor(half, {}, () => 0.4)).toBe('http-svc-canary');
    expect(serviceFor(half, {}, () => 0.6)).toBe('http-svc');
  });

  it('a canary without a mainline Ingress serves nothing: 404, with a warning ("should return 404 status for requests to the canary if no matching ingress is found")', () => {
    const { table: t, codes } = compile(canary({ [ann('canary-by-header')]: 'CanaryByHeader' }));
    expect(serviceFor(t, { canarybyheader: 'always' })).toBe('404');
    expect(codes).toContain('W_CANARY_UNMATCHED');
  });

  it('a canary on another path attaches to nothing ("should not use canary with domain as a server")', () => {
    const { table: t, codes } = compile(ingress('foo', 'http-svc'), ingress('foo-canary', 'http-svc-canary', { [ann('canary')]: 'true', [ann('canary-weight')]: '100' }, { path: '/other' }));
    expect(serviceFor(t)).toBe('http-svc');
    expect(serviceFor(t, {}, () => 0, 'foo')).toBe('http-svc');
    expect(codes).toContain('W_CANARY_UNMATCHED');
  });

  it('canary settings without canary: "true" are ignored, with a warning (canary/main.go "configured but not enabled")', () => {
    const { table: t, codes } = compile(ingress('foo', 'http-svc', { [ann('canary-weight')]: '100' }));
    expect(serviceFor(t, {}, () => 0)).toBe('http-svc');
    expect(codes).toEqual(['W_CANARY_NOT_ENABLED']);
  });
});
