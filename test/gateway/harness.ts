import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import type { RouteTable } from '../../src/model/types.js';
import { explainRequest, matchRequest } from '../../src/routing/match.js';
import type { Match, MatchRequest } from '../../src/routing/types.js';

/**
 * Gateway API test fixtures: YAML in, the compiled table out, and a request routed to the name
 * of the Service it reaches (`v1`), or its status (`404`, `500`, `302 http://…`).
 */

export function compileYaml(text: string, options: { implicitGateway?: boolean } = {}): { table: RouteTable; diagnostics: readonly Diagnostic[] } {
  const parsed = parseManifests([{ file: 'gateway.yaml', text }]);
  const compiled = compileRoutes(parsed.resources, { profile: 'auto', ...(options.implicitGateway === undefined ? {} : { implicitGateway: options.implicitGateway }) });
  return { table: compiled.value, diagnostics: [...parsed.diagnostics, ...compiled.diagnostics] };
}

export interface Req {
  readonly host?: string;
  readonly path?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly scheme?: 'http' | 'https';
  readonly port?: number;
  readonly random?: number;
  /** ingress-dev's HTTPS listener port (a redirect to https:// points there). */
  readonly httpsPort?: number;
}

export function route(table: RouteTable, req: Req): Match {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  const request: MatchRequest = {
    // The port the client addressed is in its Host header.
    host: `${req.host ?? 'example.com'}${req.port === undefined ? '' : `:${req.port}`}`,
    path: req.path ?? '/',
    method: req.method ?? 'GET',
    headers,
    scheme: req.scheme ?? 'http',
    port: req.port ?? (req.scheme === 'https' ? 443 : 80),
    random: () => req.random ?? 0,
    ...(req.httpsPort === undefined ? {} : { httpsPort: req.httpsPort }),
  };
  return matchRequest(table, request);
}

/** `v1` (the Service), `404`, `500`, or `302 Location`. */
export function outcome(table: RouteTable, req: Req): string {
  const m = route(table, req);
  if (m.redirect !== null) return `${m.status} ${m.redirect.location}`;
  if (m.status !== 200) return String(m.status);
  return m.backend?.kind === 'service' ? m.backend.service : '?';
}

export function explain(table: RouteTable, req: Req) {
  return explainRequest(table, { host: req.host ?? 'example.com', path: req.path ?? '/', method: req.method ?? 'GET', headers: req.headers ?? {}, scheme: req.scheme ?? 'http' });
}

/** Services v1, v2, v3 on port 8080 in the namespace, as the conformance suite's infra backends. */
export function services(namespace = 'default', names: readonly string[] = ['v1', 'v2', 'v3']): string {
  return names.map((n) => `---
apiVersion: v1
kind: Service
metadata: {name: ${n}, namespace: ${namespace}}
spec: {ports: [{port: 8080}]}
`).join('');
}

/** A Gateway with one HTTP listener on 80 open to every namespace, unless listeners are given. */
export function gateway(name = 'gw', listeners = '[{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]', namespace = 'default'): string {
  return `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  gatewayClassName: test
  listeners: ${listeners}
`;
}
