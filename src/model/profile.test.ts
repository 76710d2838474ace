import { describe, expect, it } from 'vitest';
import { parseManifests } from '../manifest/parse.js';
import { compileRoutes } from './compile.js';

// Which Ingresses ingress-nginx serves: internal/ingress/controller/store/store.go GetIngressClass
// (ingressClassName first, then the kubernetes.io/ingress.class annotation, which must equal
// "nginx"; without either, only with --watch-ingress-without-class) and ingressclass.go
// (controller k8s.io/ingress-nginx). The API server writes the default IngressClass into an
// Ingress created without one.

const ingress = (name: string, extra: string, host = `${name}.example.com`) => `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
${extra}
spec:
  rules:
    - host: ${host}
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
---`;
const cls = (name: string, controller: string, isDefault = false) => `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: ${name}
${isDefault ? '  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}' : ''}
spec: {controller: ${controller}}
---`;
const service = `
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
`;

function profiles(yaml: string, profile: 'auto' | 'spec' | 'nginx' = 'auto') {
  const { resources } = parseManifests([{ file: 'k8s.yaml', text: yaml + service }]);
  const table = compileRoutes(resources, { profile, ...(profile === 'auto' ? {} : { profileSource: `--profile ${profile}` }) });
  return { table: table.value, diagnostics: table.diagnostics, chosen: Object.fromEntries([...table.value.ingressProfiles].map(([k, v]) => [k, [v.profile, v.why]])) };
}

describe('the profile of each Ingress (store.go GetIngressClass)', () => {
  it('ingressClassName naming an IngressClass of controller k8s.io/ingress-nginx, or nginx without one in the folder; another class is the spec', () => {
    const { chosen } = profiles(
      cls('internal', 'k8s.io/ingress-nginx') + cls('traefik', 'traefik.io/ingress-controller') +
      ingress('a', '', 'a.example.com').replace('spec:\n  rules', 'spec:\n  ingressClassName: internal\n  rules') +
      ingress('b', '').replace('spec:\n  rules', 'spec:\n  ingressClassName: nginx\n  rules') +
      ingress('c', '').replace('spec:\n  rules', 'spec:\n  ingressClassName: traefik\n  rules') +
      ingress('d', '').replace('spec:\n  rules', 'spec:\n  ingressClassName: haproxy\n  rules'),
    );
    expect(chosen).toEqual({
      'default/a': ['nginx', 'IngressClass internal (controller k8s.io/ingress-nginx)'],
      'default/b': ['nginx', 'ingressClassName nginx (the class ingress-nginx installs; no IngressClass nginx in the folder)'],
      'default/c': ['spec', 'IngressClass traefik (controller traefik.io/ingress-controller: the Kubernetes specification)'],
      'default/d': ['spec', "ingressClassName haproxy (not ingress-nginx's: the Kubernetes specification)"],
    });
  });

  it('the legacy annotation kubernetes.io/ingress.class: nginx; ingressClassName wins over it', () => {
    const { chosen } = profiles(
      ingress('a', '  annotations: {kubernetes.io/ingress.class: nginx}') +
      ingress('b', '  annotations: {kubernetes.io/ingress.class: traefik}') +
      ingress('c', '  annotations: {kubernetes.io/ingress.class: nginx}').replace('spec:\n  rules', 'spec:\n  ingressClassName: traefik\n  rules'),
    );
    expect(chosen['default/a']).toEqual(['nginx', 'annotation kubernetes.io/ingress.class: nginx']);
    expect(chosen['default/b']?.[0]).toBe('spec');
    expect(chosen['default/c']?.[0]).toBe('spec');
  });

  it('no class: the default IngressClass when it is ingress-nginx\'s, else the spec', () => {
    expect(profiles(cls('nginx', 'k8s.io/ingress-nginx', true) + ingress('a', '')).chosen['default/a']).toEqual(['nginx', 'no class: the default IngressClass nginx (controller k8s.io/ingress-nginx)']);
    expect(profiles(cls('nginx', 'k8s.io/ingress-nginx') + ingress('a', '')).chosen['default/a']).toEqual(['spec', 'no class: the Kubernetes specification']);
  });

  it('--profile (or profile: in ingress-dev.yaml) decides for every Ingress, and says so', () => {
    const { chosen, table } = profiles(ingress('a', '') + ingress('b', '  annotations: {kubernetes.io/ingress.class: nginx}'), 'spec');
    expect(chosen).toEqual({ 'default/a': ['spec', '--profile spec'], 'default/b': ['spec', '--profile spec'] });
    expect(table.profile).toBe('spec');
    expect(profiles(ingress('a', ''), 'nginx').table.exactHosts.get('a.example.com')?.profile).toBe('nginx');
  });

  it('each host is served by its Ingresses\' profile; a host both profiles name is ingress-nginx\'s, with a warning', () => {
    const { table, diagnostics } = profiles(
      ingress('plain', '', 'shared.example.com') + ingress('nginx', '  annotations: {kubernetes.io/ingress.class: nginx}', 'shared.example.com') + ingress('other', '', 'other.example.com'),
    );
    expect(table.exactHosts.get('shared.example.com')?.profile).toBe('nginx');
    expect(table.exactHosts.get('shared.example.com')?.routes.map((r) => r.ingress.name)).toEqual(['nginx']);
    expect(table.exactHosts.get('other.example.com')?.profile).toBe('spec');
    expect(table.profile).toBe('spec'); // not every Ingress is ingress-nginx's
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'W_PROFILE_CONFLICT', message: expect.stringContaining('the paths of default/plain for it are not served') }));
  });
});
