import path from 'node:path';
import type { Mapping } from '../backends/resolver.js';
import { createResolver } from '../backends/resolver.js';
import type { BackendResolver } from '../backends/types.js';
import type { DockerIndex, ReadinessIndex } from '../backends/docker/index.js';
import { createDiagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { DiagnosticCode } from '../diagnostics/catalogue.js';
import type { ProjectLoader } from '../manifest/load.js';
import type { RouteTable } from '../model/types.js';
import type { BuildResult, StateSummary } from '../watch/reload.js';
import { UsageError } from './args.js';
import { buildMappings, loadConfig, type LoadedConfig } from './config.js';
import type { ResolvedInputs } from './inputs.js';
import type { ProjectConfig } from '../manifest/config.js';
import { compileProject, displayPath, profileOptionOf, type CompiledProject } from './project.js';

/**
 * What `up` serves, built whole and swapped in one reference on each reload: the route table and
 * the resolver that maps its Services (from `--map` flags and the config file), with what they
 * were built from. Shaped for the terminal UI as well (`table`, `resolver`, `diagnostics`, `files`).
 */
export interface ServingState {
  readonly table: RouteTable;
  readonly resolver: BackendResolver;
  /** Config file and manifest diagnostics of this state, sorted. */
  readonly diagnostics: readonly Diagnostic[];
  /** How many manifest files were read. */
  readonly files: number;
  readonly project: CompiledProject;
  readonly config: LoadedConfig;
  readonly mappings: readonly Mapping[];
  readonly unmapped: 'echo' | 'unavailable';
}

/** What `up` listens with when neither a flag nor the config file says. */
export const listenDefaults = { host: '127.0.0.1', port: 8080, httpsPort: 8443, connectTimeoutMs: 5_000, readTimeoutMs: 60_000, sendTimeoutMs: 60_000 } as const;

/**
 * The HTTPS port from the config file's `listen.https` (false: off), else 8443; a free one when
 * the HTTP port is 0 (a caller that asks for free ports gets free ports for both), and 443 when
 * it is 80 (who asks for URLs without ports gets them for https:// too).
 */
export function httpsPortOf(fromConfig: number | false | undefined, httpPort: number): number | null {
  if (fromConfig === false) return null;
  return fromConfig ?? (httpPort === 0 ? 0 : httpPort === 80 ? 443 : listenDefaults.httpsPort);
}

/** Listener settings: fixed while `up` runs (changing them needs a restart). */
export interface ListenSettings {
  readonly host: string;
  readonly port: number;
  readonly timeouts: { readonly connectTimeoutMs: number; readonly readTimeoutMs: number; readonly sendTimeoutMs: number };
  /** The HTTPS listener's port (0: a free one); null: no HTTPS listener. */
  readonly httpsPort?: number | null;
}

/** Where a state comes from: the folder, the command line, and what the listener started with. */
export interface ServingSources {
  readonly dir: string;
  readonly cwd: string;
  /** `--config F`, as given. */
  readonly configFlag: string | undefined;
  readonly mapFlags: readonly string[];
  /** `--profile`, as given: it wins over the config file's `profile:`, read again on every reload. */
  readonly profileFlag: unknown;
  readonly implicitGatewayFlag?: unknown;
  readonly echoUnmapped: boolean;
  /** Settings given as flags; the config file cannot change those. */
  readonly listenFlags: { readonly host: boolean; readonly port: boolean; readonly connect: boolean; readonly read: boolean; readonly send: boolean; readonly https?: boolean };
  /** What the listener runs with. */
  readonly listen: ListenSettings;
  readonly loader: ProjectLoader;
  /** Where the manifests come from, decided at start. */
  readonly inputs: ResolvedInputs;
  /** `manifests:` of the config file at start (without positions), when it chose the inputs; null otherwise. */
  readonly manifestsAtStart: string | null;
  /** Docker discovery, unless Docker is off; the readiness of the containers `--run` started. */
  readonly docker?: DockerIndex;
  readonly readiness?: ReadinessIndex;
}

/**
 * Problems that make a reload keep the last good state: a file that does not parse (or cannot be
 * read) would otherwise drop every route it holds. Semantic errors drop only their routes.
 */
const blockingCodes: ReadonlySet<DiagnosticCode> = new Set(['E_YAML_SYNTAX', 'E_YAML_LIMIT', 'E_FILE_READ', 'E_RENDER_FAILED']);

/** The state from a config file read and a project compiled already (at start). */
export function servingStateOf(sources: ServingSources, config: LoadedConfig, mappings: readonly Mapping[], configProblems: readonly Diagnostic[], project: CompiledProject): ServingState {
  const unmapped = sources.echoUnmapped || config.config?.unmapped === 'echo' ? 'echo' : 'unavailable';
  return {
    table: project.table,
    resolver: createResolver({
      mappings,
      services: project.load.resources.services,
      unmapped,
      ...(sources.docker === undefined ? {} : { docker: sources.docker }),
      ...(sources.readiness === undefined ? {} : { readiness: sources.readiness }),
    }),
    diagnostics: [...configProblems, ...project.diagnostics],
    files: project.load.files.length,
    project,
    config,
    mappings,
    unmapped,
  };
}

/** Reads the config file and the manifests again, for a reload. */
export async function buildServingState(sources: ServingSources): Promise<BuildResult<ServingState>> {
  let config: LoadedConfig;
  try {
    config = await loadConfig(sources.dir, sources.cwd, sources.configFlag);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // Relative to the project folder, as every diagnostic's file.
    const file = sources.configFlag === undefined ? 'ingress-dev.yaml' : path.relative(sources.dir, path.resolve(sources.cwd, sources.configFlag)).split(path.sep).join('/');
    return { ok: false, diagnostics: [createDiagnostic('E_FILE_READ', 'error', error.message, { file, line: 1, col: 1 }, 'Restore the config file; until then the last good routes and mappings keep serving.')] };
  }
  // Flags were checked at start and do not change; only the file's mappings can be wrong now.
  const { mappings, diagnostics: mappingProblems } = buildMappings(sources.mapFlags, config.config, (file) => displayPath(sources, sources.cwd, file));
  const configProblems = [...config.diagnostics, ...mappingProblems];
  const configErrors = configProblems.filter((d) => d.severity === 'error');
  if (configErrors.length > 0) return { ok: false, diagnostics: configErrors };
  const project = await compileProject(sources.dir, profileOptionOf(sources.profileFlag, config.config, sources.implicitGatewayFlag), sources.loader);
  const blocking = project.load.diagnostics.filter((d) => blockingCodes.has(d.code));
  if (blocking.length > 0) return { ok: false, diagnostics: blocking };
  return { ok: true, state: servingStateOf(sources, config, mappings, configProblems, project), diagnostics: [...configProblems, ...project.diagnostics], restartNeeded: restartNeeded(sources, config) };
}

const workloadKinds: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'Pod', 'ConfigMap', 'Secret']);

/** What the reload loop compares: the routes, and the mappings that decide where they go. */
export function describeServingState(state: ServingState): StateSummary {
  const mappings = state.mappings.map((m) => `${JSON.stringify(m.selector)}=${JSON.stringify(m.target)} ${m.via}`);
  // Workloads and what they read: an edit of a Deployment or a ConfigMap changes no route, but
  // `up --run` must see it (the runner diffs them; without --run it costs one string compare).
  const workloads = state.project.load.resources.others
    .filter((o) => workloadKinds.has(o.resourceKind))
    .map((o) => JSON.stringify(o.raw));
  // `build:` too: the runner builds what it names at the next apply.
  const build = JSON.stringify(state.config.config?.build?.images.map((b) => ({ ...b, at: undefined })) ?? null);
  return { routes: state.table.routes, defaultBackend: state.table.defaultBackend, gateway: state.table.gateway ?? null, files: state.files, settings: [...mappings, `unmapped=${state.unmapped}`, `build=${build}`, ...workloads].join('\n') };
}

/** `manifests:` of a config file as a string to compare, without the positions. */
export function manifestsKey(config: ProjectConfig | null): string {
  const m = config?.manifests;
  if (m === undefined) return 'none';
  return JSON.stringify({ files: m.files.map((f) => f.path), kustomize: m.kustomize?.dir ?? null, helm: m.helm === null ? null : { ...m.helm, at: undefined } });
}

/** A listen address or timeout in the config file that differs from what the listener runs with. */
function restartNeeded(sources: ServingSources, loaded: LoadedConfig): string | null {
  const config = loaded.config;
  const { listen, listenFlags } = sources;
  const reasons: string[] = [];
  const port = config?.listen.http ?? listenDefaults.port;
  if (!listenFlags.port && port !== listen.port) reasons.push(`listen port changed from ${listen.port} to ${port}`);
  const host = config?.listen.host ?? listenDefaults.host;
  if (!listenFlags.host && host !== listen.host) reasons.push(`listen host changed from ${listen.host} to ${host}`);
  if (listenFlags.https !== true && listen.httpsPort !== undefined) {
    const https = httpsPortOf(config?.listen.https, listenFlags.port ? listen.port : port);
    if (https !== listen.httpsPort) reasons.push(`HTTPS ${https === null ? 'turned off' : listen.httpsPort === null ? `turned on (port ${https})` : `port changed from ${listen.httpsPort} to ${https}`}`);
  }
  const t = config?.timeouts;
  const timeoutChanged =
    (!listenFlags.connect && (t?.connectMs ?? listenDefaults.connectTimeoutMs) !== listen.timeouts.connectTimeoutMs) ||
    (!listenFlags.read && (t?.readMs ?? listenDefaults.readTimeoutMs) !== listen.timeouts.readTimeoutMs) ||
    (!listenFlags.send && (t?.sendMs ?? listenDefaults.sendTimeoutMs) !== listen.timeouts.sendTimeoutMs);
  if (timeoutChanged) reasons.push('timeouts changed');
  if (sources.manifestsAtStart !== null && manifestsKey(config) !== sources.manifestsAtStart) reasons.push('manifests: changed');
  return reasons.length === 0 ? null : `${reasons.join(', ')}: restart ingress-dev up to apply ${reasons.length === 1 && !timeoutChanged ? 'it' : 'them'}`;
}
