import { describe, expect, it } from 'vitest';
import { container, dockerService, fakeDockerIndex } from '../../src/backends/docker/docker.test-util.js';
import type { ReadinessIndex } from '../../src/backends/docker/types.js';
import { createWorkloadProblems } from '../../src/backends/docker/workload-problems.js';
import { createResolver } from '../../src/backends/resolver.js';
import { renderErrorPage } from '../../src/proxy/error-pages.js';
import { routeRequest } from '../../src/proxy/route-request.js';
import { compileTable, ingressYaml } from './harness.js';

// Issue 10 item 2: under `up --run`, a Service whose Deployment could not pull its image got a
// 503 that advised `--map admin=9000`. The runner knows why; the 503 says it.
const table = compileTable(ingressYaml('admin', [{ host: 'admin.example.com', paths: [{ path: '/', service: 'admin' }] }]), 'k8s/ingress.yaml');
const admin = dockerService('admin', { app: 'admin' }, 9000);
const at = { file: 'k8s/admin.yaml', line: 12, col: 1 };
const pullError = 'image ingress-dev-test/nope:latest is not on this machine and could not be pulled: pull access denied for ingress-dev-test/nope';

function setup(containers = fakeDockerIndex([])) {
  const problems = createWorkloadProblems();
  problems.describe('Deployment default/admin', ['default/admin'], at);
  const readiness: ReadinessIndex = { version: () => problems.version(), readinessOf: () => undefined, workloadProblemOf: (s) => problems.of(s) };
  const resolver = createResolver({ mappings: [], services: [admin], unmapped: 'unavailable', docker: containers, readiness });
  const page = (): string => {
    const routing = routeRequest(table, resolver, { method: 'GET', url: '/', hostHeader: 'admin.example.com', localPort: 8080 });
    if (routing.kind !== 'error') throw new Error(`expected an error, got ${routing.kind}`);
    return renderErrorPage(routing.error, 'text').body;
  };
  return { problems, resolver, page };
}

describe('503 for a Service whose --run workload failed', () => {
  it('says the image could not be pulled, and where to fix it, instead of advising --map', () => {
    const { problems, page } = setup();
    expect(page()).toContain('--map admin=9000'); // before the runner knows anything
    problems.setFailure('Deployment default/admin', pullError, 'Pull or build it yourself (docker pull ingress-dev-test/nope:latest)');
    const body = page();
    expect(body).toContain(`Service default/admin port http: Deployment default/admin: ${pullError}`);
    expect(body).toContain('Fix Deployment default/admin in k8s/admin.yaml:12, or: Pull or build it yourself');
    expect(body).not.toContain('--map');
    problems.clearFailure('Deployment default/admin');
    expect(page()).toContain('--map admin=9000');
  });

  it('says the workload crashed, with the exit, while its container is down', () => {
    const docker = fakeDockerIndex([container('shop-admin-1', { labelsOf: { app: 'admin' }, state: 'exited', exitCode: 1 })]);
    const { problems, page } = setup(docker);
    problems.setCrash('Deployment default/admin', 'shop-admin-1', 'container shop-admin-1 exited with code 1');
    const body = page();
    expect(body).toContain('Deployment default/admin crashed: container shop-admin-1 exited with code 1');
    expect(body).toContain('docker logs shop-admin-1 shows why it exited; fix Deployment default/admin in k8s/admin.yaml:12');
    expect(body).not.toContain('docker start');
  });

  it('a workload of another Service changes nothing; a running container still serves', () => {
    const docker = fakeDockerIndex([container('shop-admin-1', { labelsOf: { app: 'admin' } })]);
    const { problems, resolver } = setup(docker);
    problems.describe('Deployment default/other', ['default/other'], at);
    problems.setFailure('Deployment default/other', 'nope', 'nope');
    problems.setCrash('Deployment default/admin', 'shop-admin-2', 'container shop-admin-2 exited with code 1');
    expect(resolver.resolve({ kind: 'service', service: 'admin', namespace: 'default', port: 80, portName: null, problem: null })).toMatchObject({ kind: 'target' });
  });
});
