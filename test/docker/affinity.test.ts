/**
 * ingress-nginx's cookie affinity against the real engine: a Service with two replica containers,
 * found by Docker discovery and the real resolver. The cookie of the first answer keeps a client
 * on one replica; another client may land on the other; when the replica of a session is killed,
 * discovery takes it out and the session moves (sticky_balanced.lua: the hash ring of the
 * endpoints left). Sources: ingress-nginx v1.15.1 test/e2e/annotations/affinity.go ("should set
 * sticky cookie SERVERID"), rootfs/etc/nginx/lua/balancer/sticky.lua.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerDiscovery } from '../../src/backends/docker/discovery.js';
import { createResolver } from '../../src/backends/resolver.js';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import { send, startTestProxy, type TestProxy } from '../proxy/harness.js';
import { docker, removeRunContainers, runContainer, runId, waitFor, connectedDiscovery } from './harness.js';

const host = 'sticky.example.com';
const serviceName = `sticky-${runId}`;
const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: sticky
  annotations:
    nginx.ingress.kubernetes.io/affinity: cookie
    nginx.ingress.kubernetes.io/session-cookie-name: SERVERID
spec:
  ingressClassName: nginx
  rules:
    - host: ${host}
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: ${serviceName}, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: ${serviceName}}
spec:
  selector: {app: sticky, ingress-dev.test.run: "${runId}"}
  ports: [{name: http, port: 80, targetPort: 8080}]
`;
const resources = parseManifests([{ file: 'sticky.yaml', text: yaml }]).resources;
const compiled = compileRoutes(resources, { profile: 'auto' });

let discovery: DockerDiscovery | undefined;
let proxy: TestProxy | undefined;

beforeAll(async () => {
  discovery = await connectedDiscovery();
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  discovery?.stop();
  await removeRunContainers();
}, 60_000);

describe('cookie affinity over two replica containers (real engine)', () => {
  it('keeps a client on the replica its cookie names, spreads new clients, and moves a session whose replica is gone', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push(await runContainer({ name: `idt-${runId}-sticky-${i}`, labels: { app: 'sticky' }, env: { PORT: '8080', BODY: `replica ${i}` } }));
    if (discovery === undefined) throw new Error('no discovery');
    const resolver = createResolver({ mappings: [], services: resources.services, unmapped: 'unavailable', docker: discovery });
    proxy = await startTestProxy({ table: compiled.value, resolver });
    const port = proxy.port;
    // New clients (no cookie) land on both replicas, each with a cookie of its own.
    const sessions = await waitFor('both replicas answering new clients', async () => {
      const found = new Map<string, string>();
      for (let i = 0; i < 40 && found.size < 2; i++) {
        const reply = await send(port, { headers: { host } });
        const cookie = reply.headers['set-cookie']?.find((c) => c.startsWith('SERVERID='));
        if (reply.status === 200 && cookie !== undefined) found.set(reply.body.trim(), cookie.split(';')[0] as string);
      }
      return found.size === 2 ? found : undefined;
    }, 20_000);
    // Each session stays on its replica, request after request, and its cookie is not set again.
    for (const [body, cookie] of sessions) {
      for (let i = 0; i < 10; i++) {
        const reply = await send(port, { headers: { host, cookie } });
        expect(reply.body.trim()).toBe(body);
        expect(reply.headers['set-cookie']).toBeUndefined();
      }
    }
    // The replica of session 0 goes away: discovery takes it out, and the session lands on the other.
    await docker('rm', '-f', ids[0] as string);
    const cookie = sessions.get('replica 0') as string;
    await waitFor('the session on the remaining replica', async () => ((await send(port, { headers: { host, cookie } })).body.trim() === 'replica 1' ? true : undefined), 20_000);
  }, 90_000);
});
