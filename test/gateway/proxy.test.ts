/**
 * HTTPRoutes served by the proxy on real sockets (issue 13): what the backend receives (header
 * modifiers, URLRewrite), what the client gets (ResponseHeaderModifier, redirects to the local
 * ports, the 500 and 404 pages), through the same pipeline as Ingresses. Sources: the
 * conformance tests httproute-request-header-modifier.go, httproute-response-header-modifier.go,
 * httproute-rewrite-host.go, httproute-redirect-*.go, httproute-omitted-backendrefs.go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { echoHandler, json, send, startTestProxy, startUpstream, testResolver, waitFor, type TestProxy, type Upstream } from '../proxy/harness.js';
import { compileYaml } from './harness.js';

const yaml = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: test
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app}
spec:
  parentRefs: [{name: gw}]
  hostnames: [app.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /headers}}]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set: [{name: X-Header-Set, value: set-overwrites-values}]
            add: [{name: X-Header-Add, value: add-appends-values}]
            remove: [X-Header-Remove]
        - type: ResponseHeaderModifier
          responseHeaderModifier:
            add: [{name: X-Resp-Add, value: gateway}]
            remove: [X-Backend-Secret]
      backendRefs: [{name: web, port: 80}]
    - matches: [{path: {type: PathPrefix, value: /rewrite}}]
      filters: [{type: URLRewrite, urlRewrite: {hostname: internal.example.org, path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}]
      backendRefs: [{name: web, port: 80}]
    - matches: [{path: {type: PathPrefix, value: /old}}]
      filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}, statusCode: 301}}]
    - matches: [{path: {type: Exact, value: /secure}}]
      filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
    - matches: [{path: {type: Exact, value: /nothing}}]
    - matches: [{path: {type: PathPrefix, value: /request-timeout}}]
      timeouts: {request: 200ms}
      backendRefs: [{name: web, port: 80}]
    - matches: [{path: {type: PathPrefix, value: /disable-request-timeout}}]
      timeouts: {request: 0s}
      backendRefs: [{name: web, port: 80}]
    - matches: [{path: {type: PathPrefix, value: /mirror}}]
      filters: [{type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 80}}}]
      backendRefs: [{name: web, port: 80}]
    - matches: [{path: {type: PathPrefix, value: /cors}}]
      filters: [{type: CORS, cors: {allowOrigins: ["https://app.example.com"], allowMethods: [GET, PUT], maxAge: 60}}]
      backendRefs: [{name: web, port: 80}]
    - backendRefs: [{name: web, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: shadow}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
`;

let upstream: Upstream;
let shadow: Upstream;
const mirrored: { url: string; host: string }[] = [];
let proxy: TestProxy;

beforeAll(async () => {
  upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
    // The conformance echo's `?delay=`: answer late (a backend's behaviour, not a wait of the test).
    const delay = /[?&]delay=(\d+)ms/.exec(req.url ?? '')?.[1];
    if (delay !== undefined) {
      setTimeout(() => res.end('late'), Number(delay));
      return;
    }
    res.setHeader('X-Backend-Secret', 'hidden');
    res.setHeader('X-Resp-Add', 'backend');
    echoHandler(req, res);
  });
  shadow = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
    mirrored.push({ url: req.url ?? '', host: req.headers.host ?? '' });
    res.end('the mirror\'s answer, discarded');
  });
  const { table } = compileYaml(yaml);
  proxy = await startTestProxy({ table, resolver: testResolver({ web: upstream.port, shadow: shadow.port }) });
});

afterAll(async () => {
  await proxy.close();
  await upstream.close();
  await shadow.close();
});

describe('HTTPRoutes through the proxy', () => {
  it('applies RequestHeaderModifier to what the backend receives, and ResponseHeaderModifier to what the client gets', async () => {
    const reply = await send(proxy.port, { path: '/headers', headers: { host: 'app.example.com', 'x-header-set': 'some-other-value', 'x-header-add': 'some-other-value', 'x-header-remove': 'val' } });
    expect(reply.status).toBe(200);
    const got = json<{ headers: Record<string, string> }>(reply).headers;
    expect(got['x-header-set']).toBe('set-overwrites-values');
    expect(got['x-header-add']).toBe('some-other-value,add-appends-values');
    expect(got['x-header-remove']).toBeUndefined();
    expect(got.host).toBe('app.example.com');
    expect(reply.headers['x-resp-add']).toBe('backend,gateway');
    expect(reply.headers['x-backend-secret']).toBeUndefined();
  });

  it('URLRewrite: the backend gets the new Host and path, the query kept', async () => {
    const reply = await send(proxy.port, { path: '/rewrite/items?page=2', headers: { host: 'app.example.com' } });
    const got = json<{ url: string; headers: Record<string, string> }>(reply);
    expect(got.url).toBe('/v2/items?page=2');
    expect(got.headers.host).toBe('internal.example.org');
  });

  it('RequestRedirect answers itself with the port the client addressed; a scheme change points at the local HTTPS port (none here: 443)', async () => {
    const moved = await send(proxy.port, { path: '/old/page?x=1', headers: { host: 'app.example.com' } });
    expect(moved.status).toBe(301);
    // The port the client addressed: none in its Host header, so the scheme's (as in the cluster).
    expect(moved.headers.location).toBe('http://app.example.com/new/page?x=1');
    const addressed = await send(proxy.port, { path: '/old/page', headers: { host: `app.example.com:${proxy.port}` } });
    expect(addressed.headers.location).toBe(`http://app.example.com:${proxy.port}/new/page`);
    const secure = await send(proxy.port, { path: '/secure', headers: { host: 'app.example.com' } });
    expect(secure.status).toBe(302);
    expect(secure.headers.location).toBe('https://app.example.com/secure');
    // Through the .localhost alias the redirect stays on the alias.
    const alias = await send(proxy.port, { path: '/old/a', headers: { host: `app.example.com.localhost:${proxy.port}` } });
    expect(alias.headers.location).toBe(`http://app.example.com.localhost:${proxy.port}/new/a`);
  });

  it('a rule with no backendRefs answers 500 with a page that says why; a host no route serves gets 404 naming the HTTPRoutes', async () => {
    const failed = await send(proxy.port, { path: '/nothing', headers: { host: 'app.example.com', accept: 'application/json' } });
    expect(failed.status).toBe(500);
    expect(json<{ error: { kind: string; error: string; route: { id: string } } }>(failed).error).toMatchObject({ kind: 'gateway-rule', error: expect.stringContaining('no backendRefs') as string, route: { id: 'httproute:default/app#r4.m0' } });
    const missing = await send(proxy.port, { path: '/', headers: { host: 'other.example.com', accept: 'text/plain' } });
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('No Ingress or HTTPRoute rule matches other.example.com/');
    expect(missing.body).toContain('httproute:default/app#r9.m0');
  });

  it('reports the route match and the filters in the request event', async () => {
    await send(proxy.port, { path: '/rewrite/x', headers: { host: 'app.example.com' } });
    await waitFor(() => proxy.events.some((e) => e.path === '/rewrite/x'));
    const event = proxy.events.find((e) => e.path === '/rewrite/x');
    expect(event).toMatchObject({ routeId: 'httproute:default/app#r1.m0', upstreamPath: '/v2/x', status: 200 });
    expect(event?.steps).toEqual([{ by: 'URLRewrite', what: 'Host internal.example.org, path /rewrite/x → /v2/x' }]);
  });

  it('RequestMirror: the backend answers, and a copy of the request reaches the mirror (httproute-request-mirror.go)', async () => {
    const reply = await send(proxy.port, { path: '/mirror/a?x=1', headers: { host: 'app.example.com' } });
    expect(reply.status).toBe(200);
    expect(json<{ url: string }>(reply).url).toBe('/mirror/a?x=1');
    await waitFor(() => mirrored.length > 0, 5000, 'the mirrored copy');
    expect(mirrored).toEqual([{ url: '/mirror/a?x=1', host: 'app.example.com' }]);
    await waitFor(() => proxy.events.some((e) => e.path === '/mirror/a?x=1'));
    expect(proxy.events.find((e) => e.path === '/mirror/a?x=1')?.steps?.[0]).toMatchObject({ by: 'RequestMirror', what: expect.stringContaining('a copy goes to shadow:80') as string });
  });

  it('timeouts.request: a backend slower than the rule allows gets 504; 0s disables it (httproute-timeout-request.go)', async () => {
    expect((await send(proxy.port, { path: '/request-timeout', headers: { host: 'app.example.com' } })).status).toBe(200);
    // undici checks its timeouts on a timer of about half a second: 1.5 s is surely past 200 ms.
    const late = await send(proxy.port, { path: '/request-timeout?delay=1500ms', headers: { host: 'app.example.com', accept: 'application/json' } });
    expect(late.status).toBe(504);
    expect(json<{ error: { error: string } }>(late).error.error).toContain('within 200 ms');
    const disabled = await send(proxy.port, { path: '/disable-request-timeout?delay=300ms', headers: { host: 'app.example.com' } });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toBe('late');
  });

  it('CORS: the preflight is answered 204 by the filter; the actual response carries Access-Control-Allow-Origin (httproute-cors.go)', async () => {
    const preflight = await send(proxy.port, { method: 'OPTIONS', path: '/cors/x', headers: { host: 'app.example.com', origin: 'https://app.example.com', 'access-control-request-method': 'PUT' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-methods': 'GET,PUT', 'access-control-max-age': '60' });
    const actual = await send(proxy.port, { path: '/cors/x', headers: { host: 'app.example.com', origin: 'https://app.example.com' } });
    expect(actual.status).toBe(200);
    expect(actual.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });
});
