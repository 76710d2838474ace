import type { HostRoutes, Route } from '../../model/types.js';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { inputOptions } from '../inputs.js';
import { backendJson, formatBackend } from '../describe.js';
import { painter, useColor, writeLine, type CliIO } from '../io.js';
import { displayPath, resolveProjectDir, type CompiledProject, compileForCommand } from '../project.js';
import { formatTable } from '../table.js';
import { lookupDocker, type DockerView } from '../docker-view.js';
import { entryId, entryListsOf, formatGroup, formatMatch, formatRuleBackends, groupsOf, ruleFilters } from '../../model/gateway/format.js';
import type { GatewayTable } from '../../model/gateway/types.js';

export const routesCommand: CommandSpec = {
  name: 'routes',
  summary: 'Print the compiled route table, grouped by host, in the order routes are matched.',
  usage: 'ingress-dev routes [dir] [-f FILE]... [-k DIR] [--helm CHART] [--json] [--profile P]',
  positionals: { min: 0, max: 1 },
  options: [
    ...inputOptions,
    { name: 'json', type: 'boolean', description: 'print the table as JSON' },
    { name: 'no-docker', type: 'boolean', description: 'do not ask a running Docker engine which containers each Service selects' },
    { name: 'profile', type: 'string', value: 'auto|spec|nginx', description: 'route every Ingress as ingress-nginx does (nginx) or by the specification (spec); default auto: each by its class' },
    { name: 'implicit-gateway', type: 'boolean', description: 'serve HTTPRoutes whose Gateway is not in the folder on an implicit Gateway (HTTP and HTTPS, any host); also implicitGateway: true in ingress-dev.yaml' },
  ],
};

export async function runRoutes(args: ParsedArgs, io: CliIO): Promise<number> {
  const dir = await resolveProjectDir(io.cwd, args.positionals[0]);
  const project = await compileForCommand(args, io, dir);
  const docker = await lookupDocker(project, io.env, args.flags['no-docker'] === true);
  const errors = project.diagnostics.filter((d) => d.severity === 'error').length;
  if (args.flags.json === true) {
    writeLine(io.stdout, JSON.stringify(routesJson(project, docker), null, 2));
  } else {
    writeLine(io.stdout, formatRoutes(project, io, useColor(io, io.stdout, args.flags), docker));
  }
  if (errors > 0) {
    io.stderr.write(`${errors} error${errors === 1 ? '' : 's'} in the manifests: invalid paths and hosts are left out, routes to missing Services answer 503; run "ingress-dev check" for details\n`);
  }
  return 0;
}

/** The compiled group of a host as the table holds it (its profile, and nginx's locations). */
function hostRoutesOf(project: CompiledProject, host: string | null): HostRoutes | null {
  const t = project.table;
  if (host === null) return t.anyHost;
  return (host.startsWith('*.') ? t.wildcardHosts.get(host.slice(2)) : t.exactHosts.get(host)) ?? null;
}

function groups(project: CompiledProject): { host: string | null; routes: Route[] }[] {
  const out: { host: string | null; routes: Route[] }[] = [];
  for (const route of project.table.routes) {
    const last = out.at(-1);
    if (last !== undefined && last.host === route.host) last.routes.push(route);
    else out.push({ host: route.host, routes: [route] });
  }
  return out;
}

function routesJson(project: CompiledProject, docker: DockerView | null): unknown {
  const route = (r: Route) => ({
    id: r.id,
    path: r.path,
    pathType: r.pathType,
    matchAs: r.matchAs,
    backend: backendJson(r.backend),
    ingress: r.ingress,
    source: { file: r.source.file, line: r.source.line, col: r.source.col },
    ...(docker === null ? {} : { docker: docker.describe(r.backend) }),
  });
  const d = project.table.defaultBackend;
  return {
    profile: project.table.profile,
    ingresses: [...project.table.ingressProfiles].map(([name, c]) => ({ ingress: name, profile: c.profile, why: c.why })),
    nginxConfigMap: project.table.nginxConfigMap === undefined || project.table.nginxConfigMap === null ? null : { name: project.table.nginxConfigMap.name, why: project.table.nginxConfigMap.why, source: project.table.nginxConfigMap.at },
    hosts: groups(project).map((g) => {
      const server = hostRoutesOf(project, g.host)?.nginx;
      return {
        host: g.host,
        kind: g.host === null ? 'any' : g.host.startsWith('*.') ? 'wildcard' : 'exact',
        profile: hostRoutesOf(project, g.host)?.profile ?? project.table.profile,
        routes: g.routes.map(route),
        ...(server === undefined ? {} : {
          nginx: {
            regex: server.regex,
            regexBecause: server.regexBecause,
            locations: server.locations.map((l) => ({ location: l.directive, route: l.route?.id ?? null, rewrite: l.rewrite?.target ?? null, note: l.note, canary: l.canary === undefined ? null : { ingress: l.canary.ingress, backend: backendJson(l.canary.backend), policy: l.canary.policy, affinity: l.canary.affinity?.upstream ?? null }, affinity: l.affinity ?? null })),
          },
        }),
      };
    }),
    defaultBackend: d === null ? null : { id: d.id, backend: backendJson(d.backend), source: { file: d.source.file, line: d.source.line, col: d.source.col } },
    gateway: gatewayJson(project.table.gateway ?? null),
  };
}

/** The Gateway API's listeners and the route matches each serves, in precedence order; null without Gateway API resources. */
function gatewayJson(gateway: GatewayTable | null): unknown {
  if (gateway === null) return null;
  const listeners = (scheme: 'http' | 'https') => groupsOf(scheme === 'http' ? gateway.http : gateway.https).map((g) => ({
    scheme,
    hostname: g.hostname,
    listeners: g.listeners.map((l) => ({ gateway: `${l.gateway.namespace}/${l.gateway.name}`, name: l.name, protocol: l.protocol, port: l.port, source: l.source })),
    routes: entryListsOf(g).flatMap(({ hostname, entries }) => entries.map((e) => ({
      id: entryId(e),
      hostname,
      match: { path: { type: e.match.path.type, value: e.match.path.value }, method: e.match.method, headers: e.match.headers.map(({ name, type, value }) => ({ name, type, value })), queryParams: e.match.queryParams.map(({ name, type, value }) => ({ name, type, value })) },
      filters: ruleFilters(e.rule),
      backendRefs: e.rule.backendRefs.map((b) => ({ backend: backendJson(b.backend), weight: b.weight, invalid: b.invalid })),
      fails: e.rule.fails,
      route: `${e.rule.route.namespace}/${e.rule.route.name}`,
      source: { file: e.match.source.file, line: e.match.source.line, col: e.match.source.col },
    }))),
  }));
  return { listeners: [...listeners('http'), ...listeners('https')], statuses: gateway.statuses };
}

/** `routes`' Gateway API section: per listener (scheme and hostname), the route matches in the order they are tried. */
function formatGatewayRoutes(gateway: GatewayTable, where: (file: string, line: number) => string, bold: (s: string) => string, dim: (s: string) => string, color: boolean): string[] {
  const lines: string[] = [];
  for (const scheme of ['http', 'https'] as const) {
    for (const group of groupsOf(scheme === 'http' ? gateway.http : gateway.https)) {
      lines.push(`${bold(`Gateway API ${formatGroup(group, scheme).split('  ')[0] ?? ''}`)}  ${dim(formatGroup(group, scheme).split('  ').slice(1).join('  '))}`);
      const rows = entryListsOf(group).flatMap(({ hostname, entries }) => entries.map((e) => [
        hostname ?? '*',
        formatMatch(e.match),
        formatRuleBackends(e.rule),
        ruleFilters(e.rule),
        entryId(e),
        where(e.match.source.file, e.match.source.line),
      ]));
      if (rows.length === 0) lines.push(`  ${dim('no route attached')}`);
      else lines.push(formatTable(['HOSTNAME', 'MATCH', 'BACKEND', 'FILTERS', 'ROUTE', 'SOURCE'], rows, { indent: 2, dim: color }));
      lines.push('');
    }
  }
  const refused = gateway.statuses.filter((s) => !s.accepted);
  if (refused.length > 0) {
    lines.push(bold('routes not attached'));
    for (const s of refused) lines.push(`  ${s.route.kind} ${s.route.namespace}/${s.route.name} → ${s.parent}: ${s.reason}  ${dim(`${s.message}; ${where(s.source.file, s.source.line)}`)}`);
    lines.push('');
  }
  return lines;
}

function formatRoutes(project: CompiledProject, io: CliIO, color: boolean, docker: DockerView | null): string {
  const paint = painter(color);
  const bold = (s: string) => paint('1', s);
  const dim = (s: string) => paint('2', s);
  const lines: string[] = [];
  const where = (file: string, line: number) => `${displayPath(project, io.cwd, file)}:${line}`;
  for (const g of groups(project)) {
    const server = hostRoutesOf(project, g.host)?.nginx;
    const heading = g.host === null ? '* (any host not matched by a host rule)' : g.host;
    if (server !== undefined) {
      // ingress-nginx's locations, in nginx.conf order: the order regexes are tried in.
      lines.push(`${bold(heading)}  ${dim(`profile nginx${server.regex ? `: every path is a regex (${server.regexBecause ?? ''})` : ''}`)}`);
      const rows = server.locations.map((l) => [
        l.directive,
        l.route === null ? 'root' : `${l.route.pathType === 'ImplementationSpecific' ? 'ImplSpecific' : l.route.pathType} ${l.route.path}`,
        l.route !== null ? formatBackend(l.route.backend) + (l.route.backend.problem !== null ? '  ✗ 503' : '') + (l.canary === undefined ? '' : `  (canary ${formatBackend(l.canary.backend)} of ${l.canary.ingress})`) + (l.affinity === undefined ? '' : `  (sticky: cookie ${l.affinity.config.cookieName}${l.affinity.setsCookie ? '' : ', not set here'})`) : server.rootBackend === null ? 'default backend (404)' : formatBackend(server.rootBackend.backend),
        l.rewrite === null ? '' : `→ ${l.rewrite.target}`,
        l.route?.id ?? server.rootBackend?.id ?? '',
        l.route === null ? '' : where(l.route.source.file, l.route.source.line),
      ]);
      lines.push(formatTable(['LOCATION', 'PATH', 'BACKEND', 'REWRITE', 'ROUTE', 'SOURCE'], rows, { indent: 2, dim: color }));
      lines.push('');
      continue;
    }
    lines.push(bold(heading));
    const rows = g.routes.map((r) => [
      r.path,
      r.pathType === 'ImplementationSpecific' ? `ImplSpecific (as ${r.matchAs})` : r.pathType,
      formatBackend(r.backend) + (r.backend.problem !== null ? '  ✗ 503' : ''),
      r.id,
      where(r.source.file, r.source.line),
    ]);
    lines.push(formatTable(['PATH', 'TYPE', 'BACKEND', 'ROUTE', 'SOURCE'], rows, { indent: 2, dim: color }));
    // Which containers a running Docker engine would serve each backend with (DESIGN.md, backends/).
    const seen = new Set<string>();
    for (const r of g.routes) {
      const text = docker?.describe(r.backend) ?? null;
      const key = `${formatBackend(r.backend)} ${text}`;
      if (text !== null && !seen.has(key)) lines.push(`  ${dim(`${formatBackend(r.backend)}: docker ${text}`)}`);
      seen.add(key);
    }
    lines.push('');
  }
  const gateway = project.table.gateway ?? null;
  if (gateway !== null) lines.push(...formatGatewayRoutes(gateway, where, bold, dim, color));
  const d = project.table.defaultBackend;
  if (d !== null) {
    lines.push(`${bold('default backend')}  ${formatBackend(d.backend)}${d.backend.problem !== null ? '  ✗ 503' : ''}  ${dim(`${d.id}  ${where(d.source.file, d.source.line)}`)}`);
  } else {
    lines.push(`${bold('default backend')}  none: requests that match no rule get 404`);
  }
  if (project.table.routes.length === 0 && d === null && (gateway === null || gateway.rules.length === 0)) lines.unshift('No routes.', '');
  // Which controller's behaviour routes each Ingress, when not all alike by the specification.
  const choices = [...project.table.ingressProfiles];
  if (choices.some(([, c]) => c.profile !== 'spec')) {
    lines.push('', bold('profiles'));
    for (const [name, c] of choices) lines.push(`  ${name}  ${c.profile}  ${dim(c.why)}`);
    const cm = project.table.nginxConfigMap;
    lines.push(cm === null || cm === undefined
      ? `  ${dim("controller ConfigMap: none in the folder (ingress-nginx's defaults, with nginx: of ingress-dev.yaml)")}`
      : `  controller ConfigMap ${cm.name}  ${dim(`${cm.why}; ${where(cm.at.file, cm.at.line)}`)}`);
  }
  return lines.join('\n');
}
