/**
 * The nginx profile through the real proxy: what a client sees is what ingress-nginx v1.15
 * answers (status line, Location, nginx's page), what the backend receives is what nginx sends
 * it (the rewritten URI, or the path as sent), and ingress-dev's explanation rides along in a
 * header. Sources: ingress-nginx e2e test/e2e/annotations/rewrite.go and defaultbackend; nginx
 * 1.27 ngx_http_special_response.c (the page), ngx_http_core_module.c (the 301).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import http from 'node:http';
import { echoHandler, json, send, startTestProxy, startUpstream, testResolver, type TestProxy } from './harness.js';

const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
  annotations:
    kubernetes.io/ingress.class: nginx
    nginx.ingress.kubernetes.io/rewrite-target: /$2
spec:
  rules:
    - host: app.example.com
      http:
        paths:
          - {path: "/api(/|$)(.*)", pathType: ImplementationSpecific, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: docs
  annotations: {kubernetes.io/ingress.class: nginx}
spec:
  rules:
    - host: docs.example.com
      http:
        paths:
          - {path: /guide/, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: secure
  annotations:
    kubernetes.io/ingress.class: nginx
    nginx.ingress.kubernetes.io/upstream-vhost: internal.svc
    nginx.ingress.kubernetes.io/rewrite-target: /v2/$1
    nginx.ingress.kubernetes.io/x-forwarded-prefix: /shop
spec:
  tls: [{hosts: [secure.example.com], secretName: not-in-the-folder}]
  rules:
    - host: secure.example.com
      http:
        paths:
          - {path: "/shop/(.*)", pathType: ImplementationSpecific, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {ports: [{port: 80}]}
`;

let upstream: { port: number; close: () => Promise<void> };
let proxy: TestProxy;

/** The route table of `text`, each Ingress by its class. */
const tableOf = (text: string) => compileRoutes(parseManifests([{ file: 'k8s.yaml', text }]).resources, { profile: 'auto' }).value;

/** A second proxy to the same backend, for the manifests with one more annotation. */
async function withProxy<T>(text: string, use: (port: number) => Promise<T>): Promise<T> {
  const other = await startTestProxy({ table: tableOf(text), resolver: testResolver({ api: upstream.port }) });
  try {
    return await use(other.port);
  } finally {
    await other.close();
  }
}

beforeAll(async () => {
  // The backend says who it is, as most do: nginx does not pass that on.
  const started = (await startUpstream((req, res) => (res.setHeader('Server', 'gunicorn'), echoHandler(req, res)))) as unknown as { port: number; close: () => Promise<void> };
  upstream = started;
  proxy = await startTestProxy({ table: tableOf(yaml), resolver: testResolver({ api: started.port }) });
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

describe('the nginx profile through the proxy', () => {
  it('rewrite-target /$2: the backend receives the rewritten URI and the query (docs/examples/rewrite); its Server header is hidden, as nginx hides it', async () => {
    const reply = await send(proxy.port, { path: '/api/users/7?full=1', headers: { host: 'app.example.com' } });
    expect(reply.status).toBe(200);
    expect(reply.headers.server).toBeUndefined();
    expect(json<{ url: string }>(reply).url).toBe('/users/7?full=1');
    expect(json<{ url: string }>(await send(proxy.port, { path: '/API', headers: { host: 'app.example.com' } })).url).toBe('/');
    expect(proxy.events.at(-1)?.upstreamPath).toBe('/');
  });

  it('an unmatched path: 404 with nginx\'s page and no Server header; the explanation in x-ingress-dev-explain', async () => {
    const reply = await send(proxy.port, { path: '/nothing', headers: { host: 'app.example.com', accept: '*/*' } });
    expect(reply.status).toBe(404);
    expect(reply.body).toBe('<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n');
    expect(reply.headers['content-type']).toBe('text/html');
    expect(reply.headers['content-length']).toBe('146');
    expect(reply.headers.server).toBeUndefined();
    expect(reply.headers['x-ingress-dev-explain']).toMatch(/^No Ingress rule matches app\.example\.com\/nothing/);
    // An API client asking for JSON still gets ingress-dev's explanation.
    const explained = await send(proxy.port, { path: '/nothing', headers: { host: 'app.example.com', accept: 'application/json' } });
    expect(json<{ error: { kind: string } }>(explained).error.kind).toBe('no-route');
  });

  it('a Prefix path with a trailing slash: /guide gets nginx\'s 301 to http://HOST/guide/ (no port), status line and page as nginx\'s', async () => {
    const reply = await send(proxy.port, { path: '/guide?x=1', headers: { host: 'docs.example.com:8080' } });
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe('http://docs.example.com/guide/?x=1');
    expect(reply.body).toContain('<center><h1>301 Moved Permanently</h1></center>');
    expect(proxy.events.at(-1)).toMatchObject({ status: 301, routeId: 'ingress:default/docs#r0.p0' });
    expect((await send(proxy.port, { path: '/guide/', headers: { host: 'docs.example.com' } })).status).toBe(200);
  });

  it('a path nginx refuses (.. above the root) is a 400 as nginx\'s; an unknown host is a 404 from the default server', async () => {
    const bad = await send(proxy.port, { path: '/../etc/passwd', headers: { host: 'app.example.com' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('400 Bad Request');
    expect((await send(proxy.port, { path: '/', headers: { host: 'unknown.example.com' } })).status).toBe(404);
  });

  it('spec.tls: a plain-HTTP request gets 308 to https:// (the Secret need not exist); the Location drops the port', async () => {
    const reply = await send(proxy.port, { path: '/shop/cart/?x=1', headers: { host: 'secure.example.com:8080' } });
    expect(reply.status).toBe(308);
    expect(reply.headers.location).toBe('https://secure.example.com/shop/cart/?x=1');
    expect(reply.body).toContain('<center><h1>308 Permanent Redirect</h1></center>');
    expect(reply.headers['content-length']).toBe('164');
  });

  it('upstream-vhost and x-forwarded-prefix reach the backend with the rewritten path (upstreamvhost.go, xforwardedprefix.go)', async () => {
    // ssl-redirect "false", so that plain HTTP reaches the backend.
    await withProxy(yaml.replace('x-forwarded-prefix: /shop', 'x-forwarded-prefix: /shop\n    nginx.ingress.kubernetes.io/ssl-redirect: "false"'), async (port) => {
      const seen = json<{ url: string; headers: Record<string, string> }>(await send(port, { path: '/shop/cart?x=1', headers: { host: 'secure.example.com' } }));
      expect(seen.url).toBe('/v2/cart?x=1');
      expect(seen.headers.host).toBe('internal.svc');
      expect(seen.headers['x-forwarded-host']).toBe('secure.example.com');
      expect(seen.headers['x-forwarded-prefix']).toBe('/shop');
    });
  });

  it('proxy-body-size, 1m by default: a larger body gets nginx\'s 413 and the connection closes, declared or chunked; the annotation raises it (e2e annotations/proxy.go)', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1);
    const declared = await send(proxy.port, { method: 'POST', path: '/api/upload', headers: { host: 'app.example.com' }, body: big });
    expect(declared.status).toBe(413);
    expect(declared.body).toContain('<center><h1>413 Request Entity Too Large</h1></center>');
    expect(declared.headers.connection).toBe('close');
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'POST', path: '/api/upload', headers: { host: 'app.example.com', 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      for (let i = 0; i < 17; i++) req.write('y'.repeat(64 * 1024));
      req.end();
    });
    expect(chunked).toBe(413);
    // Within the limit, the body reaches the backend.
    const small = await send(proxy.port, { method: 'POST', path: '/api/upload', headers: { host: 'app.example.com' }, body: 'x'.repeat(1024 * 1024) });
    expect(json<{ bytes: number }>(small).bytes).toBe(1024 * 1024);
    await withProxy(yaml.replace('rewrite-target: /$2', 'rewrite-target: /$2\n    nginx.ingress.kubernetes.io/proxy-body-size: 8m'), async (port) => {
      expect((await send(port, { method: 'POST', path: '/api/upload', headers: { host: 'app.example.com' }, body: big })).status).toBe(200);
    });
  });
});
