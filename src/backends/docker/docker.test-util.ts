import type { Service, ServicePort } from '../../manifest/types.js';
import type { DockerContainer } from './containers.js';
import type { DockerIndex, DockerSnapshot, DockerStatus } from './types.js';

const at = { file: 'svc.yaml', line: 1, col: 1 };

/** A Service with one port (80 → `targetPort`) and the given selector. */
export function dockerService(name: string, selector: Record<string, string> = {}, targetPort: number | string = 8080, extra: Partial<Service> = {}): Service {
  return {
    kind: 'Service',
    metadata: { name, namespace: 'default', annotations: new Map(), labels: new Map(), creationTimestamp: null, at, nameAt: at, order: 0 },
    type: 'ClusterIP',
    selector: new Map(Object.entries(selector)),
    ports: [servicePort(targetPort)],
    externalName: null,
    ...extra,
  };
}

export function servicePort(targetPort: number | string, port = 80, name: string | null = 'http'): ServicePort {
  return { name, port, targetPort, protocol: 'TCP', nodePort: null, at };
}

let counter = 0;
/** A running container on the bridge network at 172.17.0.N, unless told otherwise. */
export function container(name: string, extra: Partial<DockerContainer> & { labelsOf?: Record<string, string> } = {}): DockerContainer {
  counter++;
  const { labelsOf, ...rest } = extra;
  return {
    id: `${counter.toString(16).padStart(4, '0')}${'ab'.repeat(30)}`,
    name,
    image: 'ingress-dev-test/httpd',
    labels: new Map(Object.entries(labelsOf ?? {})),
    state: 'running',
    exitCode: null,
    startedAt: '2026-01-01T00:00:00.000000000Z',
    networkMode: 'bridge',
    networks: [{ name: 'bridge', ip: `172.17.0.${(counter % 250) + 2}` }],
    ports: [],
    namedPorts: new Map(),
    ...rest,
  };
}

/** A Docker index the test changes by hand. */
export function fakeDockerIndex(containers: DockerContainer[] = [], status: DockerStatus = { state: 'connected', endpoint: 'unix:///var/run/docker.sock', engine: 'Docker Engine 20.10.24', since: 0 }): DockerIndex & {
  set(containers: DockerContainer[]): void;
  setStatus(status: DockerStatus): void;
  snap: DockerSnapshot;
} {
  const index = {
    snap: { version: 1, containers, addresses: { reachable: true } } as DockerSnapshot,
    current: status,
    status: () => index.current,
    snapshot: () => index.snap,
    set(next: DockerContainer[]) {
      index.snap = { ...index.snap, version: index.snap.version + 1, containers: next };
    },
    setStatus(next: DockerStatus) {
      index.current = next;
      if (next.state !== 'connected') index.set([]);
    },
  };
  return index;
}
