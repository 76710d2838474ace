import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/diagnostics/diagnostic.js';
import { parseManifests } from '../src/manifest/parse.js';
import { compileRoutes } from '../src/model/compile.js';

/**
 * issue 10, item 7: a hint must never propose a value that `check` then refuses
 * (`host: App_Example.com` was told to write `app_example.com`, an invalid DNS label). Every hint
 * that proposes a value (host, name, path, port, kind, enum) is followed here: the value is
 * written back into the manifest and checked again, and must pass.
 */

const ingress = (fields: { host?: string; path?: string; pathType?: string; name?: string; service?: string; port?: string }) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ${fields.name ?? 'web'}}
spec:
  rules:
    - host: ${fields.host ?? 'app.example.com'}
      http:
        paths:
          - path: ${fields.path ?? '/'}
            pathType: ${fields.pathType ?? 'Prefix'}
            backend:
              service:
                name: ${fields.service ?? 'web'}
                port: ${fields.port ?? '{number: 80}'}
`;

const service = (fields: { name?: string; namespace?: string; port?: string; targetPort?: string; protocol?: string; type?: string }) => `---
apiVersion: v1
kind: Service
metadata: {name: ${fields.name ?? 'web'}, namespace: ${fields.namespace ?? 'default'}}
spec:
  type: ${fields.type ?? 'ClusterIP'}
  ports:
    - name: http
      port: ${fields.port ?? '80'}
      targetPort: ${fields.targetPort ?? '3000'}
      protocol: ${fields.protocol ?? 'TCP'}
`;

const workload = (fields: { apiVersion?: string; kind?: string }) => `---
apiVersion: ${fields.apiVersion ?? 'apps/v1'}
kind: ${fields.kind ?? 'Deployment'}
metadata: {name: web}
`;

function check(text: string): Diagnostic[] {
  const parsed = parseManifests([{ file: 'hint.yaml', text }]);
  return [...parsed.diagnostics, ...compileRoutes(parsed.resources, { profile: 'spec' }).diagnostics];
}

/** The last double-quoted value of a hint (`write "app-example.com"`). */
const quoted = (hint: string) => [...hint.matchAll(/"([^"]+)"/g)].at(-1)?.[1] ?? null;
const following = (prefix: string) => (hint: string) => new RegExp(`${prefix} ?([^\\s?;,]+)`).exec(hint)?.[1] ?? null;

interface Case {
  readonly name: string;
  readonly code: string;
  readonly write: (value: string) => string;
  readonly bad: string;
  readonly propose: (hint: string) => string | null;
  /** The value a hint proposes, when it is known; null: it must propose none. */
  readonly expected?: string | null;
}

const cases: readonly Case[] = [
  { name: 'host with "_" and upper case', code: 'E_HOST_INVALID', bad: 'App_Example.com', write: (host) => ingress({ host }) + service({}), propose: quoted, expected: 'app-example.com' },
  { name: 'upper-case host', code: 'E_HOST_INVALID', bad: 'App.Example.com', write: (host) => ingress({ host }) + service({}), propose: quoted, expected: 'app.example.com' },
  { name: 'host with a port and upper case', code: 'E_HOST_INVALID', bad: 'App.example.com:8080', write: (host) => ingress({ host }) + service({}), propose: quoted, expected: 'app.example.com' },
  { name: 'host with an invalid label', code: 'E_HOST_INVALID', bad: 'my_app.example.com', write: (host) => ingress({ host }) + service({}), propose: quoted, expected: 'my-app.example.com' },
  { name: 'host label ending in "-"', code: 'E_HOST_INVALID', bad: 'app-.example.com', write: (host) => ingress({ host }) + service({}), propose: quoted, expected: 'app.example.com' },
  { name: 'relative path', code: 'E_PATH_INVALID', bad: 'api', write: (path) => ingress({ path }) + service({}), propose: quoted, expected: '/api' },
  { name: 'relative Prefix path with "//"', code: 'E_PATH_INVALID', bad: 'api//v1', write: (path) => ingress({ path }) + service({}), propose: quoted, expected: '/api/v1' },
  { name: 'relative Exact path with dot segments', code: 'E_PATH_INVALID', bad: './api/../v2', write: (path) => ingress({ path, pathType: 'Exact' }) + service({}), propose: quoted, expected: '/v2' },
  { name: 'Ingress name', code: 'E_INVALID_NAME', bad: 'My_App', write: (name) => ingress({ name }) + service({}), propose: following('name:'), expected: 'my-app' },
  { name: 'Ingress name with "-" after "."', code: 'E_INVALID_NAME', bad: 'My.-App', write: (name) => ingress({ name }) + service({}), propose: following('name:'), expected: 'my.app' },
  { name: 'Service name starting with a digit', code: 'E_INVALID_NAME', bad: '9Lives', write: (name) => ingress({ service: 's-9lives' }) + service({ name }), propose: following('name:'), expected: 's-9lives' },
  { name: 'namespace', code: 'E_INVALID_NAME', bad: 'My.Shop', write: (namespace) => service({ namespace }), propose: following('namespace:'), expected: 'my-shop' },
  { name: 'quoted Service port', code: 'E_SERVICE_PORT_INVALID', bad: '"8080"', write: (port) => ingress({ port: '{number: 8080}' }) + service({ port }), propose: following('port:'), expected: '8080' },
  { name: 'quoted Service port out of range', code: 'E_SERVICE_PORT_INVALID', bad: '"70000"', write: (port) => ingress({}) + service({ port }), propose: following('Remove the quotes: port:'), expected: null },
  { name: 'quoted targetPort out of range', code: 'E_SERVICE_PORT_INVALID', bad: '"99999"', write: (targetPort) => ingress({}) + service({ targetPort }), propose: following('targetPort:'), expected: 'http' },
  { name: 'quoted targetPort', code: 'E_SERVICE_PORT_INVALID', bad: '"08080"', write: (targetPort) => ingress({}) + service({ targetPort }), propose: following('targetPort:'), expected: '08080' },
  { name: 'port shorthand (number)', code: 'W_PORT_SHORTHAND', bad: '80', write: (port) => ingress({ port }) + service({}), propose: (h) => /Write port: (\{[^}]+\})/.exec(h)?.[1] ?? null, expected: '{number: 80}' },
  { name: 'port shorthand (name)', code: 'W_PORT_SHORTHAND', bad: 'http', write: (port) => ingress({ port }) + service({}), propose: (h) => /Write port: (\{[^}]+\})/.exec(h)?.[1] ?? null, expected: '{name: http}' },
  { name: 'port shorthand (a name no port can have)', code: 'W_PORT_SHORTHAND', bad: 'Http', write: (port) => ingress({ port }) + service({}), propose: (h) => /Write port: (\{name: [^}]+\})/.exec(h)?.[1] ?? null, expected: null },
  { name: 'pathType', code: 'E_PATHTYPE_INVALID', bad: 'prefx', write: (pathType) => ingress({ pathType }) + service({}), propose: following('Did you mean'), expected: 'Prefix' },
  { name: 'protocol', code: 'E_SERVICE_PORT_INVALID', bad: 'tcp', write: (protocol) => ingress({}) + service({ protocol }), propose: following('Did you mean'), expected: 'TCP' },
  { name: 'Service type', code: 'E_SERVICE_TYPE_INVALID', bad: 'Nodeport', write: (type) => ingress({}) + service({ type }), propose: following('Did you mean'), expected: 'NodePort' },
  { name: 'Service name in a backend', code: 'E_SERVICE_NOT_FOUND', bad: 'wbe', write: (name) => ingress({ service: name }) + service({}), propose: (h) => /Did you mean "([^"]+)"/.exec(h)?.[1] ?? null, expected: 'web' },
  { name: 'kind', code: 'E_UNKNOWN_KIND', bad: 'Deploymnt', write: (kind) => ingress({}) + service({}) + workload({ kind }), propose: following('kind:'), expected: 'Deployment' },
  { name: 'apiVersion of a kind', code: 'E_UNKNOWN_KIND', bad: 'v1', write: (apiVersion) => ingress({}) + service({}) + workload({ apiVersion }), propose: following('apiVersion:'), expected: 'apps/v1' },
];

describe('every value a hint proposes passes check', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const before = check(c.write(c.bad)).filter((d) => d.code === c.code);
    expect(before, 'the mistake is reported').toHaveLength(1);
    const proposed = c.propose(before[0]?.hint ?? '');
    if (c.expected !== undefined) expect(proposed, before[0]?.hint).toBe(c.expected);
    if (proposed === null) return;
    const again = check(c.write(proposed));
    expect(again.filter((d) => d.severity === 'error' || d.code === c.code).map((d) => `${d.code} ${d.message}`), `${c.bad} → ${proposed}`).toEqual([]);
  });
});
