import { inputOptions } from '../inputs.js';
import { explainRequest } from '../../routing/match.js';
import { formatFilter, formatMatch } from '../../model/gateway/format.js';
import type { Explanation } from '../../routing/types.js';
import { isIP } from 'node:net';
import { UsageError, type CommandSpec, type ParsedArgs } from '../args.js';
import { backendJson, formatBackend } from '../describe.js';
import { painter, useColor, writeLine, type CliIO } from '../io.js';
import { findCa } from '../../tls/ca.js';
import { serverNameOf, servedFor } from '../../tls/certificates.js';
import { displayPath, resolveProjectDir, type CompiledProject, compileForCommand } from '../project.js';
import { parseRequestTarget } from '../request.js';
import { lookupDocker } from '../docker-view.js';

export const explainCommand: CommandSpec = {
  name: 'explain',
  summary: 'Show which route a request would take and why, without starting anything.',
  usage: "ingress-dev explain <url-or-path> [dir] [-f FILE]... [-k DIR] [--helm CHART] [-X METHOD] [-H 'Name: value']... [--client-ip IP] [--json] [--profile P]",
  positionals: { min: 1, max: 2 },
  details: [
    '<url-or-path> is a full URL (http://app.example.com/api?x=1), host/path, or a path (/api).',
    'A Host header given with -H wins over the URL host. Status 200 means the request is',
    'forwarded to the backend, 404 that nothing matched, 503 that the backend is missing;',
    'ingress-nginx (profile nginx) also answers redirects (301, 302, 308), 400 for a path it refuses,',
    'CORS preflights (204), basic auth (401) and source ranges (403); --client-ip sets the address checked.',
  ].join('\n'),
  options: [
    ...inputOptions,
    { name: 'request', short: 'X', type: 'string', value: 'METHOD', description: 'request method (default GET)' },
    { name: 'header', short: 'H', type: 'list', value: "'Name: value'", description: 'request header, repeatable' },
    { name: 'client-ip', type: 'string', value: 'IP', description: "the client's address, for ingress-nginx's source ranges (default 127.0.0.1)" },
    { name: 'json', type: 'boolean', description: 'print the explanation as JSON' },
    { name: 'no-docker', type: 'boolean', description: 'do not ask a running Docker engine which containers the Service selects' },
    { name: 'profile', type: 'string', value: 'auto|spec|nginx', description: 'route every Ingress as ingress-nginx does (nginx) or by the specification (spec); default auto: each by its class' },
    { name: 'implicit-gateway', type: 'boolean', description: 'serve HTTPRoutes whose Gateway is not in the folder on an implicit Gateway (HTTP and HTTPS, any host); also implicitGateway: true in ingress-dev.yaml' },
  ],
};

export async function runExplain(args: ParsedArgs, io: CliIO): Promise<number> {
  const request = parseRequestTarget(args.positionals[0] ?? '/', (args.flags.header as string[] | undefined) ?? [],
    (args.flags.request as string | undefined) ?? 'GET');
  const clientIp = args.flags['client-ip'];
  if (clientIp !== undefined && (typeof clientIp !== 'string' || isIP(clientIp) === 0)) throw new UsageError(`--client-ip ${String(clientIp)}: write an IPv4 or IPv6 address such as 10.0.0.7`);
  const dir = await resolveProjectDir(io.cwd, args.positionals[1]);
  const project = await compileForCommand(args, io, dir);
  const result = explainRequest(project.table, { ...request, ...(clientIp === undefined ? {} : { clientAddress: clientIp }) });
  const docker = result.backend === null ? null : ((await lookupDocker(project, io.env, args.flags['no-docker'] === true))?.describe(result.backend) ?? null);
  const certificate = request.scheme === 'https' ? await certificateOf(project, io, result.host) : null;
  if (args.flags.json === true) {
    const json = explanationJson(request.url, request.method ?? 'GET', result) as Record<string, unknown>;
    writeLine(io.stdout, JSON.stringify({ ...json, certificate, docker }, null, 2));
  } else {
    const text = formatExplanation(project, io, request.url, request.method ?? 'GET', result, useColor(io, io.stdout, args.flags), docker);
    const [first, ...rest] = text.split('\n');
    // Right under the answer: the certificate `up` serves for the host over HTTPS.
    writeLine(io.stdout, certificate === null ? text : [first, ...rest.slice(0, 1), `  tls       certificate ${certificate.text}`, ...rest.slice(1)].join('\n'));
  }
  return 0;
}

/** Which certificate `up` would serve for an https:// request's host, and from where (nothing is created). */
async function certificateOf(project: CompiledProject, io: CliIO, host: string): Promise<{ readonly kind: 'secret' | 'local-ca'; readonly source: string; readonly text: string }> {
  const name = serverNameOf(host);
  const secret = servedFor(project.certificates, name);
  if (secret !== null) return { kind: 'secret', source: secret.cert.source, text: `${secret.cert.source}${secret.key === name ? '' : ` (its wildcard ${secret.key})`}, served as it is` };
  const ca = await findCa(io.env);
  const source = ca === null ? 'the local CA (made at the first up or ingress-dev trust)' : `the local CA (${ca.source === 'mkcert' ? "mkcert's, " : ''}${ca.certFile})`;
  return { kind: 'local-ca', source, text: `issued for ${name} by ${source}` };
}

export function explanationJson(url: string, method: string, e: Explanation): unknown {
  const r = e.route;
  const d = e.defaultBackend;
  return {
    request: { method, url, host: e.host },
    status: e.status,
    route: r === null ? null : {
      id: r.id, host: r.host, path: r.path, pathType: r.pathType, matchAs: r.matchAs, ingress: r.ingress,
      source: { file: r.source.file, line: r.source.line, col: r.source.col },
    },
    defaultBackend: d === null ? null : { id: d.id, source: { file: d.source.file, line: d.source.line, col: d.source.col } },
    hostMatch: e.hostMatch,
    backend: backendJson(e.backend),
    upstreamPath: e.upstreamPath,
    profile: e.profile,
    redirect: e.redirect,
    nginx: e.nginx === null ? null : e.nginx.kind === 'bad-request'
      ? { decision: 'bad-request', why: e.nginx.why }
      : {
          decision: e.nginx.kind,
          uri: e.nginx.uri,
          location: e.nginx.location.directive,
          rewrite: e.nginx.kind === 'location' ? e.nginx.rewrite : null,
        },
    reply: e.reply ?? null,
    responseHeaders: e.responseHeaders ?? [],
    steps: e.steps ?? [],
    candidates: e.candidates,
    notes: e.notes,
    gateway: e.gateway === undefined ? null : {
      listener: e.gateway.entry?.listener ?? e.gateway.group.listeners[0] ?? null,
      listenerHostname: e.gateway.group.hostname,
      route: e.gateway.entry === null ? null : {
        id: `${e.gateway.entry.rule.id}.m${e.gateway.entry.match.index}`,
        httpRoute: `${e.gateway.entry.rule.route.namespace}/${e.gateway.entry.rule.route.name}`,
        rule: e.gateway.entry.rule.index,
        hostname: e.gateway.entry.hostname,
        match: formatMatch(e.gateway.entry.match),
        filters: e.gateway.entry.rule.filters.map(formatFilter),
        source: e.gateway.entry.match.source,
      },
      backendRef: e.gateway.backendRef,
      outcome: e.gateway.outcome.kind,
      why: e.gateway.outcome.kind === 'fail' ? e.gateway.outcome.why : null,
      upstreamHost: e.upstreamHost ?? null,
      requestEdits: e.gateway.outcome.kind === 'forward' ? e.gateway.outcome.requestEdits : [],
      responseEdits: e.gateway.outcome.kind === 'forward' || e.gateway.outcome.kind === 'redirect' ? e.gateway.outcome.responseEdits : [],
    },
  };
}

function formatExplanation(project: CompiledProject, io: CliIO, url: string, method: string, e: Explanation, color: boolean, docker: string | null): string {
  const paint = painter(color);
  const where = (s: { file: string; line: number; col: number }) => `${displayPath(project, io.cwd, s.file)}:${s.line}:${s.col}`;
  const statusText = paint(e.status === 200 ? '32' : e.status === 404 ? '33' : '31', String(e.status));
  const lines = [`${paint('1', `${method} ${url}`)}`];
  const nginx = e.nginx;
  const gw = e.gateway;
  if (gw !== undefined) {
    const entry = gw.entry;
    const at = entry === null ? '' : `  ${paint('2', where(entry.match.source))}`;
    const id = entry === null ? '' : `${entry.rule.id}.m${entry.match.index}`;
    switch (gw.outcome.kind) {
      case 'forward':
        lines.push(`  ${statusText} → ${formatBackend(e.backend)} via ${paint('1', id)}${at}`);
        break;
      case 'redirect':
        lines.push(`  ${paint('36', String(gw.outcome.status))} → ${gw.outcome.location}  (RequestRedirect) ${paint('2', id)}${at}`);
        break;
      case 'fail':
        lines.push(`  ${paint('31', '500')} the rule cannot be applied: ${gw.outcome.why} ${paint('2', id)}${at}`);
        break;
      case 'no-match':
        lines.push(`  ${statusText} no route match of the listener takes the request (the Gateway API answers 404)`);
        break;
    }
    const listener = entry?.listener ?? gw.group.listeners[0];
    if (listener !== undefined) lines.push(`  listener  ${listener.name} of Gateway ${listener.gateway.namespace}/${listener.gateway.name} (${listener.protocol}, ${gw.group.hostname ?? 'any host'})`);
    if (entry !== null) {
      lines.push(`  route     HTTPRoute ${entry.rule.route.namespace}/${entry.rule.route.name} rule ${entry.rule.index}${entry.rule.name === null ? '' : ` (${entry.rule.name})`}, hostname ${entry.hostname ?? 'any'}`);
      lines.push(`  match     ${formatMatch(entry.match)}`);
      for (const f of entry.rule.filters) lines.push(`  filter    ${formatFilter(f)}`);
    }
    if (gw.outcome.kind === 'forward') {
      if (e.upstreamHost !== undefined && e.upstreamHost !== null) lines.push(`  host      the backend gets Host: ${e.upstreamHost}`);
      for (const edit of gw.outcome.requestEdits) {
        for (const [n, v] of edit.set) lines.push(`  request   set ${n}: ${v}`);
        for (const [n, v] of edit.add) lines.push(`  request   add ${n}: ${v}`);
        for (const n of edit.remove) lines.push(`  request   remove ${n}`);
      }
      for (const edit of gw.outcome.responseEdits) {
        for (const [n, v] of edit.set) lines.push(`  response  set ${n}: ${v}`);
        for (const [n, v] of edit.add) lines.push(`  response  add ${n}: ${v}`);
        for (const n of edit.remove) lines.push(`  response  remove ${n}`);
      }
    }
    if (e.backend !== null && e.backend.kind === 'service') lines.push(`  backend   ${formatBackend(e.backend)} in namespace ${e.backend.namespace}`);
    if (docker !== null && e.backend !== null) lines.push(`  docker    ${docker}`);
    if (e.upstreamPath !== null) lines.push(`  upstream  ${method} ${e.upstreamPath}`);
    for (const step of (e.steps ?? []).filter((st) => st.by === 'weight')) lines.push(`  weight    ${step.what}`);
    for (const note of e.notes) lines.push(`  note      ${note}`);
    lines.push(...lostLines('Matches that lost', e, paint));
    return lines.join('\n');
  }
  if (nginx?.kind === 'bad-request') {
    lines.push(`  ${statusText} nginx refuses the path before routing it: ${nginx.why}`);
  } else if (nginx?.kind === 'redirect') {
    lines.push(`  ${paint('36', '301')} → ${e.redirect?.location ?? nginx.to}  (nginx: ${nginx.location.directive} ends in /)${e.route === null ? '' : ` ${paint('2', `${e.route.id} ${where(e.route.source)}`)}`}`);
  } else if (e.reply !== undefined && e.reply !== null) {
    lines.push(`  ${paint(e.reply.status === 204 ? '36' : '31', String(e.reply.status))} answered by ingress-nginx (${e.reply.by}): ${e.reply.why}${e.route === null ? '' : ` ${paint('2', `${e.route.id} ${where(e.route.source)}`)}`}`);
  } else if (e.redirect !== null) {
    lines.push(`  ${paint('36', String(e.redirect.status))} → ${e.redirect.location}  (${e.redirect.by})${e.route === null ? '' : ` ${paint('2', `${e.route.id} ${where(e.route.source)}`)}`}`);
  } else if (e.route !== null) {
    lines.push(`  ${statusText} → ${formatBackend(e.backend)} via ${paint('1', e.route.id)}  ${paint('2', where(e.route.source))}`);
    const hostText = e.hostMatch.kind === 'any'
      ? `"${e.host}" matched no host rule, so host-less rules apply`
      : `"${e.host}" matched ${e.hostMatch.kind} host rule ${e.hostMatch.host ?? ''}`;
    lines.push(`  host      ${hostText}`);
    lines.push(`  path      ${e.route.pathType}${e.route.pathType === 'ImplementationSpecific' && e.profile === 'spec' ? ` (as ${e.route.matchAs})` : ''} ${e.route.path}`);
  } else if (e.defaultBackend !== null) {
    lines.push(`  ${statusText} → ${formatBackend(e.backend)} via the default backend ${paint('1', e.defaultBackend.id)}  ${paint('2', where(e.defaultBackend.source))}`);
    lines.push(`  why       ${noRouteReason(e)}`);
  } else {
    lines.push(`  ${statusText} no route: ${noRouteReason(e)}, and no Ingress has a defaultBackend`);
  }
  if (nginx?.kind === 'location') lines.push(`  location  ${nginx.location.directive}${nginx.location.note === null ? '' : ` (${nginx.location.note})`}`);
  if (e.backend !== null) {
    lines.push(`  backend   ${formatBackend(e.backend)}${e.backend.kind === 'service' ? ` in namespace ${e.backend.namespace}` : ''}`);
    if (e.backend.problem !== null) lines.push(`  problem   ${paint('31', e.backend.problem)}: the request would get 503`);
    if (docker !== null) lines.push(`  docker    ${docker}`);
  }
  if (e.upstreamPath !== null) lines.push(`  upstream  ${e.upstreamPath}`);
  for (const step of e.steps ?? []) lines.push(`  nginx     ${step.by}: ${step.what}`);
  for (const [name, value] of [...(e.reply?.headers ?? []), ...(e.responseHeaders ?? [])]) lines.push(`  response  ${name}: ${value}`);
  for (const note of e.notes) lines.push(`  note      ${note}`);
  lines.push(...lostLines('Candidates that lost', e, paint));
  return lines.join('\n');
}


/** The candidates that lost, at most 30, each with its reason. */
function lostLines(title: string, e: Explanation, paint: (code: string, s: string) => string): string[] {
  if (e.candidates.length === 0) return [];
  const shown = e.candidates.slice(0, 30);
  const width = Math.max(...shown.map((c) => c.id.length));
  const lines = ['', `  ${title} (${e.candidates.length}):`, ...shown.map((c) => `    ${c.id.padEnd(width)}  ${paint('2', `[${c.reason}]`)} ${c.detail}`)];
  if (e.candidates.length > shown.length) lines.push(`    … ${e.candidates.length - shown.length} more (use --json for all)`);
  return lines;
}

function noRouteReason(e: Explanation): string {
  const who = e.host === '' ? 'a request without Host' : `host "${e.host}"`;
  switch (e.hostMatch.kind) {
    case 'exact':
    case 'wildcard':
      return `${who} matched the ${e.hostMatch.kind} host rule ${e.hostMatch.host ?? ''}, but none of its paths matched`;
    case 'any':
      return `${who} matched no host rule, and none of the host-less paths matched`;
    case 'none':
      return `${who} matched no host rule, and there are no host-less rules`;
  }
}
