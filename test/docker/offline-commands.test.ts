/** `routes` and `explain` say which rule selected which container when a Docker engine runs. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli-harness.js';
import { removeRunContainers, runContainer, runId, startEngine } from './harness.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-docker-view-'));
const app = `view-${runId}`;
const env = { DOCKER_HOST: 'unix:///var/run/docker.sock' };

beforeAll(async () => {
  await startEngine();
  await runContainer({ name: `${app}-1`, labels: { app } });
  writeFileSync(path.join(dir, 'app.yaml'), `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: ${app}}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
    - host: app.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`);
}, 120_000);
afterAll(async () => {
  await removeRunContainers();
  rmSync(dir, { recursive: true, force: true });
});

describe.sequential('offline commands with a Docker engine', () => {
  it('routes names the selecting rule and the container', async () => {
    const r = await cli(['routes', dir], { env });
    expect(r.stdout).toMatch(new RegExp(`web:80: docker selector app=${app} → ${app}-1 \\(\\w+\\) at http://[\\d.]+:80`));
    const json = JSON.parse((await cli(['routes', dir, '--json'], { env })).stdout) as { hosts: { routes: { docker: string }[] }[] };
    expect(json.hosts[0]?.routes[0]?.docker).toContain(`selector app=${app} → ${app}-1`);
    expect((await cli(['routes', dir, '--no-docker'], { env })).stdout).not.toContain('docker selector');
  });

  it('explain says which container would take the request', async () => {
    const r = await cli(['explain', 'http://app.example.com/x', dir], { env });
    expect(r.stdout).toContain(`docker    selector app=${app} → ${app}-1`);
    const json = JSON.parse((await cli(['explain', 'http://app.example.com/x', dir, '--json'], { env })).stdout) as { docker: string | null };
    expect(json.docker).toContain(`${app}-1`);
  });
});
