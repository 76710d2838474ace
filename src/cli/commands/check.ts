import { diagnosticJson, formatSummary } from '../../diagnostics/format.js';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { useColor, writeLine, type CliIO } from '../io.js';
import { formatAnnotationCounts, summarizeNginxAnnotations } from '../../model/nginx/summary.js';
import { compileProject, offlineProfileOption, formatProjectDiagnostic, resolveProjectDir } from '../project.js';

export const checkCommand: CommandSpec = {
  name: 'check',
  summary: 'Check the manifests in a folder and print every problem with file:line:col and a hint.',
  usage: 'ingress-dev check [dir] [--json] [--strict] [--profile P]',
  positionals: { min: 0, max: 1 },
  details: 'Exit status: 1 when there are errors (with --strict, also warnings), 0 otherwise.',
  options: [
    { name: 'json', type: 'boolean', description: 'print {"diagnostics": [...]} with files relative to the folder' },
    { name: 'strict', type: 'boolean', description: 'fail on warnings too' },
    { name: 'quiet', short: 'q', type: 'boolean', description: 'print errors and warnings only (no information)' },
    { name: 'profile', type: 'string', value: 'auto|spec|nginx', description: 'route every Ingress as ingress-nginx does (nginx) or by the specification (spec); default auto: each by its class' },
    { name: 'implicit-gateway', type: 'boolean', description: 'serve HTTPRoutes whose Gateway is not in the folder on an implicit Gateway (HTTP and HTTPS, any host); also implicitGateway: true in ingress-dev.yaml' },
  ],
};

export async function runCheck(args: ParsedArgs, io: CliIO): Promise<number> {
  const dir = await resolveProjectDir(io.cwd, args.positionals[0]);
  const project = await compileProject(dir, await offlineProfileOption(dir, io.cwd, args.flags.profile, args.flags['implicit-gateway']));
  const strict = args.flags.strict === true;
  const shown = project.diagnostics.filter((d) => args.flags.quiet !== true || d.severity !== 'info');
  const failed = project.diagnostics.some((d) => d.severity === 'error' || (strict && d.severity === 'warning'));
  const annotations = summarizeNginxAnnotations(project.load.resources.ingresses, project.table.ingressProfiles);
  if (args.flags.json === true) {
    writeLine(io.stdout, JSON.stringify({ diagnostics: shown.map(diagnosticJson), nginxAnnotations: annotations.ingresses === 0 ? null : annotations }, null, 2));
    return failed ? 1 : 0;
  }
  const color = useColor(io, io.stdout, args.flags);
  for (const d of shown) {
    writeLine(io.stdout, formatProjectDiagnostic(project, io.cwd, d, color));
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
  const gateway = r.gateways.length === 0 && r.httpRoutes.length === 0 ? ''
    : `, ${r.gateways.length} Gateway${r.gateways.length === 1 ? '' : 's'}, ${r.httpRoutes.length} HTTPRoute${r.httpRoutes.length === 1 ? '' : 's'} (${project.table.gateway?.rules.length ?? 0} rule${(project.table.gateway?.rules.length ?? 0) === 1 ? '' : 's'} attached)`;
  writeLine(io.stdout,
    `${failed ? '✗' : '✓'} ${files} manifest file${files === 1 ? '' : 's'}, ${r.ingresses.length} Ingress, ` +
    `${routes} route${routes === 1 ? '' : 's'}${gateway}: ${formatSummary(project.diagnostics)}` +
    (strict && !failed ? ' (strict)' : strict ? ' (strict: warnings fail)' : ''));
  return failed ? 1 : 0;
}
