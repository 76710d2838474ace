import { inputOptions } from '../inputs.js';
import { diagnosticJson, formatSummary } from '../../diagnostics/format.js';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { useColor, writeLine, type CliIO } from '../io.js';
import { formatAnnotationCounts, summarizeNginxAnnotations } from '../../model/nginx/summary.js';
import { displayPath, formatProjectDiagnostic, resolveProjectDir, compileForCommand } from '../project.js';
import type { GatewayTable } from '../../model/gateway/types.js';
import type { SourcePosition } from '../../diagnostics/diagnostic.js';

export const checkCommand: CommandSpec = {
  name: 'check',
  summary: 'Check the manifests in a folder and print every problem with file:line:col and a hint.',
  usage: 'ingress-dev check [dir] [-f FILE]... [-k DIR] [--helm CHART] [--json] [--strict] [--profile P]',
  positionals: { min: 0, max: 1 },
  details: 'Exit status: 1 when there are errors (with --strict, also warnings), 0 otherwise.',
  options: [
    ...inputOptions,
    { name: 'json', type: 'boolean', description: 'print {"diagnostics": [...]} with files relative to the folder' },
    { name: 'strict', type: 'boolean', description: 'fail on warnings too' },
    { name: 'quiet', short: 'q', type: 'boolean', description: 'print errors and warnings only (no information)' },
    { name: 'profile', type: 'string', value: 'auto|spec|nginx', description: 'route every Ingress as ingress-nginx does (nginx) or by the specification (spec); default auto: each by its class' },
    { name: 'implicit-gateway', type: 'boolean', description: 'serve HTTPRoutes whose Gateway is not in the folder on an implicit Gateway (HTTP and HTTPS, any host); also implicitGateway: true in ingress-dev.yaml' },
  ],
};

export async function runCheck(args: ParsedArgs, io: CliIO): Promise<number> {
  const dir = await resolveProjectDir(io.cwd, args.positionals[0]);
  const project = await compileForCommand(args, io, dir);
  const strict = args.flags.strict === true;
  const shown = project.diagnostics.filter((d) => args.flags.quiet !== true || d.severity !== 'info');
  const failed = project.diagnostics.some((d) => d.severity === 'error' || (strict && d.severity === 'warning'));
  const annotations = summarizeNginxAnnotations(project.load.resources.ingresses, project.table.ingressProfiles);
  const gateway = project.table.gateway ?? null;
  if (args.flags.json === true) {
    writeLine(io.stdout, JSON.stringify({ diagnostics: shown.map(diagnosticJson), nginxAnnotations: annotations.ingresses === 0 ? null : annotations, gatewayApi: gateway === null ? null : gatewayStatusJson(gateway) }, null, 2));
    return failed ? 1 : 0;
  }
  const color = useColor(io, io.stdout, args.flags);
  for (const d of shown) {
    writeLine(io.stdout, formatProjectDiagnostic(project, io.cwd, d, color));
    writeLine(io.stdout);
  }
  if (gateway !== null && args.flags.quiet !== true) {
    for (const line of formatGatewayStatus(gateway, (at) => `${displayPath(project, io.cwd, at.file)}:${at.line}:${at.col}`)) writeLine(io.stdout, line);
    writeLine(io.stdout);
  }
  const rows = ([['emulated', annotations.emulated], ['not emulated', annotations.notEmulated], ['refused', annotations.refused], ['unknown', annotations.unknown]] as const)
    .filter(([, counts]) => Object.keys(counts).length > 0);
  if (rows.length > 0) {
    // What a migration needs at a glance: which annotations behave locally as in the cluster, and which do not.
    const n = annotations.ingresses;
    writeLine(io.stdout, `ingress-nginx annotations on the ${n} Ingress${n === 1 ? '' : 'es'} of the nginx profile (× how many carry one):`);
    for (const [label, counts] of rows) {
      const note = label === 'not emulated' ? '  (W_ANNOTATION_NOT_EMULATED above says what the cluster does)' : label === 'refused' ? '  (the Ingress is not served: E_ANNOTATION_RISK)' : label === 'unknown' ? '  (not ingress-nginx annotations: W_UNKNOWN_ANNOTATION)' : '';
      writeLine(io.stdout, `  ${label.padEnd(12)}  ${formatAnnotationCounts(counts)}${note}`);
    }
    writeLine(io.stdout);
  }
  const files = project.load.files.length;
  const routes = project.table.routes.length;
  const r = project.load.resources;
  // The Gateway API's resources, when the folder has any: Gateways and the HTTPRoute rules that serve.
  const gatewayCounts = r.gateways.length === 0 && r.httpRoutes.length === 0 ? ''
    : `, ${r.gateways.length} Gateway${r.gateways.length === 1 ? '' : 's'}, ${r.httpRoutes.length} HTTPRoute${r.httpRoutes.length === 1 ? '' : 's'} (${project.table.gateway?.rules.length ?? 0} rule${(project.table.gateway?.rules.length ?? 0) === 1 ? '' : 's'} attached)`;
  writeLine(io.stdout,
    `${failed ? '✗' : '✓'} ${files} manifest file${files === 1 ? '' : 's'}, ${r.ingresses.length} Ingress, ` +
    `${routes} route${routes === 1 ? '' : 's'}${gatewayCounts}: ${formatSummary(project.diagnostics)}` +
    (strict && !failed ? ' (strict)' : strict ? ' (strict: warnings fail)' : ''));
  return failed ? 1 : 0;
}

/**
 * The status a Gateway API controller would write, for every Gateway, listener and route:
 * listeners Accepted (with the routes attached) or why not; each parentRef of a route Accepted
 * True or False with its reason; ResolvedRefs True, or False with the reason of the first
 * backendRef that cannot be resolved.
 */
function formatGatewayStatus(gateway: GatewayTable, where: (at: SourcePosition) => string): string[] {
  const lines = ['Gateway API status (as a controller would write it):'];
  for (const g of gateway.gateways) {
    lines.push(`  Gateway ${g.gateway.namespace}/${g.gateway.name}  ${where(g.source)}`);
    for (const l of g.listeners) {
      const attached = l.served ? `, ${l.attachedRoutes} route${l.attachedRoutes === 1 ? '' : 's'} attached` : '';
      lines.push(`    listener ${l.name}: ${l.protocol} ${l.port} ${l.hostname ?? 'any host'}: ${l.served ? 'Accepted' : l.reason}${attached}`);
    }
  }
  for (const r of gateway.refs) {
    const parents = gateway.statuses.filter((s) => s.route.namespace === r.route.namespace && s.route.name === r.route.name);
    lines.push(`  HTTPRoute ${r.route.namespace}/${r.route.name}  ${where(r.source)}`);
    for (const p of parents) lines.push(`    parent ${p.parent}: Accepted ${p.accepted ? 'True' : `False (${p.reason})`}`);
    if (parents.length === 0) lines.push('    no parentRefs: attached nowhere');
    lines.push(`    ResolvedRefs ${r.resolved ? 'True' : `False (${r.reason})`}`);
  }
  return lines;
}

function gatewayStatusJson(gateway: GatewayTable): unknown {
  return {
    gateways: gateway.gateways.map((g) => ({ gateway: `${g.gateway.namespace}/${g.gateway.name}`, source: g.source, listeners: g.listeners })),
    routes: gateway.refs.map((r) => ({
      route: `${r.route.namespace}/${r.route.name}`,
      kind: r.route.kind,
      source: r.source,
      parents: gateway.statuses.filter((s) => s.route.namespace === r.route.namespace && s.route.name === r.route.name).map((p) => ({ parent: p.parent, accepted: p.accepted, reason: p.reason, message: p.message })),
      resolvedRefs: { status: r.resolved, reason: r.reason },
    })),
  };
}
