import aprMd5 from 'apache-md5';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import type { RouteTable } from '../../src/model/types.js';
import { matchRequest } from '../../src/routing/match.js';
import type { MatchRequest } from '../../src/routing/types.js';

// CORS, source ranges, basic auth and satisfy of the nginx profile, compiled from manifests and
// matched offline, from ingress-nginx v1.15.1's e2e tests (test/e2e/annotations/{cors,auth,
// ipallowlist,ipdenylist,satisfy}.go) and nginx.tmpl's location block.

const ann = (name: string) => `nginx.ingress.kubernetes.io/${name}`;

function secret(name: string, data: Record<string, string>, namespace = 'default'): string {
  return `---
apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: ${namespace}}
data:
${Object.entries(data).map(([k, v]) => `  ${k}: ${Buffer.from(v).toString('base64')}`).join('\n')}
`;
}

function compile(annotations: Record<string, string>, extra = ''): { table: RouteTable; diagnostics: { code: string; message: string; line: number }[] } {
  const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: auth
  annotations:
${Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"`).join('\n') || '    {}'}
spec:
  ingressClassName: nginx
  rules:
    - host: auth
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}
          - {path: /.well-known/acme-challenge, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec: {ports: [{port: 80}]}
${extra}`.replace('annotations:\n    {}', 'annotations: {}');
  const compiled = compileRoutes(parseManifests([{ file: 'k8s.yaml', text: yaml }]).resources, { profile: 'auto' });
  return { table: compiled.value, diagnostics: compiled.diagnostics.map((d) => ({ code: d.code, message: d.message, line: d.line })) };
}

function ask(t: RouteTable, o: Partial<MatchRequest> & { user?: string; password?: string } = {}) {
  const headers: Record<string, string> = { ...(o.headers as Record<string, string> | undefined) };
  if (o.user !== undefined) headers.authorization = `Basic ${Buffer.from(`${o.user}:${o.password ?? ''}`).toString('base64')}`;
  return matchRequest(t, { host: 'auth', path: '/', ...o, headers });
}

const basic = { [ann('auth-type')]: 'basic', [ann('auth-secret')]: 'basic-secret', [ann('auth-realm')]: 'test auth' };
const htpasswd = secret('basic-secret', { auth: `foo:${aprMd5('bar')}\n` });

describe('nginx profile: basic auth (test/e2e/annotations/auth.go)', () => {
  it('401 without credentials and with wrong ones, WWW-Authenticate with the realm; 200 with the htpasswd user, and the backend gets no Authorization', () => {
    const { table: t, diagnostics } = compile(basic, htpasswd);
    expect(diagnostics).toEqual([]);
    const none = ask(t);
    expect(none.status).toBe(401);
    expect(none.reply?.headers).toEqual([['WWW-Authenticate', 'Basic realm="test auth"']]);
    expect(ask(t, { user: 'user', password: 'pass' }).status).toBe(401);
    expect(ask(t, { user: 'foo', password: 'baz' }).status).toBe(401);
    const ok = ask(t, { user: 'foo', password: 'bar' });
    expect(ok.status).toBe(200);
    expect(ok.upstreamClears).toEqual(['authorization']);
    expect(ok.steps).toContainEqual({ by: 'auth-type', what: 'user "foo" authenticated' });
  });

  it('auth-secret-type auth-map: each key is a user, its value the hash; bcrypt hashes verify ("with a map")', () => {
    const { table: t } = compile({ ...basic, [ann('auth-secret-type')]: 'auth-map' }, secret('basic-secret', { foo: bcrypt.hashSync('bar', 4) }));
    expect(ask(t, { user: 'foo', password: 'bar' }).status).toBe(200);
    expect(ask(t, { user: 'foo', password: 'nope' }).status).toBe(401);
  });

  it('a Secret that is not in the folder: 503 on every path, with an error at auth-secret ("with an invalid secret")', () => {
    const { table: t, diagnostics } = compile(basic);
    expect(ask(t).status).toBe(503);
    expect(ask(t, { path: '/other' }).reply?.why).toContain('Secret default/basic-secret is not in the folder');
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([['E_NGINX_AUTH_SECRET', 8]]);
  });

  it('a Secret without the key auth: 503 ("with invalid content" keeps a file: here the key itself is missing)', () => {
    const { table: t, diagnostics } = compile(basic, secret('basic-secret', { users: 'foo:x' }));
    expect(ask(t).status).toBe(503);
    expect(diagnostics[0]?.message).toContain('the Secret has no key `auth`');
  });

  it('a Secret of another namespace is refused without allow-cross-namespace-resources (auth/main.go)', () => {
    const { table: t, diagnostics } = compile({ ...basic, [ann('auth-secret')]: 'other/basic-secret' }, secret('basic-secret', { auth: `foo:${aprMd5('bar')}` }, 'other'));
    expect(ask(t, { user: 'foo', password: 'bar' }).status).toBe(503);
    expect(diagnostics[0]?.message).toContain('cross namespace usage of secrets is not allowed');
  });

  it('no-auth-locations (default /.well-known/acme-challenge) skips basic auth (configmap.md)', () => {
    const { table: t } = compile(basic, htpasswd);
    expect(ask(t, { path: '/.well-known/acme-challenge/token' }).status).toBe(200);
  });
});

describe('nginx profile: source ranges (test/e2e/annotations/ipallowlist.go, ipdenylist.go)', () => {
  it('allowlist-source-range: a client outside gets 403, one inside passes', () => {
    const { table: t } = compile({ [ann('allowlist-source-range')]: '18.0.0.0/8, 56.0.0.0/8' });
    expect(ask(t).status).toBe(403);
    expect(ask(t, { clientAddress: '18.1.2.3' }).status).toBe(200);
    expect(ask(t).steps?.[0]?.by).toBe('allowlist-source-range');
  });

  it('whitelist-source-range is the older name; allowlist wins when both are set', () => {
    expect(ask(compile({ [ann('whitelist-source-range')]: '127.0.0.1' }).table).status).toBe(200);
    expect(ask(compile({ [ann('whitelist-source-range')]: '10.0.0.0/8' }).table).status).toBe(403);
    expect(ask(compile({ [ann('allowlist-source-range')]: '127.0.0.1', [ann('whitelist-source-range')]: '10.0.0.0/8' }).table).status).toBe(200);
  });

  it('denylist-source-range: a client inside gets 403; the denylist is checked before the allowlist', () => {
    const { table: t } = compile({ [ann('denylist-source-range')]: '127.0.0.1/32', [ann('allowlist-source-range')]: '127.0.0.0/8' });
    expect(ask(t).status).toBe(403);
    expect(ask(t, { clientAddress: '127.0.0.2' }).status).toBe(200);
  });

  it('the client address nginx checks is X-Forwarded-For\'s only with use-forwarded-headers (ipdenylist.go sets it)', () => {
    const { table: t } = compile({ [ann('denylist-source-range')]: '1.2.3.4' });
    expect(ask(t, { headers: { 'x-forwarded-for': '1.2.3.4' } }).status).toBe(200);
  });

  it('a bad CIDR denies the location: 503 on every path, with an error (ipallowlist/main.go LocationDenied)', () => {
    const { table: t, diagnostics } = compile({ [ann('allowlist-source-range')]: '10.0.0.0/33' });
    expect(ask(t).status).toBe(503);
    expect(diagnostics.map((d) => d.code)).toEqual(['E_ANNOTATION_VALUE']);
    expect(diagnostics[0]?.message).toContain('answers 503 on every path');
  });
});

describe('nginx profile: satisfy (test/e2e/annotations/satisfy.go)', () => {
  it('satisfy any: a client in the allowlist passes without a password; another needs it', () => {
    const { table: t } = compile({ ...basic, [ann('allowlist-source-range')]: '10.0.0.0/8', [ann('satisfy')]: 'any' }, htpasswd);
    expect(ask(t, { clientAddress: '10.1.1.1' }).status).toBe(200);
    expect(ask(t).status).toBe(401);
    expect(ask(t, { user: 'foo', password: 'bar' }).status).toBe(200);
  });

  it('satisfy all (the default): the address is checked first, so a right password from outside still gets 403', () => {
    const { table: t } = compile({ ...basic, [ann('allowlist-source-range')]: '10.0.0.0/8' }, htpasswd);
    expect(ask(t, { user: 'foo', password: 'bar' }).status).toBe(403);
    expect(ask(t, { clientAddress: '10.1.1.1', user: 'foo', password: 'bar' }).status).toBe(200);
  });
});

describe('nginx profile: CORS (test/e2e/annotations/cors.go)', () => {
  it('enable-cors: an OPTIONS preflight is answered 204 by nginx with the Access-Control-* headers ("should enable cors")', () => {
    const { table: t } = compile({ [ann('enable-cors')]: 'true' });
    const preflight = ask(t, { method: 'OPTIONS', headers: { origin: 'https://origin.cors.com' } });
    expect(preflight.status).toBe(204);
    expect(preflight.backend).toBeNull();
    expect(Object.fromEntries(preflight.reply?.headers ?? [])).toMatchObject({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
      'Access-Control-Max-Age': '1728000',
    });
    const get = ask(t, { headers: { origin: 'https://origin.cors.com' } });
    expect(get.status).toBe(200);
    expect(get.responseHeaders?.[0]).toEqual(['Access-Control-Allow-Origin', '*']);
  });

  it('cors-allow-origin list: an allowed origin is echoed, another gets no headers and its OPTIONS goes to the backend', () => {
    const { table: t } = compile({ [ann('enable-cors')]: 'true', [ann('cors-allow-origin')]: 'https://origin.cors.com:8080, https://*.example.com' });
    expect(ask(t, { headers: { origin: 'https://origin.cors.com:8080' } }).responseHeaders?.[0]).toEqual(['Access-Control-Allow-Origin', 'https://origin.cors.com:8080']);
    expect(ask(t, { headers: { origin: 'https://app.example.com' } }).responseHeaders?.[0]).toEqual(['Access-Control-Allow-Origin', 'https://app.example.com']);
    const other = ask(t, { method: 'OPTIONS', headers: { origin: 'https://evil.test' } });
    expect(other.status).toBe(200);
    expect(other.responseHeaders).toEqual([]);
  });

  it('a preflight is answered before auth; a 401 carries the CORS headers ("should return status code 401 and cors headers")', () => {
    const { table: t } = compile({ ...basic, [ann('enable-cors')]: 'true' }, htpasswd);
    expect(ask(t, { method: 'OPTIONS', headers: { origin: 'https://x.test' } }).status).toBe(204);
    const refused = ask(t, { headers: { origin: 'https://x.test' } });
    expect(refused.status).toBe(401);
    expect(refused.responseHeaders?.[0]).toEqual(['Access-Control-Allow-Origin', '*']);
  });

  it('an origin ingress-nginx skips is warned at the annotation', () => {
    const { diagnostics } = compile({ [ann('enable-cors')]: 'true', [ann('cors-allow-origin')]: 'origin.cors.com, https://ok.test' });
    expect(diagnostics.map((d) => d.code)).toEqual(['W_CORS_ORIGIN_SKIPPED']);
  });
});

describe('nginx profile: custom-headers (test/e2e/annotations/customheaders.go)', () => {
  const configMap = `---
apiVersion: v1
kind: ConfigMap
metadata: {name: custom-headers, namespace: default}
data: {My-Custom-Header: "42", My-Custom-Header-Dollar: "$remote_addr"}
`;

  it('headers listed in global-allowed-response-headers are set on the response, values literal', () => {
    const withAllowed = compileRoutes(parseManifests([{ file: 'k8s.yaml', text: `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: auth
  annotations: {nginx.ingress.kubernetes.io/custom-headers: default/custom-headers}
spec:
  ingressClassName: nginx
  rules: [{host: auth, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}]}}]
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec: {ports: [{port: 80}]}
${configMap}` }]).resources, { profile: 'auto', nginxConfig: [{ key: 'global-allowed-response-headers', value: 'My-Custom-Header,My-Custom-Header-Dollar', at: { file: 'ingress-dev.yaml', line: 2, col: 3 } }] });
    const m = matchRequest(withAllowed.value, { host: 'auth', path: '/' });
    expect(m.status).toBe(200);
    expect(m.responseHeaders).toEqual([['My-Custom-Header', '42'], ['My-Custom-Header-Dollar', '$remote_addr']]);
  });

  it('without global-allowed-response-headers (empty by default) the location is denied: 503, with an error', () => {
    const { table: t, diagnostics } = compile({ [ann('custom-headers')]: 'default/custom-headers' }, configMap);
    expect(ask(t).status).toBe(503);
    expect(diagnostics[0]?.message).toContain('header My-Custom-Header is not allowed');
  });

  it('a ConfigMap that is not in the folder: 503 ("should return status code 503 when the configmap is not found")', () => {
    const { table: t } = compile({ [ann('custom-headers')]: 'default/missing' });
    expect(ask(t).status).toBe(503);
    expect(ask(t).reply?.why).toBe('custom-headers: unable to find configMap "default/missing"');
  });
});
