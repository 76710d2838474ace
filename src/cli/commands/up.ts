import { createResolver, type Mapping } from '../../backends/resolver.js';
import { formatTarget, type BackendResolver } from '../../backends/types.js';
import { hasErrors, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { formatDiagnostic, formatSummary } from '../../diagnostics/format.js';
import { createEventBus } from '../../events/bus.js';
import type { RequestCompleted } from '../../events/types.js';
import { parseDuration } from '../../manifest/config.js';
import type { Route, RouteTable, ServiceBackend } from '../../model/types.js';
import { startProxy, type RunningProxy } from '../../proxy/server.js';
import { UsageError, type CommandSpec, type ParsedArgs } from '../args.js';
import { buildMappings, loadConfig } from '../config.js';
import { formatBackend } from '../describe.js';
import { useColor, writeLine, type CliIO } from '../io.js';
import { compileProject, displayPath, formatProjectDiagnostic, resolveProjectDir } from '../project.js';

export const upCommand: CommandSpec = {
  name: 'up',
  summary: 'Route real HTTP traffic by the Ingress rules to Services mapped to local ports.',
  usage: 'ingress-dev up [dir] [--port 8080] [--host 127.0.0.1] [--map SERVICE[:PORT]=TARGET]... [--config F] [--no-ui]',
  positionals: { min: 0, max: 1 },
  details: [
    'TARGET is 3000, host:port, http://host:port, https://host:port (self-signed allowed) or echo.',
    'Requests reach a host three ways: curl -H "Host: app.example.com" http://127.0.0.1:8080/,',
    'http://app.example.com.localhost:8080/ in a browser, or curl -x http://127.0.0.1:8080 http://app.example.com/.',
    'Stop with Ctrl-C (exit 130) or SIGTERM (exit 143); in-flight requests get up to 10 s to finish.',
  ].join('\n'),
  options: [
    { name: 'port', short: 'p', type: 'string', value: 'PORT', description: 'port to listen on (default 8080; 0 picks a free one)' },
    { name: 'host', type: 'string', value: 'ADDR', description: 'address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)' },
    { name: 'map', short: 'm', type: 'list', value: 'SVC[:PORT]=TARGET', description: 'map a Service (port) to a target, repeatable; overrides the config file' },
    { name: 'config', short: 'c', type: 'string', value: 'F', description: 'config file (default: ingress-dev.yaml in the folder, when present)' },
    { name: 'echo-unmapped', type: 'boolean', description: 'answer every unmapped Service with the built-in echo' },
    { name: 'connect-timeout', type: 'string', value: 'DURATION', description: 'upstream connect timeout (default 5s)' },
    { name: 'read-timeout', type: 'string', value: 'DURATION', description: 'upstream read timeout between two reads (default 60s)' },
    { name: 'send-timeout', type: 'string', value: 'DURATION', description: 'upstream send timeout between two writes (default 60s)' },
    { name: 'no-ui', type: 'boolean', description: 'plain log lines instead of the terminal UI (accepted now; the UI is not built yet, so every run logs lines)' },
  ],
};

type Signal = 'SIGINT' | 'SIGTERM';

export async function runUp(args: ParsedArgs, io: CliIO): Promise<number> {
  const dir = await resolveProjectDir(io.cwd, args.positionals[0]);
  const color = useColor(io, io.stdout, args.flags);
  const loaded = await loadConfig(dir, io.cwd, args.flags.config as string | undefined);
  const config = loaded.config;
  const { mappings, diagnostics: mappingDiagnostics } = buildMappings((args.flags.map as string[] | undefined) ?? [], config);
  const configProblems: Diagnostic[] = [...loaded.diagnostics, ...mappingDiagnostics];
  for (const d of configProblems) writeLine(io.stderr, formatDiagnostic(d, { source: loaded.text ?? undefined, color }));
  if (hasErrors(configProblems)) {
    writeLine(io.stderr, `ingress-dev up: fix ${loaded.file ?? 'the config file'} first (nothing was started)`);
    return 1;
  }
  const port = parsePort(args.flags.port as string | undefined, config?.listen.http);
  const host = (args.flags.host as string | undefined) ?? config?.listen.host ?? '127.0.0.1';
  const timeouts = {
    connectTimeoutMs: duration(args.flags['connect-timeout'], '--connect-timeout') ?? config?.timeouts.connectMs ?? 5_000,
    readTimeoutMs: duration(args.flags['read-timeout'], '--read-timeout') ?? config?.timeouts.readMs ?? 60_000,
    sendTimeoutMs: duration(args.flags['send-timeout'], '--send-timeout') ?? config?.timeouts.sendMs ?? 60_000,
  };
  const unmapped = args.flags['echo-unmapped'] === true || config?.unmapped === 'echo' ? 'echo' : 'unavailable';

  const project = await compileProject(dir);
  printDiagnostics(io, project, color);
  const resolver = createResolver({ mappings, services: project.load.resources.services, unmapped });
  warnUnusedMappings(io, mappings, project.load.resources.services.map((s) => s.metadata.name));
  const table = project.table;

  const events = createEventBus();
  events.on('request-completed', (e) => writeLine(io.stdout, formatRequestLine(e, color)));
  let proxy: RunningProxy;
  try {
    proxy = await startProxy({ host, port, getTable: () => table, resolver, events, timeouts });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') {
      writeLine(io.stderr, `ingress-dev up: port ${port} on ${host} is in use; choose another with --port ${port === 8080 ? 8081 : port + 1} (or --port 0 for any free port)`);
      return 1;
    }
    if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
      writeLine(io.stderr, `ingress-dev up: cannot listen on ${host}:${port} (${err.code}); choose another --host or --port`);
      return 1;
    }
    throw e;
  }
  if (host === '0.0.0.0' || host === '::') {
    writeLine(io.stderr, `warning: listening on ${host}: the mapped services are now reachable from the network, not only from this machine`);
  }
  writeLine(io.stdout, formatStartup(proxy, table, resolver, color));

  const signal = await waitForSignal(io);
  writeLine(io.stdout, `\n${signal === 'SIGINT' ? 'Interrupted' : 'Terminated'}: stopping (in-flight requests get up to 10 s)…`);
  await proxy.close(10_000);
  return signal === 'SIGINT' ? 130 : 143;
}

function parsePort(flag: string | undefined, fromConfig: number | undefined): number {
  if (flag === undefined) return fromConfig ?? 8080;
  const port = Number(flag);
  if (!/^\d+$/.test(flag) || port > 65535) throw new UsageError(`--port ${flag}: a port is a number from 0 to 65535`);
  return port;
}

function duration(flag: unknown, name: string): number | undefined {
  if (flag === undefined) return undefined;
  const ms = parseDuration(flag);
  if (ms === null) throw new UsageError(`${name} ${String(flag)}: write a duration such as 5s, 500ms or 1m`);
  return ms;
}

function waitForSignal(io: CliIO): Promise<Signal> {
  if (io.onSignal !== undefined) {
    const subscribe = io.onSignal;
    return new Promise((resolve) => {
      const off = subscribe((s) => {
        off();
        resolve(s);
      });
    });
  }
  return new Promise((resolve) => {
    const handler = (s: Signal) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      resolve(s);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

function printDiagnostics(io: CliIO, project: Awaited<ReturnType<typeof compileProject>>, color: boolean): void {
  const shown = project.diagnostics.filter((d) => d.severity !== 'info');
  for (const d of shown) {
    // Errors with their code frame; warnings as head line and hint, to keep the start short.
    writeLine(io.stderr, d.severity === 'error'
      ? formatProjectDiagnostic(project, io.cwd, d, color)
      : formatDiagnostic({ ...d, file: displayPath(project, io.cwd, d.file) }, { color }));
  }
  if (shown.length > 0) writeLine(io.stderr, `${formatSummary(project.diagnostics)} in the manifests (ingress-dev check for details)\n`);
}

function warnUnusedMappings(io: CliIO, mappings: readonly Mapping[], services: readonly string[]): void {
  for (const m of mappings) {
    if (!services.includes(m.selector.service)) {
      writeLine(io.stderr, `warning: ${m.via}: no Service "${m.selector.service}" in the folder; this mapping is not used`);
    }
  }
}

/** The listening URL, each host's routes with a request to try, and the Services with no endpoint. */
export function formatStartup(proxy: { url: string; port: number; host: string }, table: RouteTable, resolver: BackendResolver, color: boolean): string {
  const bold = (s: string) => (color ? `\u001b[1m${s}\u001b[0m` : s);
  const dim = (s: string) => (color ? `\u001b[2m${s}\u001b[0m` : s);
  const loopback = proxy.host === '0.0.0.0' || proxy.host === '::' ? '127.0.0.1' : proxy.host;
  const base = `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${proxy.port}`;
  const lines = [`${bold('ingress-dev')} listening on ${bold(proxy.url)}`, ''];
  const byHost = new Map<string | null, Route[]>();
  for (const r of table.routes) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
  for (const [host, routes] of byHost) {
    lines.push(bold(host ?? '* (any other host)'));
    for (const r of routes) {
      const res = r.backend.kind === 'service' ? resolver.resolve(r.backend) : null;
      const target = res === null ? 'resource backend: 503' : res.kind === 'target' ? formatTarget(res.target) : 'unmapped: 503';
      lines.push(`  ${r.path.padEnd(20)} ${r.pathType.padEnd(22)} → ${formatBackend(r.backend).padEnd(24)} ${target}`);
    }
    const sample = routes.find((r) => r.path !== '/') ?? routes[0];
    const path = sample?.path ?? '/';
    const exampleHost = host === null ? null : host.startsWith('*.') ? `demo${host.slice(1)}` : host;
    if (exampleHost === null) {
      lines.push(dim(`  try: curl ${base}${path}`));
    } else {
      lines.push(dim(`  try: curl -H 'Host: ${exampleHost}' ${base}${path}`));
      lines.push(dim(`       curl -x ${base} http://${exampleHost}${path}`));
      lines.push(dim(`       http://${exampleHost}.localhost:${proxy.port}${path}  (in a browser)`));
    }
    lines.push('');
  }
  const d = table.defaultBackend;
  if (d !== null) {
    const res = d.backend.kind === 'service' ? resolver.resolve(d.backend) : null;
    lines.push(`${bold('default backend')} → ${formatBackend(d.backend)} ${res?.kind === 'target' ? formatTarget(res.target) : 'unmapped: 503'}`, '');
  }
  const unmapped = unmappedBackends(table, resolver);
  if (unmapped.length > 0) {
    lines.push(bold(`Unmapped Services (requests to them get 503):`));
    for (const b of unmapped) lines.push(`  ${formatBackend(b).padEnd(28)} --map ${b.namespace === 'default' ? '' : `${b.namespace}/`}${b.service}=PORT`);
    lines.push(dim('  or --echo-unmapped to answer them with the built-in echo'), '');
  }
  if (table.routes.length === 0 && d === null) lines.push('No routes: every request gets 404. Add an Ingress to the folder.', '');
  lines.push(dim('Logging one line per request. Ctrl-C to stop.'));
  return lines.join('\n');
}

function unmappedBackends(table: RouteTable, resolver: BackendResolver): ServiceBackend[] {
  const seen = new Map<string, ServiceBackend>();
  const all = [...table.routes.map((r) => r.backend), ...(table.defaultBackend === null ? [] : [table.defaultBackend.backend])];
  for (const b of all) {
    if (b.kind !== 'service') continue;
    const key = `${b.namespace}/${b.service}:${b.port ?? b.portName}`;
    if (!seen.has(key) && resolver.resolve(b).kind === 'unavailable') seen.set(key, b);
  }
  return [...seen.values()];
}

/** One line per request: time, method, host+path, status, duration, route, target. */
export function formatRequestLine(e: RequestCompleted, color: boolean): string {
  const time = new Date(e.startedAt).toISOString().slice(11, 23);
  const statusColor = e.status >= 500 ? '31' : e.status >= 400 ? '33' : e.status >= 300 ? '36' : '32';
  const status = color ? `\u001b[${statusColor}m${e.status}\u001b[0m` : String(e.status);
  const where = `${e.host}${e.path}`;
  const route = e.routeId ?? 'no route';
  const target = e.target === null ? '' : ` → ${e.target}`;
  const error = e.error === null ? '' : `  (${e.error})`;
  return `${time} ${e.method} ${where} ${status} ${Math.round(e.durationMs)}ms ${route}${target}${e.upgrade ? ' [upgrade]' : ''}${error}`;
}
