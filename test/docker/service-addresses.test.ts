/**
 * Issue 14, "Service addresses inside the project network, as in the cluster": under `up --run`
 * a container calls a Service on its port (`http://api:80`, `api.default.svc.cluster.local`),
 * over HTTP or any TCP protocol, and reaches a ready container of it on the targetPort, in turn
 * (round robin), or the target a Service is mapped to; kubelet's Service variables are set
 * (pkg/kubelet/envvars FromServices); enableServiceLinks: false turns them off. Real engine.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUp, type RunningUp } from '../up-harness.js';
import { docker, exec, useProjectFolder, waitFor } from './harness.js';

const { dir, byProject } = useProjectFolder('svc-addr');

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ingress-dev-test/echo
          env: [{name: SERVICE_NAME, value: api}, {name: PORTS, value: "3000"}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: 3000}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tcp-echo}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  template:
    metadata: {labels: {app: tcp-echo}}
    spec:
      containers:
        - name: tcp
          image: ingress-dev-test/echo
          command: [node, -e, "require('net').createServer((s) => s.on('data', (d) => s.write('echo:' + d))).listen(7000)"]
          ports: [{containerPort: 7000}]
---
apiVersion: v1
kind: Service
metadata: {name: tcp-echo}
spec:
  selector: {app: tcp-echo}
  ports: [{name: raw, port: 6000, targetPort: 7000}]
---
apiVersion: v1
kind: Service
metadata: {name: on-host}
spec:
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      containers:
        - name: client
          image: ingress-dev-test/echo
          env: [{name: PORTS, value: "3000"}, {name: API_URL, value: "http://$(API_SERVICE_HOST):$(API_SERVICE_PORT)"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: quiet}
spec:
  selector: {matchLabels: {app: quiet}}
  template:
    metadata: {labels: {app: quiet}}
    spec:
      enableServiceLinks: false
      containers:
        - name: quiet
          image: ingress-dev-test/echo
          env: [{name: PORTS, value: "3000"}]
`;

/** Run Node.js in a container of the echo image; its stdout. */
function nodeIn(containerId: string, script: string, ...args: string[]): Promise<string> {
  return exec('docker', ['exec', containerId, 'node', '-e', script, ...args]);
}
const getScript = "require('http').get(process.argv[1], (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => process.stdout.write(b)); }).on('error', (e) => { process.stderr.write(e.message); process.exit(1); })";

async function containerOf(workload: string): Promise<string> {
  return waitFor(`a container of ${workload}`, async () => (await docker('ps', '-q', '--filter', byProject, '--filter', `label=ingress-dev.workload=${workload}`)).split('\n')[0] || undefined, 60_000);
}

describe.sequential('Service names and ports from inside the containers (up --run)', () => {
  let up: RunningUp;
  let hostServer: http.Server;
  let client: string;

  beforeAll(async () => {
    hostServer = http.createServer((req, res) => res.end(`from the host: ${req.url}`));
    await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
    writeFileSync(path.join(dir, 'app.yaml'), manifests);
    up = await startUp([dir, '--port', '0', '--no-https', '--run', '--no-watch', '--map', `on-host=${(hostServer.address() as AddressInfo).port}`]);
    await up.waitFor(/Deployment default\/client: created/, 90_000);
    client = await containerOf('Deployment/default/client');
    const log = () => up.stderr() + up.stdout();
    await waitFor('the replicas to be ready', () => (/-api-1 is ready/.test(log()) && /-api-2 is ready/.test(log()) && /-tcp-echo-1 is ready/.test(log()) ? true : undefined), 60_000);
  }, 120_000);
  let stopped = false;
  afterAll(async () => {
    if (!stopped) await up?.stop();
    await new Promise<void>((resolve) => hostServer.close(() => resolve()));
  }, 60_000);

  it('http://api:80 reaches the containers on targetPort 3000, each ready replica in turn; every cluster name of the Service works', async () => {
    const hostnames = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const answer = JSON.parse(await nodeIn(client, getScript, 'http://api:80/orders')) as { hostname: string; port: number; path: string };
      expect(answer).toMatchObject({ port: 3000, path: '/orders' });
      hostnames.add(answer.hostname);
    }
    expect(hostnames).toEqual(new Set(['api-1', 'api-2']));
    for (const name of ['api.default', 'api.default.svc', 'api.default.svc.cluster.local']) {
      expect(JSON.parse(await nodeIn(client, getScript, `http://${name}/x`)), name).toMatchObject({ service: 'api', port: 3000 });
    }
    // As in a cluster, the Service has no targetPort of its own.
    await expect(nodeIn(client, getScript, 'http://api:3000/')).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);

  it('the log says where the containers reach each Service', () => {
    expect(up.stderr() + up.stdout()).toMatch(/Services inside the network \(containers call NAME:PORT\): api:80 → [\d.]+ · tcp-echo:6000 → [\d.]+ · on-host:80 → [\d.]+/);
  });

  it('plain TCP too: tcp-echo:6000 reaches the server on 7000', async () => {
    const script = "const s = require('net').connect(6000, 'tcp-echo', () => s.write('ping')); s.on('data', (d) => { process.stdout.write(String(d)); s.end(); }); s.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });";
    expect(await nodeIn(client, script)).toBe('echo:ping');
  }, 30_000);

  it('a Service mapped to this machine (--map on-host=PORT) is reachable by its name from the containers', async () => {
    expect(await nodeIn(client, getScript, 'http://on-host/hello')).toBe('from the host: /hello');
  }, 30_000);

  it("kubelet's Service variables: the relay's address as the Service host, the ports by number and name; $(VAR) in env uses them", async () => {
    const env = Object.fromEntries((await docker('exec', client, 'env')).split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const host = env['API_SERVICE_HOST'] ?? '';
    expect(host).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(env).toMatchObject({
      API_SERVICE_PORT: '80',
      API_SERVICE_PORT_HTTP: '80',
      API_PORT: `tcp://${host}:80`,
      API_PORT_80_TCP: `tcp://${host}:80`,
      API_PORT_80_TCP_PROTO: 'tcp',
      API_PORT_80_TCP_PORT: '80',
      API_PORT_80_TCP_ADDR: host,
      TCP_ECHO_SERVICE_PORT: '6000',
      TCP_ECHO_SERVICE_PORT_RAW: '6000',
      API_URL: `http://${host}:80`,
    });
    expect(JSON.parse(await nodeIn(client, getScript, env['API_URL'] ?? ''))).toMatchObject({ service: 'api' });
    const quiet = await containerOf('Deployment/default/quiet');
    expect(await docker('exec', quiet, 'sh', '-c', 'env | grep -c _SERVICE_HOST || true')).toBe('0');
  }, 30_000);

  it('the relays are not endpoints of any Service, and leave with the run', async () => {
    const relays = (await docker('ps', '-q', '--filter', byProject, '--filter', 'label=ingress-dev.relay')).split('\n').filter((id) => id !== '');
    expect(relays.length).toBe(3); // api, tcp-echo and on-host
    stopped = true;
    expect(await up.stop()).toBe(130);
    expect(await docker('ps', '-aq', '--filter', byProject)).toBe('');
  }, 60_000);
});
