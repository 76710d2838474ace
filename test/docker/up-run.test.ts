/**
 * `ingress-dev up --run` through the CLI: the folder's Deployment runs as containers, the proxy
 * routes to them once they are ready, an edit restarts only that workload, and Ctrl-C removes
 * everything the run created.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startUp } from '../up-harness.js';
import { docker, waitFor, useProjectFolder } from './harness.js';

const { dir, byProject } = useProjectFolder('up-run');

function manifests(replicas: number, greeting: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: missing}
spec:
  selector: {matchLabels: {app: missing}}
  template:
    metadata: {labels: {app: missing}}
    spec:
      containers: [{name: missing, image: "ingress-dev-test/no-such-image:1"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ingress-dev-test/echo
          env: [{name: SERVICE_NAME, value: "${greeting}"}, {name: PORTS, value: "8080"}]
          ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 8080, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: app}
spec:
  rules:
    - host: app.example.com
      http:
        paths:
          - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
`;
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/api/hello', headers: { host: 'app.example.com' }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe.sequential('up --run', () => {
  it('runs the Deployment, routes to its ready replicas, restarts it on edit, and removes it on Ctrl-C', async () => {
    writeFileSync(path.join(dir, 'app.yaml'), manifests(2, 'first'));
    const up = await startUp([dir, '--port', '0', '--run']);
    let code = -1;
    try {
      expect(up.stderr()).toContain('Docker: connected');
      await up.waitFor(/Deployment default\/api: created \S+-api-1, \S+-api-2/, 30_000);
      // An image that cannot be pulled fails that workload alone, and says so.
      await up.waitFor(/Deployment default\/missing: .*ingress-dev-test\/no-such-image:1/, 30_000);
      // Both replicas answer once ready (round-robin), with the env of the pod template.
      const hostnames = new Set<string>();
      await waitFor('both replicas to answer', async () => {
        const r = await get(up.port);
        if (r.status === 200) hostnames.add((JSON.parse(r.body) as { hostname: string }).hostname);
        return hostnames.size === 2 ? true : undefined;
      }, 30_000);
      expect(JSON.parse((await get(up.port)).body)).toMatchObject({ service: 'first', path: '/api/hello' });

      // An edit of the Deployment recreates its containers with the new template.
      writeFileSync(path.join(dir, 'app.yaml'), manifests(1, 'second'));
      await waitFor('the edited workload to answer', async () => {
        const r = await get(up.port);
        return r.status === 200 && (JSON.parse(r.body) as { service: string }).service === 'second' ? true : undefined;
      }, 30_000);
      // Scaled to 1 and rolled out: one container is left once the old ones have stopped.
      await waitFor('one container', async () => ((await docker('ps', '-q', '--filter', byProject, '--filter', 'label=ingress-dev.workload')).trim().split('\n').filter((l) => l !== '').length === 1 ? true : undefined), 30_000);
    } finally {
      code = await up.stop();
    }
    expect(code).toBe(130);
    expect(up.stderr()).toMatch(/removed container/);
    expect((await docker('ps', '-aq', '--filter', byProject)).trim()).toBe('');
    expect((await docker('network', 'ls', '-q', '--filter', byProject)).trim()).toBe('');
  }, 120_000);

  it('--run with Docker off is a usage error', async () => {
    writeFileSync(path.join(dir, 'app.yaml'), manifests(1, 'x'));
    const { cli } = await import('../cli-harness.js');
    const r = await cli(['up', dir, '--run', '--no-docker', '--no-watch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Docker is off (--no-docker)');
  });
});
