import { describe, expect, it } from 'vitest';
import type { Service } from '../manifest/types.js';
import type { ServiceBackend } from '../model/types.js';
import { createResolver, type Mapping } from './resolver.js';
import { parseServiceSelector, parseTarget } from './target.js';

const at = { file: 'svc.yaml', line: 1, col: 1 };
function service(name: string, extra: Partial<Service> = {}): Service {
  return {
    kind: 'Service',
    metadata: { name, namespace: 'default', annotations: new Map(), labels: new Map(), creationTimestamp: null, at, nameAt: at, order: 0 },
    type: 'ClusterIP',
    selector: new Map(),
    ports: [{ name: 'http', port: 80, targetPort: 3000, protocol: 'TCP', nodePort: null, at }],
    externalName: null,
    ...extra,
  };
}
function backend(name: string, port = 80, portName: string | null = 'http'): ServiceBackend {
  return { kind: 'service', service: name, namespace: 'default', port, portName, problem: null };
}
function mapping(selector: string, target: string, via: string): Mapping {
  const s = parseServiceSelector(selector);
  const t = parseTarget(target);
  if (s === null || !t.ok) throw new Error('bad test mapping');
  return { selector: s, target: t.target, via };
}

describe('createResolver', () => {
  it('uses the first mapping that selects the Service port: flags before the config file', () => {
    const r = createResolver({
      mappings: [mapping('web', '4000', '--map web=4000'), mapping('web', '5000', 'ingress-dev.yaml:3')],
      services: [service('web')],
      unmapped: 'unavailable',
    });
    expect(r.resolve(backend('web'))).toMatchObject({ kind: 'target', target: { origin: 'http://127.0.0.1:4000' }, via: '--map web=4000' });
  });

  it('matches a port by number or by name', () => {
    const r = createResolver({ mappings: [mapping('web:http', '4000', 'a'), mapping('web:9000', '5000', 'b')], services: [], unmapped: 'unavailable' });
    expect(r.resolve(backend('web', 80, 'http'))).toMatchObject({ via: 'a' });
    expect(r.resolve(backend('web', 9000, null))).toMatchObject({ via: 'b' });
  });

  it('a namespaced mapping applies to that namespace only', () => {
    const r = createResolver({ mappings: [mapping('shop/web', '4000', 'a')], services: [], unmapped: 'unavailable' });
    expect(r.resolve(backend('web')).kind).toBe('unavailable');
    expect(r.resolve({ ...backend('web'), namespace: 'shop' }).kind).toBe('target');
  });

  it('forwards ExternalName Services to their host on the service port', () => {
    const r = createResolver({ mappings: [], services: [service('ext', { type: 'ExternalName', externalName: 'api.example.org' })], unmapped: 'unavailable' });
    expect(r.resolve(backend('ext'))).toMatchObject({ kind: 'target', target: { origin: 'http://api.example.org:80' }, via: 'ExternalName api.example.org' });
  });

  it('unmapped: echo or a 503 whose hint is the exact flag and config line', () => {
    expect(createResolver({ mappings: [], services: [], unmapped: 'echo' }).resolve(backend('web'))).toMatchObject({ kind: 'target', target: { kind: 'echo' } });
    const res = createResolver({ mappings: [], services: [service('web')], unmapped: 'unavailable' }).resolve(backend('web'));
    expect(res).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('default/web port http') });
    if (res.kind === 'unavailable') {
      expect(res.hint).toContain('--map web=3000'); // the targetPort: where the app listens
      expect(res.hint).toContain('services: { web: 3000 }');
    }
  });
});
