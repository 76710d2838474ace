import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { BackendResolver, Resolution, Target } from '../../src/backends/types.js';
import { createEventBus } from '../../src/events/bus.js';
import type { RequestCompleted } from '../../src/events/types.js';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import type { RouteTable, ServiceBackend } from '../../src/model/types.js';
import type { ForwardTimeouts } from '../../src/proxy/forward.js';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';

/** Multi-document YAML → a route table, with the real parser and compiler. */
export function compileTable(yaml: string, file = 'test.yaml'): RouteTable {
  const parsed = parseManifests([{ file, text: yaml }]);
  return compileRoutes(parsed.resources, { profile: 'spec' }).value;
}

/** An Ingress with one rule per entry, and a Service for every backend named. */
export function ingressYaml(name: string, rules: readonly { host?: string; paths: readonly { path: string; pathType?: string; service: string; port?: number }[] }[]): string {
  const services = new Set(rules.flatMap((rule) => rule.paths.map((p) => `${p.service}:${p.port ?? 80}`)));
  const ingress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
spec:
  rules:
${rules
  .map(
    (rule) => `    - ${rule.host === undefined ? '' : `host: ${rule.host}\n      `}http:
        paths:
${rule.paths
  .map(
    (p) => `          - path: ${p.path}
            pathType: ${p.pathType ?? 'Prefix'}
            backend:
              service:
                name: ${p.service}
                port:
                  number: ${p.port ?? 80}`,
  )
  .join('\n')}`,
  )
  .join('\n')}
`;
  const byName = new Map<string, number[]>();
  for (const entry of services) {
    const [service = '', port = '80'] = entry.split(':');
    byName.set(service, [...(byName.get(service) ?? []), Number(port)]);
  }
  const serviceDocs = [...byName].map(
    ([service, ports]) => `apiVersion: v1
kind: Service
metadata:
  name: ${service}
spec:
  ports:
${ports.map((port) => `    - port: ${port}\n      name: p${port}`).join('\n')}
`,
  );
  return [ingress, ...serviceDocs].join('---\n');
}

/** A resolver for tests: service name → target (`echo`, a port on 127.0.0.1, or a URL). */
export function testResolver(map: Readonly<Record<string, number | string>>): BackendResolver {
  return {
    resolve(backend: ServiceBackend): Resolution {
      const mapped = map[backend.service];
      if (mapped === undefined) {
        return {
          kind: 'unavailable',
          cause: 'unmapped',
          reason: `Service ${backend.namespace}/${backend.service} port ${backend.port ?? backend.portName} is not mapped to anything`,
          hint: `--map ${backend.service}:${backend.port ?? backend.portName}=PORT`,
        };
      }
      return { kind: 'target', target: targetOf(mapped), via: `--map ${backend.service}=${mapped}` };
    },
  };
}

export function targetOf(mapped: number | string): Target {
  if (mapped === 'echo') return { kind: 'echo' };
  const url = new URL(typeof mapped === 'number' ? `http://127.0.0.1:${mapped}` : mapped);
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  const port = Number(url.port || (protocol === 'https:' ? 443 : 80));
  return { kind: 'http', protocol, host: url.hostname, port, origin: `${protocol}//${url.hostname}:${port}` };
}

export interface TestProxy {
  readonly proxy: RunningProxy;
  readonly port: number;
  readonly events: RequestCompleted[];
  close(): Promise<void>;
}

export async function startTestProxy(options: {
  table: RouteTable | (() => RouteTable);
  resolver: BackendResolver;
  timeouts?: Partial<ForwardTimeouts>;
}): Promise<TestProxy> {
  const events = createEventBus();
  const completed: RequestCompleted[] = [];
  events.on('request-completed', (event) => completed.push(event));
  const table = options.table;
  const proxy = await startProxy({
    host: '127.0.0.1',
    port: 0,
    getTable: typeof table === 'function' ? table : () => table,
    resolver: options.resolver,
    events,
    timeouts: options.timeouts,
  });
  return { proxy, port: proxy.port, events: completed, close: () => proxy.close(1000) };
}

export interface Upstream {
  readonly port: number;
  readonly server: http.Server | https.Server;
  /** TCP connections the upstream accepted. */
  connections: number;
  close(): Promise<void>;
}

export async function startUpstream(handler: RequestListener, options: { tls?: boolean } = {}): Promise<Upstream> {
  const server = options.tls === true ? https.createServer(tlsOptions(), handler) : http.createServer(handler);
  // Upgraded sockets leave node's connection tracking: destroy them on close, or close would wait.
  const sockets = new Set<net.Socket>();
  const close = () => {
    for (const socket of sockets) socket.destroy();
    return closeServer(server);
  };
  const upstream = { port: 0, server, connections: 0, close };
  server.on('connection', (socket: net.Socket) => {
    upstream.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstream.port = (server.address() as net.AddressInfo).port;
  return upstream;
}

export function tlsOptions(): { key: Buffer; cert: Buffer } {
  const dir = path.join(import.meta.dirname, '..', 'fixtures', 'tls');
  return { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
}

export function closeServer(server: net.Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

/** A port nothing listens on: bind one, then let it go. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await closeServer(server);
  return port;
}

/** An upstream that answers with what it received, as JSON. */
export function echoHandler(req: IncomingMessage, res: ServerResponse): void {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, bytes }));
  });
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: string;
}

/** One request with node:http (raw path, no normalisation), the body read as text. */
export function send(
  port: number,
  options: { path?: string; method?: string; headers?: http.OutgoingHttpHeaders | string[]; body?: string; agent?: http.Agent | false } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: options.path ?? '/', method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Polls until `condition` holds; no fixed sleeps. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** What `echoHandler` (or the built-in echo) answered, parsed. */
export function json<T = Record<string, unknown>>(reply: { readonly body: string }): T {
  return JSON.parse(reply.body) as T;
}
