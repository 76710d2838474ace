import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInputLoader, type ManifestInput } from '../../manifest/load.js';
import { parseRouteTests } from '../../manifest/route-tests.js';
import type { ResourceSet } from '../../manifest/types.js';
import type { RouteTable } from '../../model/types.js';
import { compareTables, groupDifferences, probeRequests, type Outcome, type Probe } from '../../routing/compare.js';
import { UsageError, type CommandSpec, type ParsedArgs } from '../args.js';
import { painter, useColor, writeLine, type CliIO } from '../io.js';
import { compileProject, displayPath, formatProjectDiagnostic, profileOptionOf, type CompiledProject } from '../project.js';
import { parseRequestTarget } from '../request.js';

export const diffCommand: CommandSpec = {
  name: 'diff',
  summary: 'Show every request that two sets of manifests route differently (a migration, a profile change), offline; exit 1 on any difference.',
  usage: 'ingress-dev diff OLD NEW [--old-profile P] [--new-profile P] [--tests F]... [--map-service OLD=NEW]... [--ignore KIND]... [--json]',
  positionals: { min: 2, max: 2 },
  details: [
    'OLD and NEW are each a folder, a YAML file, kustomize:DIR (a kustomization\'s render) or helm:CHART (helm template).',
    'The requests compared come from both route tables: every host (a sample host of each wildcard, one',
    'and two labels deep, and a host no rule names) and path, with the boundaries where controllers',
    'disagree: the trailing slash either way, one element deeper, a sibling sharing the prefix (/foo, /foobar),',
    'other letter case, // and .. forms, each regex\'s sample and a near miss, the header, query and method',
    'matches, canary headers and cookies, https://. Plus every request of --tests files. Each is routed on',
    'both sides; a difference is another status, redirect Location, backend, path or Host sent upstream, or',
    'header the routing adds. Differences are grouped by cause, with one example each.',
    '',
    '  ingress-dev diff k8s/ gateway/                        # nginx Ingresses against converted HTTPRoutes',
    '  ingress-dev diff k8s/ k8s/ --old-profile nginx --new-profile spec',
  ].join('\n'),
  options: [
    { name: 'old-profile', type: 'string', value: 'auto|spec|nginx', description: 'how OLD\'s Ingresses are routed (default auto: each by its class)' },
    { name: 'new-profile', type: 'string', value: 'auto|spec|nginx', description: 'how NEW\'s Ingresses are routed (default auto: each by its class)' },
    { name: 'tests', type: 'list', value: 'F', description: 'a route test file whose requests are compared too (repeatable)' },
    { name: 'map-service', type: 'list', value: 'OLD=NEW', description: 'a Service renamed in NEW ([NAMESPACE/]NAME on each side; repeatable)' },
    { name: 'ignore', type: 'list', value: 'KIND', description: 'leave out a kind of request once its difference is understood: slashes, dots, case, trailing-slash, deeper, sibling, https, wildcard (repeatable)' },
    { name: 'implicit-gateway', type: 'boolean', description: 'serve HTTPRoutes without their Gateway on an implicit one, on both sides' },
    { name: 'json', type: 'boolean', description: 'print {requests, differences, groups, unsupported} as JSON' },
  ],
};

interface Side {
  readonly label: string;
  readonly dir: string;
  readonly project: CompiledProject;
}

export async function runDiff(args: ParsedArgs, io: CliIO): Promise<number> {
  const [oldArg, newArg] = args.positionals as [string, string];
  const renames = new Map<string, string>();
  for (const m of (args.flags['map-service'] as string[] | undefined) ?? []) {
    const [from, to] = m.split('=');
    if (from === undefined || to === undefined || from === '' || to === '') throw new UsageError(`--map-service ${m}: write OLD=NEW, e.g. --map-service api=api-v2`);
    renames.set(from.includes('/') ? from : `default/${from}`, to.includes('/') ? to : `default/${to}`);
  }
  const oldSide = await loadSide(io, oldArg, args.flags['old-profile'], args.flags['implicit-gateway'], '--old-profile');
  const newSide = await loadSide(io, newArg, args.flags['new-profile'], args.flags['implicit-gateway'], '--new-profile');
  // A side that could not be read (a render that failed, a file that cannot be read) cannot be
  // compared: say why and stop. Other errors are said, and the comparison goes on with what compiled.
  for (const [name, side] of [['OLD', oldSide], ['NEW', newSide]] as const) {
    const errors = side.project.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length === 0) continue;
    writeLine(io.stderr, `${name} (${side.label}) has ${errors.length} error${errors.length === 1 ? '' : 's'}; what they concern is left out of the comparison:`);
    for (const d of errors.slice(0, 5)) writeLine(io.stderr, formatProjectDiagnostic(side.project, io.cwd, d, useColor(io, io.stderr, args.flags)));
    if (errors.some((d) => d.code === 'E_RENDER_FAILED' || d.code === 'E_FILE_READ')) {
      writeLine(io.stderr, `ingress-dev diff: ${name} could not be read; nothing was compared`);
      return 2;
    }
  }
  const extra: Probe[] = [];
  for (const file of (args.flags.tests as string[] | undefined) ?? []) {
    const text = await readFile(path.resolve(io.cwd, file), 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`--tests ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
    const parsed = parseRouteTests(text, file);
    if (parsed.diagnostics.length > 0) throw new UsageError(`--tests ${file}: ${parsed.diagnostics[0]?.message ?? 'not a route test file'} (ingress-dev test --tests ${file} says more)`);
    for (const t of parsed.tests) {
      const r = parseRequestTarget(t.url, Object.entries(t.headers).map(([k, v]) => `${k}: ${v}`), t.method);
      extra.push({ kind: 'test', method: r.method ?? 'GET', scheme: r.scheme ?? 'http', host: r.host, path: r.path, headers: Object.fromEntries(Object.entries(r.headers ?? {}).filter(([k]) => k !== 'host').map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])), name: t.name });
    }
  }
  const probes = probeRequests([oldSide.project.table, newSide.project.table], extra);
  const ignored = new Set((args.flags.ignore as string[] | undefined) ?? []);
  for (const kind of ignored) if (!ignorable.includes(kind)) throw new UsageError(`--ignore ${kind}: use one of ${ignorable.join(', ')}`);
  const all = compareTables(oldSide.project.table, newSide.project.table, probes, renames);
  const diffs = all.filter((d) => !ignored.has(d.probe.kind));
  const left = all.length - diffs.length;
  const groups = groupDifferences(diffs);
  const unsupported = unexpressed(oldSide.project.load.resources, newSide.project.load.resources, newSide.project.table, probes);
  const where = (side: Side, o: Outcome) => (o.rule === null ? '' : `${o.rule.id}  ${displayPath(side.project, io.cwd, o.rule.file)}:${o.rule.line}`);
  if (args.flags.json === true) {
    writeLine(io.stdout, JSON.stringify({
      old: oldSide.label,
      new: newSide.label,
      requests: probes.length,
      differences: diffs.length,
      ignored: left,
      groups: groups.map((g) => ({ cause: g.cause, count: g.probes.length, example: { request: requestText(g.example.probe), kind: g.example.probe.kind, fields: g.example.fields, old: g.example.old, new: g.example.new }, requests: g.probes.map(requestText) })),
      unsupported,
    }, null, 2));
    return diffs.length > 0 ? 1 : 0;
  }
  const color = useColor(io, io.stdout, args.flags);
  const paint = painter(color);
  writeLine(io.stdout, `Compared ${probes.length} requests between ${oldSide.label} (OLD) and ${newSide.label} (NEW), generated from both route tables${extra.length > 0 ? ` and ${extra.length} from --tests` : ''}.`);
  const ignoredText = left === 0 ? '' : ` (${left} more in the kinds left out with --ignore ${[...ignored].join(', ')})`;
  if (diffs.length === 0) writeLine(io.stdout, paint('32', `✓ no differences${ignoredText}`));
  else writeLine(io.stdout, paint('31', `✗ ${diffs.length} request${diffs.length === 1 ? '' : 's'} route${diffs.length === 1 ? 's' : ''} differently, in ${groups.length} group${groups.length === 1 ? '' : 's'}${ignoredText}:`));
  for (const g of groups) {
    const e = g.example;
    writeLine(io.stdout);
    writeLine(io.stdout, `${paint('1', g.cause)}  ${paint('2', `(${g.probes.length} request${g.probes.length === 1 ? '' : 's'})`)}`);
    writeLine(io.stdout, `    ${requestText(e.probe)}${e.probe.name === undefined ? '' : paint('2', `  (test: ${e.probe.name})`)}`);
    const at = (side: Side, o: Outcome) => (o.rule === null ? '' : `  ${paint('2', where(side, o))}`);
    writeLine(io.stdout, `    OLD  ${outcomeText(e.old)}${at(oldSide, e.old)}`);
    writeLine(io.stdout, `    NEW  ${outcomeText(e.new)}${at(newSide, e.new)}`);
  }
  if (unsupported.length > 0) {
    writeLine(io.stdout);
    writeLine(io.stdout, paint('1', 'In OLD with nothing like it in NEW:'));
    for (const u of unsupported) writeLine(io.stdout, `    ${u.feature} (${u.why})  ${paint('2', `${u.ingresses.join(', ')}; ${u.requests} request${u.requests === 1 ? '' : 's'} to ${u.hosts.join(', ')}`)}`);
  }
  return diffs.length > 0 ? 1 : 0;
}

/** The kinds of generated request `--ignore` can leave out. */
const ignorable = ['slashes', 'dots', 'case', 'trailing-slash', 'deeper', 'sibling', 'https', 'wildcard', 'regex-near', 'header', 'query', 'method'];

/** `GET http://host/path` with the headers that matter. */
function requestText(p: Probe): string {
  const headers = Object.entries(p.headers).map(([k, v]) => ` -H '${k}: ${v}'`).join('');
  return `${p.method} ${p.scheme}://${p.host ?? '127.0.0.1'}${p.path}${headers}`;
}

function outcomeText(o: Outcome): string {
  if (o.location !== null) return `${o.status} → ${o.location}`;
  if (o.backend !== null && o.status < 300) {
    const upstream = [o.upstreamPath === null ? null : `path ${o.upstreamPath}`, o.upstreamHost === null ? null : `Host ${o.upstreamHost}`, ...o.headers].filter((x) => x !== null);
    return `${o.status} → ${o.backend}${upstream.length === 0 ? '' : ` (${upstream.join(', ')})`}`;
  }
  return String(o.status);
}

/** OLD or NEW: a folder, a file, `kustomize:DIR`, `helm:CHART`. */
async function loadSide(io: CliIO, arg: string, profileFlag: unknown, implicitGateway: unknown, flagName: string): Promise<Side> {
  let input: ManifestInput;
  let dir: string;
  if (arg.startsWith('kustomize:') || arg.startsWith('helm:')) {
    const target = path.resolve(io.cwd, arg.slice(arg.indexOf(':') + 1));
    if ((await stat(target).catch(() => null)) === null) throw new UsageError(`${arg}: no such folder`);
    input = arg.startsWith('kustomize:') ? { kind: 'kustomize', dir: target } : { kind: 'helm', chart: target, values: [], set: [], release: null, namespace: null };
    dir = io.cwd;
  } else {
    const abs = path.resolve(io.cwd, arg);
    const info = await stat(abs).catch(() => null);
    if (info === null) throw new UsageError(`${arg}: no such file or folder`);
    input = info.isDirectory() ? { kind: 'folder', dir: abs } : { kind: 'file', path: abs };
    dir = info.isDirectory() ? abs : path.dirname(abs);
  }
  let profile;
  try {
    profile = profileOptionOf(profileFlag, null, implicitGateway);
  } catch (e) {
    throw new UsageError((e as Error).message.replace('--profile', flagName));
  }
  const project = await compileProject(dir, profile, createInputLoader(dir, [input]));
  return { label: arg, dir, project };
}

export interface Unexpressed {
  readonly feature: string;
  /** `no Gateway API equivalent`, `no Ingress of NEW has it`, … */
  readonly why: string;
  readonly ingresses: readonly string[];
  readonly hosts: readonly string[];
  /** The compared requests to those hosts. */
  readonly requests: number;
}

/**
 * What an ingress-nginx annotation becomes in the Gateway API, when it has an equivalent: the
 * difference then shows in the requests if the conversion missed it. Those without one are
 * listed as such (ingress2gateway's own list of what it cannot convert agrees on these).
 */
const gatewayEquivalents: Readonly<Record<string, string>> = {
  'use-regex': 'a RegularExpression path match',
  'rewrite-target': 'a URLRewrite filter',
  'ssl-redirect': 'a RequestRedirect filter (scheme https)',
  'force-ssl-redirect': 'a RequestRedirect filter (scheme https)',
  'permanent-redirect': 'a RequestRedirect filter',
  'permanent-redirect-code': 'a RequestRedirect filter',
  'temporal-redirect': 'a RequestRedirect filter',
  'app-root': 'a RequestRedirect filter',
  'from-to-www-redirect': 'a RequestRedirect filter',
  'upstream-vhost': 'a URLRewrite filter (hostname)',
  'enable-cors': 'a CORS filter',
  'cors-allow-origin': 'a CORS filter',
  'cors-allow-methods': 'a CORS filter',
  'cors-allow-headers': 'a CORS filter',
  'cors-allow-credentials': 'a CORS filter',
  'cors-max-age': 'a CORS filter',
  'canary': 'weighted backendRefs or header matches',
  'canary-by-header': 'a header match',
  'canary-by-header-value': 'a header match',
  'canary-weight': 'weighted backendRefs',
  'custom-headers': 'a ResponseHeaderModifier filter',
  'x-forwarded-prefix': 'a RequestHeaderModifier filter',
  'proxy-read-timeout': 'timeouts.backendRequest',
  'proxy-send-timeout': 'timeouts.backendRequest',
  'mirror-target': 'a RequestMirror filter',
};

/**
 * ingress-nginx annotations of OLD's Ingresses that NEW cannot express: with nginx-class
 * Ingresses in NEW, those they do not carry; with Gateway API routes, those with no Gateway API
 * equivalent; with Ingresses of another controller only, every one (it reads none).
 */
function unexpressed(oldResources: ResourceSet, newResources: ResourceSet, newTable: RouteTable, probes: readonly Probe[]): Unexpressed[] {
  const prefix = 'nginx.ingress.kubernetes.io/';
  const newNginx = newResources.ingresses.filter((i) => newTable.ingressProfiles.get(`${i.metadata.namespace}/${i.metadata.name}`)?.profile === 'nginx');
  const inNew = new Set(newNginx.flatMap((i) => [...i.metadata.annotations.keys()]));
  const gateway = (newTable.gateway?.rules.length ?? 0) > 0;
  const why = (key: string): string | null => {
    if (newNginx.length > 0) return inNew.has(key) ? null : 'no Ingress of NEW has it';
    if (gateway) return gatewayEquivalents[key.slice(prefix.length)] === undefined ? 'no Gateway API equivalent' : null;
    return 'NEW\'s controller does not read it';
  };
  const byAnnotation = new Map<string, { ingresses: Set<string>; hosts: Set<string>; value: string; why: string }>();
  for (const ing of oldResources.ingresses) {
    for (const [key, value] of ing.metadata.annotations) {
      if (!key.startsWith(prefix)) continue;
      const reason = why(key);
      if (reason === null) continue;
      const entry = byAnnotation.get(key) ?? { ingresses: new Set<string>(), hosts: new Set<string>(), value: value.value, why: reason };
      entry.ingresses.add(`${ing.metadata.namespace}/${ing.metadata.name}`);
      for (const r of ing.rules) entry.hosts.add(r.host?.value ?? '(no host)');
      byAnnotation.set(key, entry);
    }
  }
  return [...byAnnotation].map(([feature, e]) => ({
    feature: `${feature}: "${e.value}"`,
    why: e.why,
    ingresses: [...e.ingresses],
    hosts: [...e.hosts],
    requests: probes.filter((p) => e.hosts.has(p.host ?? '(no host)') || [...e.hosts].some((h) => h.startsWith('*.') && p.host?.endsWith(h.slice(1)) === true)).length,
  }));
}
