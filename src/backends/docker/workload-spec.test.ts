import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../manifest/parse.js';
import { expandVars, planWorkloads, serviceLinkVariables, withTag, type PlanContext, type WorkloadPlan } from './workload-spec.js';

const context: PlanContext = { projectId: 'abc123abc123', projectSlug: 'shop', projectDir: '/home/ada/shop', publishPorts: false };

function plan(yaml: string, ctx: Partial<PlanContext> = {}) {
  const { resources, diagnostics } = parseManifests([{ file: 'app.yaml', text: yaml }]);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return planWorkloads(resources, { ...context, ...ctx });
}

function only(yaml: string, ctx: Partial<PlanContext> = {}): WorkloadPlan {
  const result = plan(yaml, ctx);
  expect(result.failed).toEqual([]);
  expect(result.workloads).toHaveLength(1);
  return result.workloads[0]!;
}

function envOf(w: WorkloadPlan, replica = 0): Record<string, string> {
  return Object.fromEntries((w.replicas[replica]?.spec.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

const deployment = (container: string, extra = '') => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: frontend}}
    spec:
${extra}
      containers:
${container}
`;

const configs = `
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {GREETING: hello, LOG_LEVEL: debug, "bad key": x}
---
apiVersion: v1
kind: Secret
metadata: {name: web-secret}
data: {password: c2VjcmV0}            # "secret"
stringData: {token: plain-token}
`;

describe('planWorkloads: environment', () => {
  it('sets values, valueFrom ConfigMap and Secret keys (Secret data decoded from base64), and envFrom with a prefix; env wins over envFrom', () => {
    const w = only(
      deployment(`
        - name: app
          image: ingress-dev-test/echo
          envFrom:
            - configMapRef: {name: web-config}
            - secretRef: {name: web-secret}
              prefix: SECRET_
          env:
            - {name: PLAIN, value: "42"}
            - {name: LOG_LEVEL, value: info}
            - name: FROM_CM
              valueFrom: {configMapKeyRef: {name: web-config, key: GREETING}}
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: web-secret, key: password}}
            - name: TOKEN
              valueFrom: {secretKeyRef: {name: web-secret, key: token}}
            - {name: URL, value: "http://$(PLAIN)/$$(PLAIN)"}
            - name: POD
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
            - name: NS
              valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
            - name: TIER
              valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}
`) + configs,
    );
    expect(envOf(w)).toEqual({
      GREETING: 'hello',
      LOG_LEVEL: 'info',
      SECRET_password: 'secret',
      SECRET_token: 'plain-token',
      PLAIN: '42',
      FROM_CM: 'hello',
      DB_PASSWORD: 'secret',
      TOKEN: 'plain-token',
      URL: 'http://42/$(PLAIN)',
      POD: 'web-1',
      NS: 'default',
      TIER: 'frontend',
    });
    expect(envOf(w, 1).POD).toBe('web-2');
  });

  it('a key that is no environment variable name is left out with a warning', () => {
    const result = plan(deployment(`        - {name: app, image: x, envFrom: [{configMapRef: {name: web-config}}]}`) + configs);
    expect(result.diagnostics.map((d) => [d.code, d.message])).toContainEqual([
      'W_ENV_NOT_SET',
      'Deployment default/web: envFrom ConfigMap web-config: key "bad key" is not a valid environment variable name and is left out',
    ]);
  });

  it('a ConfigMap or Secret that is not in the folder fails that workload only, unless optional', () => {
    const result = plan(
      deployment(`
        - name: app
          image: x
          env:
            - name: A
              valueFrom: {configMapKeyRef: {name: missing, key: a}}
`) +
        `
---
apiVersion: v1
kind: Pod
metadata: {name: other}
spec:
  containers:
    - name: app
      image: y
      envFrom: [{secretRef: {name: missing, optional: true}}]
      env:
        - name: B
          valueFrom: {secretKeyRef: {name: missing, key: b, optional: true}}
`,
    );
    expect(result.workloads.map((w) => w.title)).toEqual(['Pod default/other']);
    expect(result.failed).toMatchObject([{ title: 'Deployment default/web', error: 'env A reads key "a" of ConfigMap default/missing, which is not in the folder' }]);
    expect(result.diagnostics).toContainEqual(expect.objectContaining({ code: 'E_WORKLOAD_REF_NOT_FOUND', severity: 'error', file: 'app.yaml', line: 3 }));
  });

  it('a missing key names the keys that are there', () => {
    const result = plan(deployment(`        - {name: app, image: x, env: [{name: A, valueFrom: {configMapKeyRef: {name: web-config, key: nope}}}]}`) + configs);
    expect(result.failed[0]?.error).toBe('env A reads key "nope" of ConfigMap default/web-config, which has no such key (it has: GREETING, LOG_LEVEL, bad key)');
  });

  it('Secret data that is not base64 is reported at the Secret', () => {
    const result = plan(`apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: "not base64!"}\n`);
    expect(result.diagnostics).toMatchObject([{ code: 'E_FIELD_TYPE', message: 'Secret default/s: data.password is not base64, so the key is left out' }]);
  });
});

describe('planWorkloads: the container', () => {
  it('command → entrypoint and args → cmd, with $(VAR) expanded; args alone keep the image entrypoint', () => {
    const both = only(deployment(`        - {name: app, image: x, command: [/bin/sh, -c], args: ["echo $(WHO)"], env: [{name: WHO, value: you}], workingDir: /srv}`));
    expect(both.replicas[0]?.spec).toMatchObject({ Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo you'], WorkingDir: '/srv' });
    const argsOnly = only(deployment(`        - {name: app, image: x, args: [--port, 8080]}`));
    expect(argsOnly.replicas[0]?.spec.Cmd).toEqual(['--port', '8080']);
    expect(argsOnly.replicas[0]?.spec).not.toHaveProperty('Entrypoint');
    expect(argsOnly.replicas[0]?.spec).not.toHaveProperty('WorkingDir');
  });

  it('replicas become numbered containers with the pod labels and labels that identify the project and the workload', () => {
    const w = only(deployment(`        - {name: app, image: nginx}`), { labels: { 'ingress-dev.test': '1' } });
    expect(w.image).toBe('nginx:latest');
    expect(w.replicas.map((r) => [r.index, r.podName, r.containerName, r.spec.Hostname])).toEqual([
      [1, 'web-1', 'shop-web-1', 'web-1'],
      [2, 'web-2', 'shop-web-2', 'web-2'],
    ]);
    expect(w.replicas[0]?.spec.Labels).toEqual({
      app: 'web',
      tier: 'frontend',
      'ingress-dev.test': '1',
      'ingress-dev.project': 'abc123abc123',
      'ingress-dev.project.dir': '/home/ada/shop',
      'ingress-dev.workload': 'Deployment/default/web',
      'ingress-dev.replica': '1',
      'ingress-dev.spec-hash': w.replicas[0]?.hash,
    });
    expect(w.replicas[0]?.spec.HostConfig.RestartPolicy).toEqual({ Name: 'always' });
  });

  it('ports are exposed and their names recorded; published on 127.0.0.1 only when asked, with Service targetPorts and the probe port', () => {
    const yaml =
      deployment(`
        - name: app
          image: x
          ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}, {containerPort: 53, protocol: UDP}, {containerPort: 7000, hostPort: 17000}]
          readinessProbe: {httpGet: {path: /ready, port: 8081}}
`) +
      `
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: web, port: 80, targetPort: http}, {name: admin, port: 81, targetPort: 8082}]}
`;
    const local = only(yaml).replicas[0]!.spec;
    expect(Object.keys(local.ExposedPorts).toSorted()).toEqual(['53/udp', '7000/tcp', '8080/tcp', '9090/tcp']);
    expect(local.Labels['ingress-dev.port-names']).toBe('http=8080,metrics=9090');
    expect(local.HostConfig.PortBindings).toEqual({ '7000/tcp': [{ HostIp: '127.0.0.1', HostPort: '17000' }] });
    const published = only(yaml, { publishPorts: true }).replicas[0]!.spec;
    expect(Object.keys(published.HostConfig.PortBindings).toSorted()).toEqual(['7000/tcp', '8080/tcp', '8081/tcp', '8082/tcp', '9090/tcp']);
    expect(published.HostConfig.PortBindings['8080/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: '' }]);
  });

  it('every Service that selects the pods gives the cluster DNS names as network aliases; a StatefulSet pod has its own', () => {
    const services = `
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: frontend}
spec: {selector: {tier: frontend}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: other}
spec: {selector: {app: web, tier: backend}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: elsewhere}
spec: {selector: {app: web}, ports: [{port: 80}]}
`;
    const w = only(deployment(`        - {name: app, image: x}`) + services);
    expect(w.services).toEqual(['default/web', 'default/frontend']);
    expect(w.replicas[0]?.aliases).toEqual([
      'frontend',
      'frontend.default',
      'frontend.default.svc',
      'frontend.default.svc.cluster.local',
      'web',
      'web.default',
      'web.default.svc',
      'web.default.svc.cluster.local',
    ]);
    const sts = only(`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: pg, image: postgres:16}]}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
`);
    expect(sts.replicas.map((r) => r.containerName)).toEqual(['shop-db-0', 'shop-db-1']);
    expect(sts.replicas[1]?.aliases).toEqual(['db', 'db.default', 'db.default.svc', 'db.default.svc.cluster.local', 'db-1.db', 'db-1.db.default', 'db-1.db.default.svc', 'db-1.db.default.svc.cluster.local']);
  });

  it('a Pod keeps its name and restartPolicy; replicas: 0 runs nothing', () => {
    const pod = only(`apiVersion: v1\nkind: Pod\nmetadata: {name: job, labels: {app: job}}\nspec: {restartPolicy: OnFailure, containers: [{name: c, image: busybox:1.36}]}\n`);
    expect(pod.replicas.map((r) => r.containerName)).toEqual(['shop-job']);
    expect(pod.replicas[0]?.spec.HostConfig.RestartPolicy).toEqual({ Name: 'on-failure' });
    expect(pod.replicas[0]?.spec.Labels['app']).toBe('job');
    const none = only(deployment(`        - {name: app, image: x}`).replace('replicas: 2', 'replicas: 0'));
    expect(none.replicas).toEqual([]);
  });

  it('only the first container runs: sidecars, init containers and volumes are warnings', () => {
    const result = plan(
      deployment(
        `
        - {name: app, image: x, volumeMounts: [{name: conf, mountPath: /etc/app}]}
        - {name: proxy, image: envoy}`,
        '      initContainers: [{name: migrate, image: x}]',
      ),
    );
    expect(result.workloads[0]?.image).toBe('x:latest');
    expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      'W_SIDECARS_NOT_RUN Deployment default/web: only the first container, "app", is run; sidecar "proxy" and init container "migrate" are not',
      'W_VOLUMES_NOT_MOUNTED Deployment default/web: volumes are not mounted: /etc/app is whatever the image has there',
    ]);
  });

  it('a workload without containers or image is an error for it alone', () => {
    const result = plan(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n---\n` + deployment(`        - {name: app, image: x}`));
    expect(result.failed.map((f) => [f.title, f.error])).toEqual([['Pod default/p', 'container "c" has no image']]);
    expect(result.workloads.map((w) => w.title)).toEqual(['Deployment default/web']);
  });
});

describe('planWorkloads: readiness', () => {
  const withProbe = (probe: string, service = '') =>
    only(deployment(`        - {name: app, image: x, ports: [{name: http, containerPort: 8080}]${probe === '' ? '' : `, readinessProbe: ${probe}`}}`) + service).readiness;

  it('httpGet and tcpSocket, by port number or name, with their timing', () => {
    expect(withProbe('{httpGet: {path: /healthz, port: http}, periodSeconds: 2, failureThreshold: 5}')).toEqual({
      probe: { kind: 'http', port: 8080, path: '/healthz', scheme: 'http', host: null, headers: [] },
      description: 'readinessProbe httpGet /healthz',
      initialDelayMs: 0,
      periodMs: 2000,
      timeoutMs: 1000,
      successThreshold: 1,
      failureThreshold: 5,
    });
    expect(withProbe('{tcpSocket: {port: 8080}}')).toMatchObject({ probe: { kind: 'tcp', port: 8080 }, description: 'readinessProbe tcpSocket 8080' });
    expect(withProbe('{exec: {command: [cat, /tmp/ready]}}')).toMatchObject({ probe: { kind: 'exec', command: ['cat', '/tmp/ready'] }, description: 'readinessProbe exec cat /tmp/ready' });
  });

  it('a probe port name the container does not have can never pass, as in a cluster', () => {
    expect(withProbe('{httpGet: {path: /, port: web}}').probe).toMatchObject({ kind: 'never' });
  });

  it('without a probe: a TCP connect to the targetPort of the Service that selects it, else ready once running', () => {
    const service = `\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}\n`;
    expect(withProbe('', service)).toMatchObject({ probe: { kind: 'tcp', port: 8080 }, description: 'TCP connect to port 8080' });
    expect(withProbe('')).toMatchObject({ probe: null, description: 'no readiness check' });
  });

  it('an ordinary port 80 → targetPort 8080 Service is not a warning (issue 10 item 12)', () => {
    const result = plan(deployment(`        - {name: app, image: x}`) + `\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}\n`);
    expect(result.diagnostics).toEqual([]);
  });
});

describe('planWorkloads: the spec hash', () => {
  const base = deployment(`        - {name: app, image: x, env: [{name: A, valueFrom: {configMapKeyRef: {name: web-config, key: GREETING}}}]}`);
  const hashes = (yaml: string) => plan(yaml).workloads.map((w) => w.replicas.map((r) => r.hash));

  it('is stable, and differs between replicas (their hostnames differ)', () => {
    expect(hashes(base + configs)).toEqual(hashes(base + configs));
    const [[one, two]] = hashes(base + configs) as [[string, string]];
    expect(one).toMatch(/^[0-9a-f]{16}$/);
    expect(one).not.toBe(two);
  });

  it('does not depend on the order keys were written in', () => {
    const reordered = deployment(`        - {env: [{valueFrom: {configMapKeyRef: {key: GREETING, name: web-config}}, name: A}], image: x, name: app}`);
    expect(hashes(reordered + configs)).toEqual(hashes(base + configs));
  });

  it('changes with the pod spec, and with a ConfigMap value the pod reads', () => {
    const before = hashes(base + configs);
    expect(hashes(base.replace('image: x', 'image: y') + configs)).not.toEqual(before);
    expect(hashes(base + configs.replace('GREETING: hello', 'GREETING: bonjour'))).not.toEqual(before);
    expect(hashes(base + configs.replace('LOG_LEVEL: debug', 'LOG_LEVEL: warn'))).toEqual(before); // a key it does not read
  });
});

describe('planWorkloads: the update strategy (apps/v1 DeploymentStrategy, StatefulSetUpdateStrategy)', () => {
  const app = `        - {name: app, image: x}`;
  const withStrategy = (strategy: string) => deployment(app).replace('  replicas: 2\n', `  replicas: 4\n  strategy: ${strategy}\n`);
  const failure = (yaml: string) => {
    const result = plan(yaml);
    expect(result.workloads).toEqual([]);
    return result.failed[0]?.error;
  };

  it('a Deployment rolls by default with 25% surge (rounded up) and 25% unavailable (rounded down)', () => {
    expect(only(deployment(app)).strategy).toEqual({ kind: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 });
    expect(only(withStrategy('{}')).strategy).toEqual({ kind: 'RollingUpdate', maxSurge: 1, maxUnavailable: 1 });
    expect(only(withStrategy('{rollingUpdate: {maxSurge: 0, maxUnavailable: "50%"}}')).strategy).toEqual({ kind: 'RollingUpdate', maxSurge: 0, maxUnavailable: 2 });
    expect(only(withStrategy('{type: Recreate}')).strategy).toEqual({ kind: 'Recreate' });
  });

  it('values the API server rejects make the workload not run, with the reason', () => {
    expect(failure(withStrategy('{rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}'))).toBe('spec.strategy.rollingUpdate.maxUnavailable may not be 0 when maxSurge is 0');
    expect(failure(withStrategy('{rollingUpdate: {maxUnavailable: "150%"}}'))).toBe('spec.strategy.rollingUpdate.maxUnavailable may not be more than 100%');
    expect(failure(withStrategy('{rollingUpdate: {maxSurge: "1"}}'))).toBe('spec.strategy.rollingUpdate.maxSurge "1" is not a whole number of 0 or more or a percentage');
    expect(failure(withStrategy('{type: Recreate, rollingUpdate: {maxSurge: 1}}'))).toBe("spec.strategy.rollingUpdate may not be given when the type is 'Recreate'");
    expect(failure(withStrategy('{type: BlueGreen}'))).toBe('spec.strategy.type "BlueGreen" is not RollingUpdate or Recreate');
  });

  it('a StatefulSet updates in order (with its partition) or on delete; a Pod is recreated', () => {
    const sts = (update: string) => deployment(app).replace('kind: Deployment', 'kind: StatefulSet').replace('  replicas: 2\n', `  replicas: 2\n  serviceName: web\n${update}`);
    expect(only(sts('')).strategy).toEqual({ kind: 'OrderedRollingUpdate', partition: 0 });
    expect(only(sts('  updateStrategy: {rollingUpdate: {partition: 1}}\n')).strategy).toEqual({ kind: 'OrderedRollingUpdate', partition: 1 });
    expect(only(sts('  updateStrategy: {type: OnDelete}\n')).strategy).toEqual({ kind: 'OnDelete' });
    expect(failure(sts('  updateStrategy: {rollingUpdate: {partition: -1}}\n'))).toBe('spec.updateStrategy.rollingUpdate.partition must be a whole number of 0 or more');
    expect(only('apiVersion: v1\nkind: Pod\nmetadata: {name: job}\nspec: {containers: [{name: a, image: x}]}\n').strategy).toEqual({ kind: 'Recreate' });
  });

  it('a leaving container may finish its requests for terminationGracePeriodSeconds (30 s by default)', () => {
    expect(only(deployment(app)).drainMs).toBe(30_000);
    expect(only(deployment(app, '      terminationGracePeriodSeconds: 5')).drainMs).toBe(5_000);
  });
});

describe('helpers', () => {
  it('withTag adds :latest only when there is neither tag nor digest', () => {
    expect(withTag('nginx')).toBe('nginx:latest');
    expect(withTag('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(withTag('localhost:5000/app:1.2')).toBe('localhost:5000/app:1.2');
    expect(withTag('nginx@sha256:abc')).toBe('nginx@sha256:abc');
  });

  it('expandVars expands defined variables, keeps unknown ones and unescapes $$', () => {
    const env = new Map([['A', 'x']]);
    expect(expandVars('$(A)-$(B)-$$(A)-$$', env)).toBe('x-$(B)-$(A)-$');
  });
});

describe('the ingress-nginx controller in the folder', () => {
  it('is not run: ingress-dev routes in its place (image of deploy/static/provider/cloud/deploy.yaml), with an info at the Deployment', () => {
    const result = plan(`${deployment('        - {name: controller, image: "registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:0123", args: [/nginx-ingress-controller]}')}
---
${deployment('        - {name: web, image: nginx:1.27}').replace('name: web}', 'name: app}')}`);
    expect(result.workloads.map((w) => w.key)).toEqual(['Deployment/default/app']);
    expect(result.diagnostics.map((d) => [d.code, d.line])).toEqual([['I_CONTROLLER_NOT_RUN', 3]]);
  });
});

describe('Service variables (pkg/kubelet/envvars FromServices)', () => {
  const services = parseManifests([{ file: 'svc.yaml', text: [
    'apiVersion: v1', 'kind: Service', 'metadata: {name: redis-master}', 'spec: {ports: [{port: 6379}]}', '---',
    'apiVersion: v1', 'kind: Service', 'metadata: {name: auth-2fa}', 'spec: {ports: [{name: http, port: 80}, {name: grpc-api, port: 9000, protocol: UDP}]}', '---',
    'apiVersion: v1', 'kind: Service', 'metadata: {name: db}', 'spec: {clusterIP: None, ports: [{port: 5432}]}',
  ].join('\n') }]).resources.services;

  it('as the Kubernetes docs give them for redis-master, named ports, protocols; none for a headless Service', () => {
    const env = serviceLinkVariables(services, new Map([['default/redis-master', '10.0.0.11'], ['default/auth-2fa', '10.0.0.12'], ['default/db', '10.0.0.13']]));
    expect(Object.fromEntries(env)).toEqual({
      REDIS_MASTER_SERVICE_HOST: '10.0.0.11',
      REDIS_MASTER_SERVICE_PORT: '6379',
      REDIS_MASTER_PORT: 'tcp://10.0.0.11:6379',
      REDIS_MASTER_PORT_6379_TCP: 'tcp://10.0.0.11:6379',
      REDIS_MASTER_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_MASTER_PORT_6379_TCP_PORT: '6379',
      REDIS_MASTER_PORT_6379_TCP_ADDR: '10.0.0.11',
      AUTH_2FA_SERVICE_HOST: '10.0.0.12',
      AUTH_2FA_SERVICE_PORT: '80',
      AUTH_2FA_SERVICE_PORT_HTTP: '80',
      AUTH_2FA_SERVICE_PORT_GRPC_API: '9000',
      AUTH_2FA_PORT: 'tcp://10.0.0.12:80',
      AUTH_2FA_PORT_80_TCP: 'tcp://10.0.0.12:80',
      AUTH_2FA_PORT_80_TCP_PROTO: 'tcp',
      AUTH_2FA_PORT_80_TCP_PORT: '80',
      AUTH_2FA_PORT_80_TCP_ADDR: '10.0.0.12',
      AUTH_2FA_PORT_9000_UDP: 'udp://10.0.0.12:9000',
      AUTH_2FA_PORT_9000_UDP_PROTO: 'udp',
      AUTH_2FA_PORT_9000_UDP_PORT: '9000',
      AUTH_2FA_PORT_9000_UDP_ADDR: '10.0.0.12',
    });
  });

  it('only Services with an address (a relay) get variables', () => {
    expect(serviceLinkVariables(services, new Map()).size).toBe(0);
  });
});
