/**
 * `ingress-dev up` with Gateway API manifests (issue 13), end to end through the real CLI: HTTP
 * listeners on the HTTP port, an HTTPS listener on the HTTPS port with its certificateRefs
 * Secret served as it is (gateway_types.go GatewayTLSConfig), a route edit applied by hot reload,
 * and `check`/`routes`/`explain` on the same folder. Clients verify the chain.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaCertificate, createLeafCertificate, type Pem } from '../../src/tls/x509.js';
import { cli } from '../cli-harness.js';
import { startUp, type RunningUp } from '../up-harness.js';

const temp = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-gateway-up-'));
let dir: string;
let up: RunningUp;
let httpsPort: number;
let teamCa: Pem;

function routes(weightV2: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app}
spec:
  parentRefs: [{name: gw}]
  hostnames: [app.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /api}}]
      filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Route, value: api}]}}]
      backendRefs: [{name: api, port: 80, weight: ${100 - weightV2}}, {name: api-v2, port: 80, weight: ${weightV2}}]
    - backendRefs: [{name: web, port: 80}]
`;
}

beforeAll(async () => {
  const now = new Date();
  teamCa = await createCaCertificate('a team CA', now);
  const leaf = await createLeafCertificate(teamCa, { dnsNames: ['*.example.com'], ipAddresses: [], notBefore: new Date(now.getTime() - 86_400_000), notAfter: new Date(now.getTime() + 30 * 86_400_000) });
  dir = path.join(temp, 'project');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'gateway.yaml'), `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: example
  listeners:
    - {name: http, protocol: HTTP, port: 80}
    - {name: https, protocol: HTTPS, port: 443, hostname: "*.example.com", tls: {certificateRefs: [{name: wildcard-tls}]}}
---
apiVersion: v1
kind: Secret
metadata: {name: wildcard-tls}
type: kubernetes.io/tls
data:
  tls.crt: ${Buffer.from(leaf.certPem).toString('base64')}
  tls.key: ${Buffer.from(leaf.keyPem).toString('base64')}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: api-v2}
spec: {ports: [{port: 80}]}
`);
  writeFileSync(path.join(dir, 'routes.yaml'), routes(0));
  up = await startUp([dir, '--port', '0', '--echo-unmapped', '--no-docker']);
  httpsPort = Number(/and https:\/\/127\.0\.0\.1:(\d+)/.exec(up.stdout())?.[1]);
}, 30_000);

afterAll(async () => {
  await up?.stop();
  rmSync(temp, { recursive: true, force: true });
});

function get(port: number, host: string, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: pathname, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('up with a Gateway and HTTPRoutes', () => {
  it('lists the routes at start-up and serves them: filters reach the backend', async () => {
    expect(up.stdout()).toMatch(/app\.example\.com {2}Gateway API, http \*/);
    expect(up.stdout()).toMatch(/PathPrefix \/api +→ api:80 ×100, api-v2:80 ×0/);
    const reply = await get(up.port, 'app.example.com', '/api/orders');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ path: '/api/orders', headers: { 'x-route': 'api' }, standsInFor: { service: 'api' } });
    await up.waitFor(/GET app\.example\.com\/api\/orders 200 \d+ms httproute:default\/app#r0\.m0 → echo/);
  });

  it('serves the HTTPS listener with its certificateRefs Secret as it is', async () => {
    const cert = await new Promise<X509Certificate>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: httpsPort, path: '/', servername: 'app.example.com', headers: { host: 'app.example.com' }, ca: teamCa.certPem, agent: false }, (res) => {
        res.resume();
        resolve((res.socket as tls.TLSSocket).getPeerX509Certificate() as X509Certificate);
      }).on('error', reject);
    });
    expect(cert.subjectAltName).toContain('DNS:*.example.com');
    expect(cert.verify(new X509Certificate(teamCa.certPem).publicKey)).toBe(true);
  });

  it('applies an edit of a route at once (hot reload): the weights change', async () => {
    writeFileSync(path.join(dir, 'routes.yaml'), routes(100));
    // The reload names the rule that changed (model/diff.ts compares Gateway API rules too).
    await up.waitFor(/reloaded in \d+ms: \+0 \u22120 ~1 routes \([^)]*routes\.yaml\)/, 8_000);
    const reply = await get(up.port, 'app.example.com', '/api/x');
    expect(JSON.parse(reply.body)).toMatchObject({ standsInFor: { service: 'api-v2' } });
  }, 15_000);

  it('check, routes and explain read the same folder', async () => {
    const check = await cli(['check', dir]);
    expect(check.stdout).toMatch(/1 Gateway, 1 HTTPRoute \(2 rules attached\): 0 errors/);
    expect(check.stdout).toContain('    listener https: HTTPS 443 *.example.com: Accepted, 1 route attached');
    expect(check.stdout).toMatch(/ {2}HTTPRoute default\/app {2}\S*routes\.yaml:2:1\n {4}parent default\/gw: Accepted True\n {4}ResolvedRefs True/);
    const listing = await cli(['routes', dir, '--json']);
    const json = JSON.parse(listing.stdout) as { gateway: { listeners: { scheme: string; hostname: string | null; routes: { id: string }[] }[] } };
    expect(json.gateway.listeners.map((l) => [l.scheme, l.hostname, l.routes.map((r) => r.id)])).toEqual([
      ['http', null, ['httproute:default/app#r0.m0', 'httproute:default/app#r1.m0']],
      ['https', '*.example.com', ['httproute:default/app#r0.m0', 'httproute:default/app#r1.m0']],
    ]);
    const explained = await cli(['explain', 'http://app.example.com/api/x', dir]);
    expect(explained.stdout).toContain('listener  http of Gateway default/gw (HTTP, any host)');
    expect(explained.stdout).toContain('request   set X-Route: api');
  });
});
