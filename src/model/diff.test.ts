import { describe, expect, it } from 'vitest';
import { parseManifests } from '../manifest/parse.js';
import { compileRoutes } from './compile.js';
import { diffRouteTables, isUnchanged } from './diff.js';
import type { RouteTable } from './types.js';

const services = ['web', 'api']
  .map((name) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec: {ports: [{name: http, port: 80}, {name: admin, port: 9000}]}`)
  .join('\n---\n');

/** A table from Ingress paths written as `host path pathType service port`, one per line. */
function table(paths: string, options: { defaultBackend?: string; file?: string; padding?: number } = {}): RouteTable {
  const items = paths
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([host, path, pathType, service, port]) => `  - host: ${host}\n    http: {paths: [{path: ${path}, pathType: ${pathType}, backend: {service: {name: ${service}, port: {number: ${port}}}}}]}`);
  // One line either way, so that adding a default backend does not move the rules below it.
  const defaultBackend = options.defaultBackend === undefined ? '  # no defaultBackend\n' : `  defaultBackend: {service: {name: ${options.defaultBackend}, port: {number: 80}}}\n`;
  const ingress = `${'# padding\n'.repeat(options.padding ?? 0)}apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: site}\nspec:\n${defaultBackend}  rules:\n${items.join('\n')}\n`;
  const parsed = parseManifests([
    { file: options.file ?? 'ingress.yaml', text: ingress },
    { file: 'services.yaml', text: services },
  ]);
  return compileRoutes(parsed.resources, { profile: 'spec' }).value;
}

const base = `
  a.example.com /     Prefix web 80
  a.example.com /api  Prefix api 80
  b.example.com /     Exact  web 80`;

describe('diffRouteTables', () => {
  it('finds nothing between two compilations of the same manifests', () => {
    const changes = diffRouteTables(table(base), table(base));
    expect(changes).toEqual({ added: [], removed: [], changed: [] });
    expect(isUnchanged(changes)).toBe(true);
  });

  it('reports a new path as added and a dropped one as removed, by route id', () => {
    const before = table(base);
    const after = table(`
      a.example.com /     Prefix web 80
      a.example.com /api  Prefix api 80
      b.example.com /     Exact  web 80
      c.example.com /new  Prefix web 80`);
    expect(diffRouteTables(before, after)).toEqual({ added: ['ingress:default/site#r3.p0'], removed: [], changed: [] });
    expect(diffRouteTables(after, before)).toEqual({ added: [], removed: ['ingress:default/site#r3.p0'], changed: [] });
  });

  it.each([
    ['host', 'x.example.com /     Exact  web 80'],
    ['path', 'b.example.com /x    Exact  web 80'],
    ['pathType', 'b.example.com /     Prefix web 80'],
    ['backend service', 'b.example.com /     Exact  api 80'],
    ['backend port', 'b.example.com /     Exact  web 9000'],
  ])('reports a route whose %s changed as changed, under the same id', (_what, rule2) => {
    const after = table(base.replace('b.example.com /     Exact  web 80', rule2));
    expect(diffRouteTables(table(base), after)).toEqual({ added: [], removed: [], changed: ['ingress:default/site#r2.p0'] });
  });

  it('reports a route that moved to another line or file as changed (its source is shown)', () => {
    const all = ['ingress:default/site#r0.p0', 'ingress:default/site#r1.p0', 'ingress:default/site#r2.p0'];
    expect(diffRouteTables(table(base), table(base, { padding: 2 })).changed.toSorted()).toEqual(all);
    expect(diffRouteTables(table(base), table(base, { file: 'k8s/ingress.yaml' })).changed.toSorted()).toEqual(all);
  });

  it('treats the default backend as a route of its own', () => {
    const none = table(base);
    const web = table(base, { defaultBackend: 'web' });
    const api = table(base, { defaultBackend: 'api' });
    expect(diffRouteTables(none, web)).toEqual({ added: ['ingress:default/site#default'], removed: [], changed: [] });
    expect(diffRouteTables(web, api)).toEqual({ added: [], removed: [], changed: ['ingress:default/site#default'] });
    expect(diffRouteTables(api, none)).toEqual({ added: [], removed: ['ingress:default/site#default'], changed: [] });
  });

  it('reports a backend that lost its Service as changed (the route now answers 503)', () => {
    const after = table(base.replace('api 80', 'gone 80'));
    expect(diffRouteTables(table(base), after).changed).toEqual(['ingress:default/site#r1.p0']);
  });
});
