/**
 * What ingress-nginx sends upstream and back, through the real proxy, for the nginx profile:
 * the forwarding headers of nginx.tmpl's location block and lua_ingress.lua, with the
 * controller ConfigMap's use-forwarded-headers, enable-real-ip, compute-full-forwarded-for,
 * server-tokens, allow-backend-server-header, hide-headers, add-headers, proxy-set-headers and
 * proxy-add-original-uri-header. Sources: test/e2e/settings/forwarded_headers.go,
 * enable_real_ip.go, custom_header.go, server_tokens.go; nginx.tmpl (lines 1278-1331).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import { echoHandler, json, send, startTestProxy, startUpstream, testResolver } from './harness.js';

const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
spec:
  ingressClassName: nginx
  rules:
    - host: forwarded-headers
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: add-headers-configmap, namespace: ingress-nginx}
data: {X-A-Custom-Header: customHeaderValue}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: proxy-headers, namespace: ingress-nginx}
data: {X-Team: shop}
`;

let upstream: { port: number; close: () => Promise<void> };

beforeAll(async () => {
  upstream = (await startUpstream((req, res) => {
    res.setHeader('Server', 'gunicorn');
    res.setHeader('X-Powered-By', 'Express');
    echoHandler(req, res);
  })) as unknown as { port: number; close: () => Promise<void> };
});
afterAll(async () => {
  await upstream.close();
});

/** One request through a proxy whose controller ConfigMap has `config`: what the backend received, and the response's headers. */
async function through(config: Record<string, string>, headers: Record<string, string>, path = '/'): Promise<{ seen: Record<string, string>; response: Record<string, string | string[] | undefined>; raw: string[] }> {
  const nginxConfig = Object.entries(config).map(([key, value]) => ({ key, value, at: { file: 'ingress-dev.yaml', line: 2, col: 3 } }));
  const table = compileRoutes(parseManifests([{ file: 'k8s.yaml', text: yaml }]).resources, { profile: 'auto', nginxConfig }).value;
  const proxy = await startTestProxy({ table, resolver: testResolver({ api: upstream.port }) });
  try {
    const reply = await send(proxy.port, { path, headers: { host: 'forwarded-headers', ...headers } });
    const body = json<{ headers: Record<string, string>; rawHeaders: string[] }>(reply);
    return { seen: body.headers, response: reply.headers, raw: body.rawHeaders };
  } finally {
    await proxy.close();
  }
}

const spoofed = { 'X-Forwarded-Port': '1234', 'X-Forwarded-Proto': 'myproto', 'X-Forwarded-Scheme': 'myproto', 'X-Forwarded-For': '1.2.3.4', 'X-Forwarded-Host': 'myhost' };

describe('nginx profile: the headers ingress-nginx sends upstream', () => {
  it('use-forwarded-headers false (the default): the client\'s X-Forwarded-* are not trusted; its list goes as X-Original-Forwarded-For/-Host (forwarded_headers.go "should not trust")', async () => {
    const { seen } = await through({}, spoofed);
    expect(seen.host).toBe('forwarded-headers');
    expect(seen['x-forwarded-host']).toBe('forwarded-headers');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-scheme']).toBe('http');
    expect(seen['x-scheme']).toBe('http');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-real-ip']).toBe('127.0.0.1');
    expect(seen['x-original-forwarded-for']).toBe('1.2.3.4');
    expect(seen['x-original-forwarded-host']).toBe('myhost');
    expect(seen['x-forwarded-port']).not.toBe('1234');
    expect(seen['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('use-forwarded-headers "true": X-Forwarded-Proto/-Port/-Host are trusted, the first X-Forwarded-Host is the Host, X-Forwarded-For gives the client (forwarded_headers.go "should trust")', async () => {
    const { seen } = await through({ 'use-forwarded-headers': 'true' }, spoofed);
    expect(seen.host).toBe('myhost');
    expect(seen['x-forwarded-host']).toBe('myhost');
    expect(seen['x-forwarded-proto']).toBe('myproto');
    expect(seen['x-forwarded-scheme']).toBe('myproto');
    expect(seen['x-forwarded-port']).toBe('1234');
    expect(seen['x-forwarded-for']).toBe('1.2.3.4');
    expect(seen['x-real-ip']).toBe('1.2.3.4');
    const list = await through({ 'use-forwarded-headers': 'true' }, { ...spoofed, 'X-Forwarded-Host': 'myhost.com, another.host,example.net' });
    expect(list.seen.host).toBe('myhost.com');
    expect(list.seen['x-forwarded-host']).toBe('myhost.com');
  });

  it('enable-real-ip "true": only the client address comes from X-Forwarded-For (enable_real_ip.go)', async () => {
    const { seen } = await through({ 'enable-real-ip': 'true' }, spoofed);
    expect(seen.host).toBe('forwarded-headers');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-for']).toBe('1.2.3.4');
  });

  it('compute-full-forwarded-for with use-forwarded-headers appends the peer to the client\'s list (nginx.tmpl map $full_x_forwarded_for)', async () => {
    const { seen } = await through({ 'use-forwarded-headers': 'true', 'compute-full-forwarded-for': 'true' }, { 'X-Forwarded-For': '1.2.3.4, 5.6.7.8' });
    expect(seen['x-forwarded-for']).toBe('1.2.3.4, 5.6.7.8, 127.0.0.1');
    expect(seen['x-real-ip']).toBe('1.2.3.4');
  });

  it('the Proxy header (httpoxy) and headers with an underscore are not passed on; proxy-set-headers and X-Original-URI are added (nginx.tmpl; underscores_in_headers off)', async () => {
    const { seen } = await through({ 'proxy-set-headers': 'ingress-nginx/proxy-headers', 'proxy-add-original-uri-header': 'true' }, { Proxy: 'http://evil', 'X_Custom': 'dropped', 'X-Kept': 'yes' }, '/a/b?c=1');
    expect(seen.proxy).toBeUndefined();
    expect(seen.x_custom).toBeUndefined();
    expect(seen['x-kept']).toBe('yes');
    expect(seen['x-team']).toBe('shop');
    expect(seen['x-original-uri']).toBe('/a/b?c=1');
  });
});

describe('nginx profile: the headers of responses', () => {
  it('server-tokens false (the default): no Server at all; "true": nginx/1.27.1, the backend\'s still hidden unless allow-backend-server-header (server_tokens.go, nginx.tmpl)', async () => {
    expect((await through({}, {})).response.server).toBeUndefined();
    expect((await through({ 'server-tokens': 'true' }, {})).response.server).toBe('nginx/1.27.1');
    expect((await through({ 'server-tokens': 'true', 'allow-backend-server-header': 'true' }, {})).response.server).toBe('gunicorn');
  });

  it('error pages end with the Server: "nginx" with server-tokens false, "nginx/1.27.1" with true (nginx ngx_http_special_response.c ngx_http_error_build_tail)', async () => {
    const pageOf = async (config: Record<string, string>) => {
      const nginxConfig = Object.entries(config).map(([key, value]) => ({ key, value, at: { file: 'ingress-dev.yaml', line: 2, col: 3 } }));
      const table = compileRoutes(parseManifests([{ file: 'k8s.yaml', text: yaml }]).resources, { profile: 'auto', nginxConfig }).value;
      // api is not mapped: ingress-nginx's 503 for a backend without endpoints.
      const proxy = await startTestProxy({ table, resolver: testResolver({}) });
      try {
        return await send(proxy.port, { headers: { host: 'forwarded-headers', accept: 'text/html' } });
      } finally {
        await proxy.close();
      }
    };
    const quiet = await pageOf({});
    expect(quiet.status).toBe(503);
    expect(quiet.body).toContain('<hr><center>nginx</center>');
    expect(quiet.headers.server).toBeUndefined();
    const told = await pageOf({ 'server-tokens': 'true' });
    expect(told.body).toContain('<hr><center>nginx/1.27.1</center>');
    expect(told.headers.server).toBe('nginx/1.27.1');
    expect(told.headers['content-length']).toBe(String(Buffer.byteLength(told.body)));
  });

  it('add-headers sets a header on every response, and hide-headers removes a backend\'s (custom_header.go)', async () => {
    const { response } = await through({ 'add-headers': 'ingress-nginx/add-headers-configmap', 'hide-headers': 'X-Powered-By' }, {});
    expect(response['x-a-custom-header']).toBe('customHeaderValue');
    expect(response['x-powered-by']).toBeUndefined();
  });
});

describe('nginx profile: add-headers on ingress-nginx\'s own answers', () => {
  it('a 404 of the default server carries add-headers too (http-level more_set_headers)', async () => {
    const nginxConfig = [{ key: 'add-headers', value: 'ingress-nginx/add-headers-configmap', at: { file: 'ingress-dev.yaml', line: 2, col: 3 } }];
    const table = compileRoutes(parseManifests([{ file: 'k8s.yaml', text: yaml }]).resources, { profile: 'auto', nginxConfig }).value;
    const proxy = await startTestProxy({ table, resolver: testResolver({ api: upstream.port }) });
    try {
      const reply = await send(proxy.port, { path: '/', headers: { host: 'unknown.example.com' } });
      expect(reply.status).toBe(404);
      expect(reply.headers['x-a-custom-header']).toBe('customHeaderValue');
    } finally {
      await proxy.close();
    }
  });
});

describe('nginx profile: CORS and basic auth through the proxy (e2e annotations/cors.go, auth.go)', () => {
  const guarded = `${yaml.replace('  name: app\n', `  name: app
  annotations:
    nginx.ingress.kubernetes.io/enable-cors: "true"
    nginx.ingress.kubernetes.io/auth-type: basic
    nginx.ingress.kubernetes.io/auth-secret: basic-auth
    nginx.ingress.kubernetes.io/auth-realm: test auth
`)}---
apiVersion: v1
kind: Secret
metadata: {name: basic-auth}
stringData: {auth: "foo:{PLAIN}bar"}
`;

  it('the preflight is 204 from the proxy (no body, the backend never sees it); without credentials 401 with WWW-Authenticate and the CORS headers; with them 200, and no Authorization reaches the backend', async () => {
    const table = compileRoutes(parseManifests([{ file: 'k8s.yaml', text: guarded }]).resources, { profile: 'auto' }).value;
    const proxy = await startTestProxy({ table, resolver: testResolver({ api: upstream.port }) });
    try {
      const preflight = await send(proxy.port, { method: 'OPTIONS', path: '/', headers: { host: 'forwarded-headers', origin: 'https://app.test' } });
      expect(preflight.status).toBe(204);
      expect(preflight.body).toBe('');
      expect(preflight.headers['access-control-allow-origin']).toBe('*');
      expect(preflight.headers['access-control-max-age']).toBe('1728000');
      expect(preflight.headers['content-length']).toBe('0');
      const refused = await send(proxy.port, { path: '/', headers: { host: 'forwarded-headers', origin: 'https://app.test', accept: 'text/html' } });
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('Basic realm="test auth"');
      expect(refused.headers['access-control-allow-origin']).toBe('*');
      expect(refused.body).toContain('<center><h1>401 Authorization Required</h1></center>');
      const ok = await send(proxy.port, { path: '/', headers: { host: 'forwarded-headers', origin: 'https://app.test', authorization: `Basic ${Buffer.from('foo:bar').toString('base64')}` } });
      expect(ok.status).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBe('*');
      expect(json<{ headers: Record<string, string> }>(ok).headers.authorization).toBeUndefined();
      expect(proxy.events.map((e) => e.status)).toEqual([204, 401, 200]);
    } finally {
      await proxy.close();
    }
  });
});

describe('nginx profile: backend-protocol (test/e2e/annotations/backendprotocol.go: proxy_pass https://upstream_balancer)', () => {
  it('HTTPS: the proxy talks TLS to the mapped port, without verifying its certificate', async () => {
    const secure = await startUpstream(echoHandler, { tls: true });
    const text = yaml.replace('  name: app\n', '  name: app\n  annotations: {nginx.ingress.kubernetes.io/backend-protocol: "https"}\n');
    const table = compileRoutes(parseManifests([{ file: 'k8s.yaml', text }]).resources, { profile: 'auto' }).value;
    const proxy = await startTestProxy({ table, resolver: testResolver({ api: secure.port }) });
    try {
      const reply = await send(proxy.port, { path: '/tls', headers: { host: 'forwarded-headers' } });
      expect(reply.status).toBe(200);
      expect(json<{ url: string }>(reply).url).toBe('/tls');
      expect(proxy.events.at(-1)?.target).toBe(`https://127.0.0.1:${secure.port}`);
    } finally {
      await proxy.close();
      await secure.close();
    }
  });
});

describe('nginx profile: default-backend annotation (test/e2e/annotations/default_backend.go "should use a custom default backend as upstream")', () => {
  it('the path\'s Service does not exist: the default-backend Service answers, the URI unchanged, with X-Code 503 and where the request was going', async () => {
    const text = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: default-backend
  annotations: {nginx.ingress.kubernetes.io/default-backend: api}
spec:
  ingressClassName: nginx
  rules:
    - host: default-backend
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: invalid, port: {number: 80}}}}]}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {ports: [{port: 80}]}
`;
    const table = compileRoutes(parseManifests([{ file: 'k8s.yaml', text }]).resources, { profile: 'auto' }).value;
    const proxy = await startTestProxy({ table, resolver: testResolver({ api: upstream.port }) });
    try {
      const reply = await send(proxy.port, { path: '/alma/armud', headers: { host: 'default-backend', 'x-request-id': 'something-unique' } });
      expect(reply.status).toBe(200);
      const seen = json<{ url: string; headers: Record<string, string> }>(reply);
      expect(seen.url).toBe('/alma/armud');
      expect(seen.headers).toMatchObject({ 'x-code': '503', 'x-ingress-name': 'default-backend', 'x-service-name': 'invalid', 'x-request-id': 'something-unique' });
    } finally {
      await proxy.close();
    }
  });
});
