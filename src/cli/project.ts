import { stat } from 'node:fs/promises';
import path from 'node:path';
import { sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { formatDiagnostic } from '../diagnostics/format.js';
import { loadProject, type ProjectLoader } from '../manifest/load.js';
import type { LoadResult } from '../manifest/types.js';
import { compileRoutes } from '../model/compile.js';
import type { ServedCertificate } from '../tls/certificates.js';
import { tlsSecrets } from '../tls/secrets.js';
import { profiles, type Profile, type RouteTable } from '../model/types.js';
import type { ProjectConfig } from '../manifest/config.js';
import { UsageError, type ParsedArgs } from './args.js';
import { loaderOf, resolveInputs } from './inputs.js';
import type { CliIO } from './io.js';
import { loadConfig } from './config.js';

export interface CompiledProject {
  /** Absolute path of the project folder. */
  readonly dir: string;
  readonly load: LoadResult;
  readonly table: RouteTable;
  /** The certificates of the folder's `kubernetes.io/tls` Secrets that pass their checks, by host. */
  readonly certificates: ReadonlyMap<string, ServedCertificate>;
  /** Loader, compiler and certificate diagnostics together, sorted for output. */
  readonly diagnostics: readonly Diagnostic[];
}

export async function resolveProjectDir(cwd: string, dir: string | undefined): Promise<string> {
  const abs = path.resolve(cwd, dir ?? '.');
  const info = await stat(abs).catch(() => null);
  if (info === null) throw new UsageError(`folder not found: ${dir ?? '.'}`);
  if (!info.isDirectory()) throw new UsageError(`not a folder: ${dir ?? '.'} (give the folder that holds the manifests)`);
  return abs;
}

/** The profile for every Ingress, and what set it, or `auto`: each Ingress by its class. */
export interface ProfileOption {
  readonly profile: Profile | 'auto';
  readonly source?: string;
  /** `nginx:` of the config file: the controller ConfigMap's keys, for the nginx profile. */
  readonly nginxConfig?: ProjectConfig['nginx'];
  /** `--implicit-gateway`, else `implicitGateway:` of the config file. */
  readonly implicitGateway?: boolean;
}

/** `--profile` wins over `profile:` in the config file; neither: `auto`. The same for `--implicit-gateway`. */
export function profileOptionOf(flag: unknown, config: ProjectConfig | null, implicitGatewayFlag?: unknown): ProfileOption {
  const implicit = implicitGatewayFlag === true || (implicitGatewayFlag === undefined && config?.implicitGateway === true);
  const nginx = { ...(config?.nginx === undefined ? {} : { nginxConfig: config.nginx }), ...(implicit ? { implicitGateway: true } : {}) };
  if (flag !== undefined) {
    if (flag === 'auto' || (typeof flag === 'string' && (profiles as readonly string[]).includes(flag))) return { profile: flag as Profile | 'auto', source: `--profile ${flag}`, ...nginx };
    throw new UsageError(`--profile ${String(flag)}: use auto, spec or nginx`);
  }
  const fromFile = config?.profile;
  if (fromFile === undefined || fromFile === 'auto') return { profile: 'auto', ...nginx };
  return { profile: fromFile, source: `profile: ${fromFile} in ${config?.file ?? 'ingress-dev.yaml'}`, ...nginx };
}

/**
 * For the offline commands (check, routes, explain, test): the config file's profile and
 * manifests (flags win), the inputs read, and the routes compiled.
 */
export async function compileForCommand(args: ParsedArgs, io: CliIO, dir: string): Promise<CompiledProject> {
  const loaded = await loadConfig(dir, io.cwd, undefined).catch(() => null);
  const config = loaded?.config ?? null;
  const inputs = await resolveInputs(args, io, dir, config);
  return compileProject(dir, profileOptionOf(args.flags.profile, config, args.flags['implicit-gateway']), loaderOf(dir, inputs));
}

/** For the offline commands: `--profile`, else `profile:` in the folder's ingress-dev.yaml. */
export async function offlineProfileOption(dir: string, cwd: string, flag: unknown, implicitGatewayFlag?: unknown): Promise<ProfileOption> {
  const loaded = await loadConfig(dir, cwd, undefined).catch(() => null);
  return profileOptionOf(flag, loaded?.config ?? null, implicitGatewayFlag);
}

/** `loader` keeps parsed files between calls (hot reload); without it the folder is read afresh. */
export async function compileProject(dir: string, profile: ProfileOption = { profile: 'auto' }, loader?: ProjectLoader): Promise<CompiledProject> {
  const load = loader === undefined ? await loadProject(dir) : await loader.load();
  const compiled = compileRoutes(load.resources, {
    profile: profile.profile,
    ...(profile.source === undefined ? {} : { profileSource: profile.source }),
    ...(profile.nginxConfig === undefined ? {} : { nginxConfig: profile.nginxConfig }),
    ...(profile.implicitGateway === true ? { implicitGateway: true } : {}),
  });
  const tls = tlsSecrets(load.resources);
  return {
    dir,
    load,
    table: compiled.value,
    certificates: tls.served,
    diagnostics: sortDiagnostics([...load.diagnostics, ...compiled.diagnostics.map((d) => aboutInputs(d, loader?.described)), ...tls.diagnostics]),
  };
}

/** "No Ingress found in this folder" says what was read instead when it was not the folder. */
function aboutInputs(d: Diagnostic, described: string | undefined): Diagnostic {
  if (described === undefined || d.code !== 'I_NO_INGRESS') return d;
  return { ...d, message: `No Ingress found in ${described}`, file: '<manifests>', hint: 'The manifests read hold no Ingress (networking.k8s.io/v1) and no HTTPRoute: check the render (helm template, kustomize build) or the files given.' };
}

/** A file path as the user should see it: relative to where they ran the command. */
export function displayPath(project: { readonly dir: string }, cwd: string, file: string): string {
  if (file === '.') return path.relative(cwd, project.dir) || '.';
  // A render or stdin (`<helm ./chart>`, `<stdin>`) is named as it is.
  if (file.startsWith('<')) return file;
  const rel = path.relative(cwd, path.join(project.dir, file));
  return rel.split(path.sep).join('/');
}

export function formatProjectDiagnostic(project: CompiledProject, cwd: string, d: Diagnostic, color: boolean): string {
  return formatDiagnostic({ ...d, file: displayPath(project, cwd, d.file) }, { source: project.load.sources.get(d.file), color });
}
