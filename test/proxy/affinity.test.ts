/**
 * ingress-nginx's cookie affinity through the real proxy, with a Service of two endpoints on
 * real sockets: the Set-Cookie the first response carries, requests that carry the cookie staying
 * on one endpoint, and session-cookie-change-on-failure when that endpoint is gone. Sources:
 * ingress-nginx v1.15.1 test/e2e/annotations/affinity.go and affinitymode.go,
 * rootfs/etc/nginx/lua/balancer/sticky.lua, sticky_balanced.lua, sticky_persistent.lua.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendResolver, Resolution, Target, TargetResolution } from '../../src/backends/types.js';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import type { RouteTable } from '../../src/model/types.js';
import { stickyBackendKey } from '../../src/routing/nginx-sticky.js';
import { freePort, send, startTestProxy, startUpstream, targetOf, type TestProxy, type Upstream } from './harness.js';

const host = 'sticky.foo.com';
const upstreamName = 'default-web-80';

function table(annotations: Record<string, string>, extra = ''): RouteTable {
  const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: sticky
  annotations:
    nginx.ingress.kubernetes.io/affinity: cookie
${Object.entries(annotations).map(([k, v]) => `    nginx.ingress.kubernetes.io/${k}: "${v}"`).join('\n')}
spec:
  ingressClassName: nginx
  rules:
    - host: ${host}
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
${extra}`;
  return compileRoutes(parseManifests([{ file: 'k8s.yaml', text: yaml }]).resources, { profile: 'auto' }).value;
}

/** A Service whose endpoints are `ports`, in this order; `resolve` takes them in turn, as the Docker resolver does. */
function replicas(ports: readonly number[]): BackendResolver {
  const targets: TargetResolution[] = ports.map((port) => ({ kind: 'target', target: targetOf(port), via: `replica ${port}` }));
  let turn = 0;
  return {
    resolve(): Resolution {
      return targets[turn++ % targets.length] as TargetResolution;
    },
    endpoints: () => targets,
    reportFailure() {},
  };
}

/** An upstream that says which replica it is, and sets a cookie of its own. */
function replica(name: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': `app=${name}; Path=/` });
      res.end(name);
    });
  };
}

/** The cookie a browser would send back: the first `NAME=VALUE` of a Set-Cookie. */
function cookieOf(setCookie: readonly string[] | undefined, name: string): string {
  const found = (setCookie ?? []).find((c) => c.startsWith(`${name}=`));
  if (found === undefined) throw new Error(`no ${name} cookie in ${JSON.stringify(setCookie)}`);
  return found.split(';')[0] as string;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('nginx profile: cookie affinity through the proxy (test/e2e/annotations/affinity.go)', () => {
  let upstreams: Upstream[] = [];
  let proxy: TestProxy;
  afterEach(async () => {
    await proxy.close();
    await Promise.all(upstreams.map((u) => u.close()));
    upstreams = [];
  });

  async function start(annotations: Record<string, string>, ports?: number[]): Promise<number[]> {
    upstreams = [await startUpstream(replica('a')), await startUpstream(replica('b'))];
    const endpoints = ports ?? upstreams.map((u) => u.port);
    proxy = await startTestProxy({ table: table(annotations), resolver: replicas(endpoints) });
    return endpoints;
  }

  it('sets the session cookie before the backend\'s own, and keeps every request that carries it on one endpoint ("should set sticky cookie SERVERID")', async () => {
    await start({ 'session-cookie-name': 'SERVERID' });
    const first = await send(proxy.port, { headers: { host } });
    expect(first.status).toBe(200);
    expect(first.headers['set-cookie']).toHaveLength(2);
    expect(first.headers['set-cookie']?.[0]).toMatch(new RegExp(`^SERVERID=\\d+(\\.\\d+)?\\.1\\.\\d+\\|${stickyBackendKey(upstreamName)}; Path=/; HttpOnly$`));
    expect(first.headers['set-cookie']?.[1]).toBe(`app=${first.body}; Path=/`);
    const session = cookieOf(first.headers['set-cookie'], 'SERVERID');
    const bodies = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const next = await send(proxy.port, { headers: { host, cookie: `theme=dark; ${session}` } });
      bodies.add(next.body);
      // A cookie that leads to an endpoint is not set again (sticky.lua balance()).
      expect(next.headers['set-cookie']).toEqual([`app=${next.body}; Path=/`]);
    }
    expect([...bodies]).toEqual([first.body]);
    const event = proxy.events.at(-1);
    expect(event?.steps?.find((s) => s.by === 'affinity')?.what).toMatch(/^default-web-80 \(balanced\): cookie SERVERID leads to 127\.0\.0\.1:\d+ on the hash ring/);
  });

  it('spreads clients without a cookie over the endpoints, each getting a cookie of its own', async () => {
    await start({});
    const bodies = new Set<string>();
    const cookies = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const reply = await send(proxy.port, { headers: { host } });
      bodies.add(reply.body);
      cookies.add(cookieOf(reply.headers['set-cookie'], 'INGRESSCOOKIE'));
    }
    expect([...bodies].toSorted()).toEqual(['a', 'b']);
    expect(cookies.size).toBe(40);
  });

  it('writes Expires, Max-Age, Domain, Secure and SameSite as the annotations say ("should set cookie with expires", "with domain", "secure in cookie with provided true annotation on http")', async () => {
    await start({ 'session-cookie-expires': '172800', 'session-cookie-max-age': '259200', 'session-cookie-domain': 'foo.bar', 'session-cookie-path': '/something', 'session-cookie-secure': 'true', 'session-cookie-samesite': 'Strict' });
    const before = Math.floor(Date.now() / 1000);
    const reply = await send(proxy.port, { headers: { host } });
    const setCookie = reply.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/^INGRESSCOOKIE=[^;]+; Expires=\w{3}, \d{2}-\w{3}-\d{2} \d{2}:\d{2}:\d{2} GMT; Max-Age=259200; Domain=foo\.bar; Path=\/something; Secure; HttpOnly; SameSite=Strict$/);
    const expires = Date.parse((/Expires=([^;]+)/.exec(setCookie)?.[1] ?? '').replace(/-(\w{3})-(\d{2}) /, ' $1 20$2 ')) / 1000;
    expect(expires - before).toBeGreaterThanOrEqual(172800);
    expect(expires - before).toBeLessThanOrEqual(172802);
  });

  it('in persistent mode names the endpoint itself in the cookie (affinitymode.go "Check persistent affinity mode"; nodemap.lua)', async () => {
    const [a] = await start({ 'affinity-mode': 'persistent' });
    const held = `INGRESSCOOKIE=${md5(`${upstreamName}127.0.0.1:${a}`)}|${stickyBackendKey(upstreamName)}`;
    for (let i = 0; i < 10; i++) expect((await send(proxy.port, { headers: { host, cookie: held } })).body).toBe('a');
    const fresh = await send(proxy.port, { headers: { host } });
    const port = fresh.body === 'a' ? a : upstreams[1]?.port;
    expect(cookieOf(fresh.headers['set-cookie'], 'INGRESSCOOKIE')).toBe(`INGRESSCOOKIE=${md5(`${upstreamName}127.0.0.1:${port}`)}|${stickyBackendKey(upstreamName)}`);
  });

  it('moves a session whose endpoint refuses connections to another and changes the cookie, with session-cookie-change-on-failure (sticky.lua balance())', async () => {
    const dead = await freePort();
    upstreams = [await startUpstream(replica('b'))];
    const live = upstreams[0]?.port ?? 0;
    proxy = await startTestProxy({ table: table({ 'affinity-mode': 'persistent', 'session-cookie-change-on-failure': 'true' }), resolver: replicas([dead, live]) });
    const held = `INGRESSCOOKIE=${md5(`${upstreamName}127.0.0.1:${dead}`)}|${stickyBackendKey(upstreamName)}`;
    const reply = await send(proxy.port, { headers: { host, cookie: held } });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('b');
    expect(cookieOf(reply.headers['set-cookie'], 'INGRESSCOOKIE')).toBe(`INGRESSCOOKIE=${md5(`${upstreamName}127.0.0.1:${live}`)}|${stickyBackendKey(upstreamName)}`);
    expect(proxy.events.at(-1)?.steps?.map((s) => s.what).join('\n')).toContain(`after 127.0.0.1:${dead} failed`);
  });

  it('keeps the session on its endpoint without session-cookie-change-on-failure, so the request fails there (sticky.lua balance())', async () => {
    const dead = await freePort();
    upstreams = [await startUpstream(replica('b'))];
    proxy = await startTestProxy({ table: table({ 'affinity-mode': 'persistent' }), resolver: replicas([dead, upstreams[0]?.port ?? 0]) });
    const held = `INGRESSCOOKIE=${md5(`${upstreamName}127.0.0.1:${dead}`)}|${stickyBackendKey(upstreamName)}`;
    const reply = await send(proxy.port, { headers: { host, cookie: held, accept: 'text/html' } });
    expect(reply.status).toBe(502);
    expect(reply.headers['set-cookie']).toBeUndefined();
  });

  it('sets no cookie on a path of another Ingress of the same backend, but follows one ("should not set affinity across all server locations when using separate ingresses")', async () => {
    upstreams = [await startUpstream(replica('a')), await startUpstream(replica('b'))];
    const other = `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plain}
spec:
  ingressClassName: nginx
  rules:
    - host: ${host}
      http:
        paths:
          - {path: /plain, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`;
    const [a, b] = upstreams.map((u) => u.port) as [number, number];
    proxy = await startTestProxy({ table: table({ 'affinity-mode': 'persistent' }, other), resolver: replicas([a, b]) });
    const plain = await send(proxy.port, { path: '/plain', headers: { host } });
    expect(plain.headers['set-cookie']).toEqual([`app=${plain.body}; Path=/`]);
    const held = `INGRESSCOOKIE=${md5(`${upstreamName}127.0.0.1:${b}`)}|${stickyBackendKey(upstreamName)}`;
    for (let i = 0; i < 5; i++) expect((await send(proxy.port, { path: '/plain', headers: { host, cookie: held } })).body).toBe('b');
  });

  it('sets the cookie on the built-in echo too: one endpoint is still a sticky session', async () => {
    const echo: Target = { kind: 'echo' };
    proxy = await startTestProxy({ table: table({}), resolver: { resolve: () => ({ kind: 'target', target: echo, via: 'unmapped: echo' }), endpoints: () => [{ kind: 'target', target: echo, via: 'unmapped: echo' }] } });
    const reply = await send(proxy.port, { headers: { host } });
    expect(reply.status).toBe(200);
    expect(cookieOf(reply.headers['set-cookie'], 'INGRESSCOOKIE')).toMatch(/^INGRESSCOOKIE=[^|]+\|/);
    expect(proxy.events.at(-1)?.responseHeaders['set-cookie']).toMatch(/^INGRESSCOOKIE=/);
  });
});
