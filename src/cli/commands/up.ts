import { openSync } from 'node:fs';
import tty from 'node:tty';
import { dirname, relative, resolve as resolvePath } from 'node:path';
import { formatGroup, formatMatch, formatRuleBackends, hostLists } from '../../model/gateway/format.js';
import { tableBackends } from '../../model/table-backends.js';
import { authority } from '../../model/url.js';
import type { Mapping } from '../../backends/resolver.js';
import { formatTarget, type BackendResolver } from '../../backends/types.js';
import { hasErrors, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { formatDiagnostic, formatLocation, formatSummary } from '../../diagnostics/format.js';
import { createEventBus, type EventBus } from '../../events/bus.js';
import { createHealthChecker } from '../../backends/health.js';
import { createInflightRequests, type InflightRequests } from '../../backends/inflight.js';
import type { QuitKey } from '../../ui/start-ui.js';
import { createLogStore, createUiStores, createWorkloadStore, type LogStore } from '../../ui/ui-stores.js';
import { createClient } from '../../backends/docker/discovery.js';
import { createLogFollower } from '../container-logs.js';
import { acquireRunLock, createApplyReportPrinter, createDockerDiscovery, createWorkloadRunner, formatDockerStatus, formatRunLockHolder, runLabels, type ApplyReport, type RunLock, type WorkloadRunner } from '../../backends/docker/index.js';
import type { ConfigApplied, ConfigRejected, RequestCompleted } from '../../events/types.js';
import { parseDuration } from '../../manifest/config.js';
import type { Route, RouteTable, ServiceBackend } from '../../model/types.js';
import { startProxy, type RunningProxy } from '../../proxy/server.js';
import { loadOrCreateCa, type LocalCa } from '../../tls/ca.js';
import { shellQuote } from '../../tls/trust.js';
import { createCertificateStore, servedFor, type CertificateStore, type ServedCertificate } from '../../tls/certificates.js';

import { createReloader, type ReloadOutcome } from '../../watch/reload.js';
import { relativeInside, startWatcher } from '../../watch/watcher.js';
import { UsageError, type CommandSpec, type ParsedArgs } from '../args.js';
import { buildMappings, loadConfig } from '../config.js';
import { formatBackend } from '../describe.js';
import { formatUnusedMappings } from '../unused-mappings.js';
import { painter, useColor, writeLine, type CliIO } from '../io.js';
import { inputOptions, inputOptionsNamed, loaderOf, resolveInputs, type ResolvedInputs } from '../inputs.js';
import { readVersion } from '../version.js';
import { createRecorder, type Recorder } from '../record.js';
import type { BuildSpec } from '../../backends/docker/build.js';
import type { ProjectConfig } from '../../manifest/config.js';
import { privilegedPortAdvice, readUnprivilegedPortStart } from '../privileged-port.js';
import { compileProject, displayPath, formatProjectDiagnostic, profileOptionOf, resolveProjectDir, type CompiledProject } from '../project.js';
import { buildServingState, describeServingState, httpsPortOf, listenDefaults, manifestsKey, servingStateOf, type ServingSources, type ServingState } from '../serving.js';

export const upCommand: CommandSpec = {
  name: 'up',
  summary: 'Route real HTTP traffic by the Ingress rules to Services mapped to local ports.',
  usage: 'ingress-dev up [dir] [-f FILE]... [-k DIR] [--helm CHART] [--port 8080] [--https-port 8443] [--host 127.0.0.1] [--map SERVICE[:PORT]=TARGET]... [--config F] [--profile P] [--no-watch] [--no-ui]',
  positionals: { min: 0, max: 1 },
  details: [
    'TARGET is 3000, host:port, http://host:port, https://host:port (self-signed allowed) or echo.',
    'Requests reach a host three ways: curl -H "Host: app.example.com" http://127.0.0.1:8080/,',
    'http://app.example.com.localhost:8080/ in a browser, or curl -x http://127.0.0.1:8080 http://app.example.com/.',
    'HTTPS (HTTP/2 and HTTP/1.1) listens on 8443 with certificates of a local CA (ingress-dev trust --print shows its file),',
    "or the folder's own kubernetes.io/tls Secrets: curl --cacert CA --resolve app.example.com:8443:127.0.0.1 https://app.example.com:8443/.",
    'Edits to the manifests and the config file apply at once; a file that does not parse keeps the last good routes serving.',
    'Stop with Ctrl-C (exit 130) or SIGTERM (exit 143); in-flight requests get up to 10 s to finish.',
  ].join('\n'),
  options: [
    ...inputOptions,
    { name: 'port', short: 'p', type: 'string', value: 'PORT', description: 'port to listen on (default 8080; 0 picks a free one)' },
    { name: 'https-port', type: 'string', value: 'PORT', description: 'HTTPS port (default 8443, 443 with --port 80; 0 picks a free one, as it does when --port is 0)' },
    { name: 'no-https', type: 'boolean', description: 'serve plain HTTP only (also listen: { https: false })' },
    { name: 'host', type: 'string', value: 'ADDR', description: 'address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)' },
    { name: 'map', short: 'm', type: 'list', value: 'SVC[:PORT]=TARGET', description: 'map a Service (port) to a target, repeatable; overrides the config file' },
    { name: 'config', short: 'c', type: 'string', value: 'F', description: 'config file (default: ingress-dev.yaml in the folder, when present)' },
    { name: 'echo-unmapped', type: 'boolean', description: 'answer every unmapped Service with the built-in echo' },
    { name: 'connect-timeout', type: 'string', value: 'DURATION', description: 'upstream connect timeout (default 5s)' },
    { name: 'read-timeout', type: 'string', value: 'DURATION', description: 'upstream read timeout between two reads (default 60s)' },
    { name: 'send-timeout', type: 'string', value: 'DURATION', description: 'upstream send timeout between two writes (default 60s)' },
    { name: 'no-watch', type: 'boolean', description: 'do not watch the folder: edits apply only after a restart' },
    { name: 'no-docker', type: 'boolean', description: 'never ask Docker for containers (also docker: off in the config file)' },
    { name: 'run', type: 'boolean', description: 'start the Deployments, StatefulSets and Pods of the folder as containers (also run: true)' },
    { name: 'build', type: 'boolean', description: 'with --run: build every image of build: in ingress-dev.yaml at start, even when nothing changed' },
    { name: 'no-build', type: 'boolean', description: 'with --run: build nothing (images of build: must be there already)' },
    { name: 'record', type: 'string', value: 'FILE', description: 'write every request routed as a route test to FILE (added to what it holds), with the routing\'s outcome as the expectation' },
    { name: 'no-logs', type: 'boolean', description: 'with --run and without the UI: do not stream the containers\' output' },
    { name: 'no-ui', type: 'boolean', description: 'plain log lines instead of the terminal UI (also when stdout is not a terminal, or CI is set)' },
    { name: 'log', type: 'string', value: 'plain|json', description: 'without the UI: plain lines (default), or one JSON object per event for scripts' },
    { name: 'profile', type: 'string', value: 'auto|spec|nginx', description: 'route every Ingress as ingress-nginx does (nginx) or by the specification (spec); default auto: each by its class' },
    { name: 'implicit-gateway', type: 'boolean', description: 'serve HTTPRoutes whose Gateway is not in the folder on an implicit Gateway (HTTP and HTTPS, any host); also implicitGateway: true in ingress-dev.yaml' },
  ],
};

type Signal = 'SIGINT' | 'SIGTERM';

/**
 * What the terminal UI (and tests) hold of a running `up`. The UI reads `current()` after each
 * `config-applied` / `config-rejected` event, and calls `reloadNow()` for its `r` key.
 */
export interface UpController {
  readonly events: EventBus;
  /** The state serving now: the route table, the resolver and their diagnostics. */
  current(): ServingState;
  /**
   * Reload the manifests and the config file now, as an edit would (the UI's `r` key). Resolves
   * after the reload, with its outcome (also emitted as an event); a reload already running
   * finishes first. Never rejects.
   */
  reloadNow(): Promise<ReloadOutcome>;
}

export async function runUp(args: ParsedArgs, outerIo: CliIO): Promise<number> {
  // Signals are ours from the first moment: a Ctrl-C during start-up stops it and removes what it
  // started; a second one while stopping hurries the cleanup (issue 10 item 17).
  const signals = createSignalLatch(outerIo);
  try {
    return await runUpWith(args, outerIo, signals);
  } finally {
    signals.dispose();
  }
}

async function runUpWith(args: ParsedArgs, outerIo: CliIO, signals: SignalLatch): Promise<number> {
  // Every stderr line of the run goes through this, the watcher's warnings included: held while
  // the terminal UI owns the screen.
  const stderr = createHeldStderr(outerIo);
  const io = stderr.io;
  const dir = await resolveProjectDir(io.cwd, args.positionals[0]);
  const configFlag = args.flags.config as string | undefined;
  // Where the manifests come from (the folder, files, stdin, a render): named by flags or by
  // `manifests:` in the config file, decided once (stdin is read once).
  const startConfig = (await loadConfig(dir, io.cwd, configFlag).catch(() => null))?.config ?? null;
  const inputs = await resolveInputs(args, io, dir, startConfig);
  // The build contexts of `up --run` are watched too (a change rebuilds the image).
  const contexts = args.flags.run === true || startConfig?.run === true ? buildSpecsOf(startConfig, dir).map((spec) => spec.context) : [];
  // Watch before the first read of the manifests and the config file, so that an edit made while
  // they are read is not missed.
  const changes = args.flags['no-watch'] === true ? null : await watchProject(io, dir, [...(configFlag === undefined ? [] : [resolvePath(io.cwd, configFlag)]), ...inputs.watchFiles], [...inputs.watchTrees, ...contexts]);
  try {
    return await serve(args, io, dir, inputs, changes, stderr, signals);
  } finally {
    await changes?.close();
  }
}

/**
 * stderr for `up`. While the terminal UI owns the screen, stray lines (warnings, workload
 * progress, apply reports) wait and are printed after it exits: nothing may write over the UI.
 */
interface HeldStderr {
  /** The CLI's streams, with stderr replaced. */
  readonly io: CliIO;
  hold(): void;
  /** Print what waited, and pass lines straight through again (idempotent). */
  release(): void;
}

function createHeldStderr(outer: CliIO): HeldStderr {
  let holding = false;
  const held: string[] = [];
  return {
    io: { ...outer, stderr: { write: (text: string) => (holding ? held.push(text) : outer.stderr.write(text)), isTTY: outer.stderr.isTTY } },
    hold: () => void (holding = true),
    release() {
      holding = false;
      for (const text of held.splice(0)) outer.stderr.write(text);
    },
  };
}

async function serve(args: ParsedArgs, io: CliIO, dir: string, inputs: ResolvedInputs, changes: ProjectChanges | null, stderr: HeldStderr, signals: SignalLatch): Promise<number> {
  const color = useColor(io, io.stdout, args.flags);
  const configFlag = args.flags.config as string | undefined;
  const mapFlags = (args.flags.map as string[] | undefined) ?? [];
  const loaded = await loadConfig(dir, io.cwd, configFlag);
  const config = loaded.config;
  profileOptionOf(args.flags.profile, config); // a bad --profile is a usage error before anything starts
  // Paths in messages are relative to the current folder; in diagnostics, to the project folder.
  const where = (file: string) => displayPath({ dir }, io.cwd, file);
  const { mappings, diagnostics: mappingDiagnostics } = buildMappings(mapFlags, config, where);
  const configProblems: Diagnostic[] = [...loaded.diagnostics, ...mappingDiagnostics];
  for (const d of configProblems) writeLine(io.stderr, formatDiagnostic({ ...d, file: where(d.file) }, { source: loaded.text ?? undefined, color }));
  if (hasErrors(configProblems)) {
    writeLine(io.stderr, `ingress-dev up: fix ${loaded.file === null ? 'the config file' : where(loaded.file)} first (nothing was started)`);
    return 1;
  }
  const port = parsePort(args.flags.port as string | undefined, config?.listen.http);
  const httpsFlag = args.flags['https-port'] as string | undefined;
  if (httpsFlag !== undefined && args.flags['no-https'] === true) throw new UsageError('--https-port and --no-https: choose one');
  const httpsPort = args.flags['no-https'] === true ? null : httpsFlag !== undefined ? parsePort(httpsFlag, undefined, '--https-port') : httpsPortOf(config?.listen.https, port);
  if (httpsPort !== null && httpsPort !== 0 && httpsPort === port) throw new UsageError(`--https-port ${httpsPort}: the HTTP listener has that port; choose another`);
  const host = (args.flags.host as string | undefined) ?? config?.listen.host ?? listenDefaults.host;
  const timeoutFlags = { connect: duration(args.flags['connect-timeout'], '--connect-timeout'), read: duration(args.flags['read-timeout'], '--read-timeout'), send: duration(args.flags['send-timeout'], '--send-timeout') };
  const timeouts = {
    connectTimeoutMs: timeoutFlags.connect ?? config?.timeouts.connectMs ?? listenDefaults.connectTimeoutMs,
    readTimeoutMs: timeoutFlags.read ?? config?.timeouts.readMs ?? listenDefaults.readTimeoutMs,
    sendTimeoutMs: timeoutFlags.send ?? config?.timeouts.sendMs ?? listenDefaults.sendTimeoutMs,
  };
  const events = createEventBus();
  const logMode = parseLogMode(args.flags.log);
  const dockerOff = args.flags['no-docker'] === true ? '--no-docker' : config?.docker === 'off' ? `docker: off in ${loaded.file === null ? 'the config file' : where(loaded.file)}` : undefined;
  const runWorkloads = args.flags.run === true || config?.run === true;
  if (runWorkloads && dockerOff !== undefined) throw new UsageError(`--run starts containers, but Docker is off (${dockerOff})`);
  if ((args.flags.build === true || args.flags['no-build'] === true) && !runWorkloads) throw new UsageError(`--${args.flags.build === true ? 'build' : 'no-build'} goes with --run (it builds the images the workloads run)`);
  if (args.flags.build === true && args.flags['no-build'] === true) throw new UsageError('--build and --no-build: choose one');
  // One `up --run` per folder: a second would start the workloads again, and both would route to
  // both sets of containers (issue 10 item 1). Without --run, `up` routes to the running one's.
  const lockResult = runWorkloads ? acquireRunLock(dir) : null;
  if (lockResult?.ok === false) {
    writeLine(io.stderr, `ingress-dev up: another ingress-dev up --run is running the workloads of ${where('.')} (${formatRunLockHolder(lockResult.holder)}); stop it first, or run this one without --run: it routes to that run's containers`);
    return 1;
  }
  const runLock = lockResult?.ok === true ? lockResult.lock : null;
  // The project's Services select only containers that are not another project's `--run` workloads.
  const discovery = createDockerDiscovery({ events, env: { ...process.env, ...io.env }, projectDir: dir, ...(dockerOff === undefined ? {} : { disabled: dockerOff }) });
  try {
    // The notice is one line; without an engine everything else works and it keeps looking.
    const status = await Promise.race([discovery.ready(), signals.first]);
    if (typeof status === 'string') return exitCodeOf(status);
    if (dockerOff === undefined) writeLine(io.stderr, formatDockerStatus(status));
    // Every apply's report (also those the runner starts itself) is printed as far as it is news.
    const printReport = createApplyReportPrinter();
    // With the terminal UI, its Workloads and Problems panes show all of it (issue 10 item 2).
    const uiShowsWorkloads = wantsUi(args, io, logMode, inputs);
    const onReport = (report: ApplyReport): void => {
      if (uiShowsWorkloads) return;
      const news = printReport(report);
      for (const line of news.lines) writeLine(io.stderr, line);
      for (const d of news.diagnostics) writeLine(io.stderr, formatDiagnostic({ ...d, file: where(d.file) }, { color }));
    };
    // The proxy counts the requests it sends to each container, so that one that leaves is drained first.
    const inflight = runWorkloads ? createInflightRequests() : undefined;
    const buildMode = args.flags.build === true ? 'always' : args.flags['no-build'] === true ? 'never' : 'auto';
    // The state serving now (serveWith sets it): the runner reads the build entries of its config
    // at each apply, and the Service relays pick endpoints with its resolver.
    const serving: { now: () => ServingState | null } = { now: () => null };
    const routeService = (namespace: string, service: string, servicePort: number, portName: string | null) => {
      const res = serving.now()?.resolver.resolve({ kind: 'service', namespace, service, port: servicePort, portName, problem: null });
      return res?.kind === 'target' && res.target.kind === 'http' ? { host: res.target.host, port: res.target.port } : null;
    };
    const runner = runWorkloads ? createWorkloadRunner({ docker: discovery, projectDir: dir, events, onReport, inflight, builds: () => ({ specs: buildSpecsOf(serving.now()?.config.config ?? config, dir), mode: buildMode }), routeService }) : null;
    // Without the UI, the containers' own output streams to the terminal, prefixed, as docker
    // compose up does (issue 10 item 3); --no-logs turns it off.
    // With the UI, the same output goes to its log view (`l` on the Workloads pane), bounded.
    const uiLogs = runner !== null && uiShowsWorkloads ? createLogStore() : null;
    const logSink = uiLogs === null ? io : { stdout: { write: (text: string) => uiLogs.append(text, 'stdout') }, stderr: { write: (text: string) => uiLogs.append(text, 'stderr') } };
    const logFollower =
      runner !== null && (uiLogs !== null || (logMode === 'plain' && args.flags['no-logs'] !== true))
        ? createLogFollower(() => {
            const endpoint = discovery.engine();
            return endpoint === null ? null : createClient(endpoint, 0);
          }, logSink)
        : null;
    if (logFollower !== null) {
      events.on('workload-changed', (e) => {
        if (e.container !== null && (e.change === 'created' || e.change === 'restarted')) logFollower.follow(e.container, e.change === 'created' ? 'start' : 'now');
      });
    }
    signals.onRepeat((count) => {
      if (count === 2) {
        runner?.hurry();
        writeLine(io.stderr, runner === null ? 'stopping now' : `stopping now: removing the containers of this run without waiting for them to stop (Ctrl-C again leaves them: docker rm -f $(docker ps -aq --filter label=${runLabels.run}=${runner.runId}))`);
      } else if (io.onSignal === undefined) {
        if (runner !== null) writeLine(io.stderr, `left without cleaning up: remove what this run created with: docker rm -f $(docker ps -aq --filter label=${runLabels.run}=${runner.runId}); docker network rm ${runner.network}`);
        process.exit(130);
      }
    });
    const sources: ServingSources = {
      dir,
      cwd: io.cwd,
      configFlag,
      mapFlags,
      profileFlag: args.flags.profile,
      implicitGatewayFlag: args.flags['implicit-gateway'],
      echoUnmapped: args.flags['echo-unmapped'] === true,
      listenFlags: { host: args.flags.host !== undefined, port: args.flags.port !== undefined, connect: timeoutFlags.connect !== undefined, read: timeoutFlags.read !== undefined, send: timeoutFlags.send !== undefined, https: httpsFlag !== undefined || args.flags['no-https'] === true },
      listen: { host, port, timeouts, httpsPort },
      loader: loaderOf(dir, inputs),
      inputs,
      // Flags name the inputs for good; `manifests:` of the config file takes a restart to change.
      manifestsAtStart: inputOptionsNamed(args) ? null : manifestsKey(config),
      ...(dockerOff === undefined ? { docker: discovery } : {}),
      ...(runner === null ? {} : { readiness: runner.readiness }),
    };
    try {
      return await serveWith(args, io, changes, sources, { loaded, mappings, configProblems, events, logMode, color, stderr, signals, runLock, uiLogs, inflight, serving }, runner);
    } finally {
      logFollower?.stop();
      if (runner !== null) for (const line of await runner.stop()) writeLine(io.stderr, line);
    }
  } finally {
    discovery.stop();
    runLock?.release();
  }
}

/** What `serve` read and decided before anything listens. */
interface Prepared {
  readonly loaded: Awaited<ReturnType<typeof loadConfig>>;
  readonly mappings: Mapping[];
  readonly configProblems: Diagnostic[];
  readonly events: EventBus;
  readonly logMode: 'plain' | 'json';
  readonly color: boolean;
  readonly stderr: HeldStderr;
  readonly signals: SignalLatch;
  /** Held while this `up --run` runs the folder's workloads. */
  readonly runLock: RunLock | null;
  /** The containers' output for the UI's log view, when the UI shows `up --run`. */
  readonly uiLogs: LogStore | null;
  /** The proxy's requests in progress per container, for the runner's drains (`up --run`). */
  readonly inflight: InflightRequests | undefined;
  /** The state serving now, for the runner (its config's build entries, its resolver for the Service relays). */
  readonly serving: { now: () => ServingState | null };
}

async function serveWith(
  args: ParsedArgs,
  io: CliIO, // its stderr is held while the UI runs
  changes: ProjectChanges | null,
  sources: ServingSources,
  prepared: Prepared,
  runner: WorkloadRunner | null,
): Promise<number> {
  const { loaded, mappings, configProblems, events, logMode, color, stderr, signals } = prepared;
  const { dir, loader } = sources;
  const { host, port, timeouts } = sources.listen;
  // --record FILE: each new request routed becomes a route test (a file that is not one is refused before anything listens).
  const recordFile = args.flags.record === undefined ? null : resolvePath(io.cwd, args.flags.record as string);
  const shownRecord = recordFile === null ? null : relative(io.cwd, recordFile) || recordFile;
  let recorder: Recorder | null = null;
  if (recordFile !== null) {
    try {
      recorder = createRecorder(recordFile);
    } catch (error) {
      throw new UsageError(`--record ${String(args.flags.record)}: ${(error as Error).message}`);
    }
  }
  const useUi = wantsUi(args, io, logMode, sources.inputs);
  const project = await compileProject(dir, profileOptionOf(sources.profileFlag, loaded.config, sources.implicitGatewayFlag), loader);
  const loadedAt = Date.now();
  printDiagnostics(io, project, color);
  const initial = servingStateOf(sources, loaded, mappings, configProblems, project);
  prepared.serving.now = () => initial;
  for (const line of formatUnusedMappings(mappings, project.load.resources.services)) writeLine(io.stderr, line);

  // Workload lines go to stderr from the first apply on (an image pull shows its progress while
  // `up` starts). With the UI, its Workloads pane shows them instead, from the first pull on:
  // its store listens before the first apply, and nothing waits to be printed after the UI.
  const workloadStore = runner !== null && useUi ? createWorkloadStore(events) : undefined;
  if (runner !== null && logMode === 'plain' && !useUi) logWorkloads(io, events);
  if (runner !== null) {
    // The UI opens after the first apply: until then, pulls and builds (which may take minutes)
    // say what they do on the terminal, as they would without the UI.
    const untilUi = useUi ? logWorkloads(io, events) : () => undefined;
    // A Ctrl-C while images are pulled stops the start-up; serve's cleanup removes what it made.
    const started = await Promise.race([runner.apply(project.load.resources), signals.first]);
    untilUi();
    if (typeof started === 'string') {
      workloadStore?.dispose();
      return interruptedAtStart(io, started);
    }
  }
  if (signals.received() !== null) {
    workloadStore?.dispose();
    return interruptedAtStart(io, signals.received() ?? 'SIGINT');
  }
  const reloader = createReloader<ServingState>({
    initial: { state: initial, diagnostics: initial.diagnostics },
    build: () => buildServingState(sources),
    describe: describeServingState,
    events,
  });
  prepared.serving.now = () => reloader.current;
  // What the terminal UI attaches to: getState = controller.current, `r` = controller.reloadNow().
  const controller: UpController = { events, current: () => reloader.current, reloadNow: () => reloader.reload({ kind: 'manual' }) };
  // The UI's stores subscribe now, before anything below can emit (a reload of an early edit, the
  // first request, the first health round), and Ink loads only after the port is open: a request
  // served in the meantime must not be missing from the list (issue 9).
  const stores = useUi
    ? createUiStores({ events, getState: () => controller.current(), ...(workloadStore === undefined ? {} : { workloads: workloadStore }), ...(prepared.uiLogs === null ? {} : { logs: prepared.uiLogs }) })
    : null;
  // The trigger is shown in reload lines (and the UI): relative to the current folder, as every path.
  changes?.deliverTo((files) => {
    // A change in a build context rebuilds its image (build.watch: false turns it off); the
    // workloads that run it roll onto the new one.
    const config = reloader.current.config.config;
    const contexts = runner === null || config?.build?.watch === false ? [] : buildSpecsOf(config, dir);
    // Inside the context, not the context folder itself.
    const touched = contexts.filter((spec) => files.some((f) => (relativeInside(spec.context, resolvePath(dir, f)) ?? '') !== ''));
    if (runner !== null && touched.length > 0) void runner.rebuild(touched.map((spec) => spec.image));
    void reloader.reload({ kind: 'files', files: files.map((f) => displayPath(project, io.cwd, f)) });
  });
  // Edited workloads restart, removed ones go: the runner diffs the folder's resources each time.
  // (The runner's onReport prints what each apply changed.)
  if (runner !== null) {
    events.on('config-applied', () => void runner.apply(reloader.current.project.load.resources));
  }
  if (logMode === 'json') {
    events.onAny((e) => writeLine(io.stdout, JSON.stringify(e)));
  } else if (stores === null) {
    events.on('request-completed', (e) => writeLine(io.stdout, formatRequestLine(e, color)));
    // The engine going away and coming back: its containers stop and start serving (issue 10 item 18).
    events.on('docker-changed', (e) => {
      if (e.change === 'engine') writeLine(io.stderr, e.message);
    });
    logReloads(io, controller, project, color);
  }

  // The local CA signs a certificate for every host without a Secret of its own; a CA that
  // cannot be read or made leaves HTTPS off, with the reason, and plain HTTP serving.
  const https = await prepareHttps(io, sources.listen.httpsPort ?? null, () => reloader.current.project.certificates);
  const servedBySecret = (name: string): boolean => servedFor(reloader.current.project.certificates, name) !== null;
  let proxy: RunningProxy;
  try {
    // One reference, read once per request: a request keeps the table and the resolver it started with.
    proxy = await startProxy({ host, port, getTable: () => reloader.current.table, resolver: () => reloader.current.resolver, events, timeouts, inflight: prepared.inflight, ...(https === null ? {} : { https: { port: https.port, certificates: https.certificates } }) });
  } catch (e) {
    stores?.dispose();
    const err = e as NodeJS.ErrnoException & { port?: number };
    // The listener that failed: node's error names its port.
    const secure = https !== null && err.port === https.port && err.port !== port;
    const flag = secure ? '--https-port' : '--port';
    const failedPort = secure ? https.port : port;
    if (err.code === 'EADDRINUSE') {
      const next = failedPort === 8080 ? 8081 : failedPort === 8443 ? 8444 : failedPort + 1;
      writeLine(io.stderr, `ingress-dev up: ${secure ? 'HTTPS ' : ''}port ${failedPort} on ${host} is in use; choose another with ${flag} ${next} (or ${flag} 0 for any free port)${secure ? ', or --no-https' : ''}`);
      return 1;
    }
    if (err.code === 'EACCES' && failedPort > 0 && failedPort < 1024) {
      const privileged = [port, https?.port ?? null].filter((p): p is number => p !== null && p > 0 && p < 1024);
      writeLine(io.stderr, `ingress-dev up: cannot listen on ${host}:${failedPort}: permission denied`);
      for (const line of privilegedPortAdvice({ platform: process.platform, host, ports: privileged.length === 0 ? [failedPort] : privileged, unprivilegedPortStart: readUnprivilegedPortStart(), nodePath: process.execPath })) writeLine(io.stderr, line);
      return 1;
    }
    if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
      writeLine(io.stderr, `ingress-dev up: cannot listen on ${host}:${failedPort} (${err.code}); choose another --host or ${flag}`);
      return 1;
    }
    // A host name that does not resolve is the user's input, not a bug (the lookup happens on listen).
    if (err.syscall === 'getaddrinfo') {
      writeLine(io.stderr, `ingress-dev up: cannot listen on ${host}:${port}: the host name ${host} does not resolve (${err.code}); choose another --host, such as 127.0.0.1`);
      return 1;
    }
    throw e;
  }
  prepared.runLock?.setUrl(proxy.url);
  if (host === '0.0.0.0' || host === '::') {
    writeLine(io.stderr, `warning: listening on ${host}: the mapped services are now reachable from the network, not only from this machine`);
  }
  if (logMode === 'json') {
    writeLine(io.stdout, JSON.stringify({ type: 'proxy-started', at: Date.now(), url: proxy.url, host: proxy.host, port: proxy.port, httpsUrl: proxy.httpsUrl, httpsPort: proxy.httpsPort, caFile: https?.ca.certFile ?? null, routes: initial.table.routes.length, watching: changes !== null }));
  } else if (!useUi) {
    writeLine(io.stdout, formatStartup(proxy, initial.table, initial.resolver, color, changes !== null, https?.ca.certFile ?? null, servedBySecret, sources.inputs));
  }
  if (recorder !== null) {
    const rec = recorder;
    events.on('request-completed', (e) => rec.record(e, reloader.current.table));
    if (logMode === 'plain' && !useUi) writeLine(io.stdout, painter(color)('2', `Recording each new request as a route test in ${shownRecord ?? ''} (${rec.count()} there already).`));
  }
  // Health marks for the UI, backend-changed events for scripts reading --log json, and a line
  // in the plain log when a mapped target stops (or starts again) accepting connections.
  if (logMode === 'plain' && !useUi) logTargetHealth(io, events);
  const health = createHealthChecker({ getState: () => controller.current(), events });

  let stop: StopReason;
  if (stores !== null) {
    stderr.hold();
    try {
      // Loaded only here, so that the plain and JSON paths never load Ink and React. The stores
      // have been recording since before the port opened: the first frame shows all of it.
      const { startUi } = await import('../../ui/start-ui.js');
      let quit: (key: QuitKey) => void = () => {};
      const quitKey = new Promise<QuitKey>((resolve) => (quit = resolve));
      const keys = sources.inputs.inputs.some((i) => i.kind === 'stdin') ? terminalKeys() : null;
      const ui = await startUi({ ...(keys === null ? {} : { stdin: keys as unknown as NodeJS.ReadStream }), version: readVersion(), urls: proxy.httpsUrl === null ? [proxy.url] : [proxy.url, proxy.httpsUrl], ...(https === null ? {} : { caFile: https.ca.certFile, servedBySecret }), stores, startedAt: loadedAt, ...(sources.inputs.described === null ? {} : { source: sources.inputs.described }), ...(shownRecord === null ? {} : { recording: shownRecord }), onReload: () => void controller.reloadNow(), onQuit: (key) => quit(key) });
      stop = await Promise.race([quitKey.then((key): StopReason => ({ kind: 'key', key })), signals.first.then((signal): StopReason => ({ kind: 'signal', signal }))]);
      ui.unmount();
      keys?.destroy();
    } finally {
      stores.dispose();
      stderr.release();
    }
  } else {
    stop = { kind: 'signal', signal: await signals.first };
  }
  health.stop();
  const why = stop.kind === 'key' ? (stop.key === 'q' ? 'Quit' : 'Interrupted') : stop.signal === 'SIGINT' ? 'Interrupted' : 'Terminated';
  if (logMode === 'json') writeLine(io.stdout, JSON.stringify({ type: 'proxy-stopping', at: Date.now(), signal: stop.kind === 'signal' ? stop.signal : stop.key }));
  else writeLine(io.stdout, `${useUi ? '' : '\n'}${why}: stopping (in-flight requests get up to 10 s)…`);
  // No reload starts after this; one in progress finishes before the proxy closes.
  await changes?.close();
  await reloader.idle();
  // A second Ctrl-C does not wait for in-flight requests.
  await Promise.race([proxy.close(10_000), signals.repeated]);
  recorder?.flush();
  if (recorder !== null && shownRecord !== null && logMode === 'plain') writeLine(io.stdout, `${shownRecord}: ${recorder.count()} route tests (ingress-dev test --tests ${shownRecord})`);
  if (stop.kind === 'key') return stop.key === 'q' ? 0 : 130;
  return stop.signal === 'SIGINT' ? 130 : 143;
}

type StopReason = { readonly kind: 'key'; readonly key: QuitKey } | { readonly kind: 'signal'; readonly signal: Signal };

/** The terminal UI runs on a real terminal, unless --no-ui, --log json, or a CI environment. */
function wantsUi(args: ParsedArgs, io: CliIO, logMode: 'plain' | 'json', inputs: ResolvedInputs): boolean {
  if (args.flags['no-ui'] === true || logMode !== 'plain') return false;
  const ci = io.env.CI ?? io.env.CONTINUOUS_INTEGRATION;
  if (ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false') return false;
  // `-f -` took stdin: the UI reads its keys from the terminal itself, when there is one.
  if (inputs.inputs.some((i) => i.kind === 'stdin') && terminalKeys() === null) return false;
  return io.stdout === process.stdout && process.stdout.isTTY === true && io.env.TERM !== 'dumb';
}

let openedTerminal: tty.ReadStream | null | undefined;

/** The controlling terminal as a key source (`/dev/tty`), for when stdin carried the manifests; null without one. */
function terminalKeys(): tty.ReadStream | null {
  if (openedTerminal !== undefined) return openedTerminal;
  try {
    openedTerminal = new tty.ReadStream(openSync('/dev/tty', 'r'));
  } catch {
    openedTerminal = null;
  }
  return openedTerminal;
}

interface ProjectChanges {
  /** Batches seen before this call are delivered at once. */
  deliverTo(handler: (files: readonly string[]) => void): void;
  close(): Promise<void>;
}

/** Starts the watcher; batches wait until the reloader exists. Null (with a warning) if watching fails. */
async function watchProject(io: CliIO, dir: string, extraFiles: readonly string[], trees: readonly string[] = []): Promise<ProjectChanges | null> {
  let early: string[] = [];
  let handler: ((files: readonly string[]) => void) | null = null;
  let closed: Promise<void> | null = null;
  try {
    const watcher = await startWatcher({
      dir,
      files: extraFiles,
      trees,
      onChange: (files) => (handler === null ? early.push(...files) : handler(files)),
      onError: (error) => writeLine(io.stderr, `warning: watching ${displayPath({ dir }, io.cwd, '.')}: ${error.message}`),
    });
    return {
      deliverTo(h) {
        handler = h;
        if (early.length > 0) h(early);
        early = [];
      },
      close: () => (closed ??= watcher.close()),
    };
  } catch (error) {
    writeLine(io.stderr, `warning: cannot watch ${displayPath({ dir }, io.cwd, '.')} for changes (${(error as Error).message}); restart ingress-dev up to apply edits`);
    return null;
  }
}

/** One line per reload in the plain log; errors that are new in the applied state under it. */
function logReloads(io: CliIO, controller: UpController, project: CompiledProject, color: boolean): void {
  const where = (file: string) => displayPath(project, io.cwd, file);
  let shown = new Set(controller.current().diagnostics.map(diagnosticKey));
  const unusedMappings = () => formatUnusedMappings(controller.current().mappings, controller.current().project.load.resources.services);
  let warned = new Set(unusedMappings()); // printed at start
  controller.events.on('config-applied', (e) => {
    writeLine(io.stdout, formatReloadLine(e));
    if (e.restartNeeded !== null) writeLine(io.stderr, `warning: ${e.restartNeeded}`);
    for (const d of e.diagnostics) {
      if (d.severity === 'error' && !shown.has(diagnosticKey(d))) writeLine(io.stderr, formatDiagnostic({ ...d, file: where(d.file) }, { color }));
    }
    shown = new Set(e.diagnostics.map(diagnosticKey));
    // A mapping that an edit left without its Service (or a new misspelt one): said once, until it changes.
    const unused = unusedMappings();
    for (const line of unused) if (!warned.has(line)) writeLine(io.stderr, line);
    warned = new Set(unused);
  });
  controller.events.on('config-rejected', (e) => writeLine(io.stderr, formatRejectedLine(e, where)));
}

function diagnosticKey(d: Diagnostic): string {
  return `${d.code} ${d.file}:${d.line}:${d.col} ${d.message}`;
}

/** `reloaded in 23ms: +2 −1 ~1 routes (k8s/ingress.yaml)` */
export function formatReloadLine(e: ConfigApplied): string {
  const { added, removed, changed } = e.changes;
  const what = added.length + removed.length + changed.length === 0 ? 'no route changes' : `+${added.length} \u2212${removed.length} ~${changed.length} routes`;
  const errors = e.diagnostics.filter((d) => d.severity === 'error').length;
  return `reloaded in ${Math.round(e.durationMs)}ms: ${what} (${e.trigger})${errors > 0 ? `; ${errors} ${errors === 1 ? 'error' : 'errors'} in the manifests` : ''}`;
}

/** `reload rejected: k8s/ingress.yaml:12:5 E_YAML_SYNTAX …; still serving the last good routes` */
export function formatRejectedLine(e: ConfigRejected, where: (file: string) => string = (f) => f): string {
  const first = e.diagnostics[0];
  const more = e.diagnostics.length > 1 ? ` (+${e.diagnostics.length - 1} more)` : '';
  const problem = first === undefined ? e.trigger : `${formatLocation({ ...first, file: where(first.file) })} ${first.code} ${first.message}${more}`;
  return `reload rejected: ${problem}; still serving the last good routes`;
}

/**
 * `web:80 → http://127.0.0.1:3000 is not accepting connections …` when a probe of a target fails, and
 * `… is reachable again` when it answers after that: each fact once per target, again only
 * when it changes. A first probe that answers says nothing (the start-up lines list the targets);
 * containers that are not ready have no target here (their workload lines say why).
 */
function logTargetHealth(io: CliIO, events: EventBus): void {
  const refused = new Set<string>();
  events.on('backend-changed', (e) => {
    if (e.target === null || e.target === 'echo') return;
    const key = `${e.service} ${e.target}`;
    const what = `${e.service.startsWith('default/') ? e.service.slice('default/'.length) : e.service} → ${e.target}`;
    if (e.state === 'refused' && !refused.has(key)) {
      refused.add(key);
      writeLine(io.stderr, `warning: ${what} is not accepting connections; requests to it fail until it does`);
    } else if (e.state === 'reachable' && refused.delete(key)) {
      writeLine(io.stderr, `${what} is reachable again`);
    }
  });
}

/** Image pulls (with progress, a line per quarter), readiness, exits and restarts of `--run` containers. */
/** Returns what stops it. */
function logWorkloads(io: CliIO, events: EventBus): () => void {
  const shownQuarter = new Map<string, number>();
  /** Containers that left rotation: their removal is said too (a rollout's or a scale-down's), not only the apply's. */
  const leaving = new Set<string>();
  return events.on('workload-changed', (e) => {
    if (e.change === 'terminating' && e.container !== null) leaving.add(e.container);
    if (e.change === 'removed' && e.container !== null && leaving.delete(e.container)) {
      writeLine(io.stderr, `${e.workload === null ? '' : `${e.workload}: `}${e.message}`);
      return;
    }
    if (e.change === 'pulling') {
      const key = e.workload ?? e.message;
      const quarter = e.progress === null ? -1 : Math.floor(e.progress * 4);
      if (shownQuarter.get(key) === quarter) return;
      shownQuarter.set(key, quarter);
    }
    if (e.change === 'created' || e.change === 'removed' || e.change === 'leftovers') return; // the apply report says these
    // So does a failure of a whole workload or of a pull, once (issue 10 item 12).
    if (e.change === 'pull-failed' || e.change === 'build-failed' || (e.change === 'failed' && e.container === null)) return;
    writeLine(io.stderr, `${e.workload === null ? '' : `${e.workload}: `}${e.message}`);
  });
}

function parseLogMode(flag: unknown): 'plain' | 'json' {
  if (flag === undefined || flag === 'plain') return 'plain';
  if (flag === 'json') return 'json';
  throw new UsageError(`--log ${String(flag)}: use plain or json`);
}

function parsePort(flag: string | undefined, fromConfig: number | undefined, name = '--port'): number {
  if (flag === undefined) return fromConfig ?? listenDefaults.port;
  const port = Number(flag);
  if (!/^\d+$/.test(flag) || port > 65535) throw new UsageError(`${name} ${flag}: a port is a number from 0 to 65535`);
  return port;
}

function duration(flag: unknown, name: string): number | undefined {
  if (flag === undefined) return undefined;
  const ms = parseDuration(flag);
  if (ms === null) throw new UsageError(`${name} ${String(flag)}: write a duration such as 5s, 500ms or 1m`);
  return ms;
}

/**
 * SIGINT and SIGTERM for the whole of `up`, from its first moment: the first one stops it (at
 * start-up too), later ones hurry the stop (the second) or give up on it (the third).
 */
interface SignalLatch {
  /** Resolves with the first signal. */
  readonly first: Promise<Signal>;
  /** Resolves on the second signal. */
  readonly repeated: Promise<void>;
  received(): Signal | null;
  /** Called on the second signal and every one after it, with their count (2, 3, …). */
  onRepeat(handler: (count: number) => void): void;
  dispose(): void;
}

function createSignalLatch(io: CliIO): SignalLatch {
  let first: Signal | null = null;
  let count = 0;
  let resolveFirst: (s: Signal) => void = () => undefined;
  let resolveRepeated: () => void = () => undefined;
  const firstPromise = new Promise<Signal>((resolve) => (resolveFirst = resolve));
  const repeated = new Promise<void>((resolve) => (resolveRepeated = resolve));
  let repeatHandler: ((count: number) => void) | null = null;
  const handle = (s: Signal): void => {
    count++;
    if (first === null) {
      first = s;
      resolveFirst(s);
      return;
    }
    resolveRepeated();
    repeatHandler?.(count);
  };
  let off: () => void;
  if (io.onSignal !== undefined) {
    off = io.onSignal(handle);
  } else {
    process.on('SIGINT', handle);
    process.on('SIGTERM', handle);
    off = () => {
      process.off('SIGINT', handle);
      process.off('SIGTERM', handle);
    };
  }
  return {
    first: firstPromise,
    repeated,
    received: () => first,
    onRepeat: (handler) => void (repeatHandler = handler),
    dispose: () => off(),
  };
}

function exitCodeOf(signal: Signal): number {
  return signal === 'SIGINT' ? 130 : 143;
}

function interruptedAtStart(io: CliIO, signal: Signal): number {
  writeLine(io.stderr, `${signal === 'SIGINT' ? 'Interrupted' : 'Terminated'} while starting: stopping`);
  return exitCodeOf(signal);
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


/**
 * The HTTPS listener's certificates: the local CA (created on first use, or mkcert's) and the
 * store that serves the folder's Secrets, else issues by SNI. null when HTTPS is off, or when
 * the CA cannot be read or made (said on stderr: plain HTTP serves on).
 */
async function prepareHttps(io: CliIO, port: number | null, served: () => ReadonlyMap<string, ServedCertificate>): Promise<{ readonly port: number; readonly ca: LocalCa; readonly certificates: CertificateStore } | null> {
  if (port === null) return null;
  let ca: LocalCa;
  try {
    ca = await loadOrCreateCa(io.env);
  } catch (err) {
    writeLine(io.stderr, `warning: HTTPS is off: the local CA cannot be used: ${(err as Error).message} (fix or remove it, or run with --no-https)`);
    return null;
  }
  if (ca.created) writeLine(io.stderr, `Created a local CA for HTTPS: ${ca.certFile} (run ingress-dev trust to make browsers trust it)`);
  return { port, ca, certificates: createCertificateStore({ ca, served }) };
}

/** The listening URL, each host's routes with a request to try, and the Services with no endpoint. */
export function formatStartup(proxy: { url: string; port: number; host: string; httpsUrl?: string | null; httpsPort?: number | null }, table: RouteTable, resolver: BackendResolver, color: boolean, watching = false, caFile: string | null = null, servedBySecret: (host: string) => boolean = () => false, inputs: ResolvedInputs | null = null): string {
  const paint = painter(color);
  const bold = (s: string) => paint('1', s);
  const dim = (s: string) => paint('2', s);
  const loopback = proxy.host === '0.0.0.0' || proxy.host === '::' ? '127.0.0.1' : proxy.host;
  const base = `http://${authority('http', loopback, proxy.port)}`;
  const httpsPort = proxy.httpsPort ?? null;
  const lines = [`${bold('ingress-dev')} listening on ${bold(proxy.url)}${proxy.httpsUrl === undefined || proxy.httpsUrl === null ? '' : ` and ${bold(proxy.httpsUrl)}`}`, ''];
  const byHost = new Map<string | null, Route[]>();
  for (const r of table.routes) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
  for (const [host, routes] of byHost) {
    lines.push(bold(host ?? '* (any other host)'));
    for (const r of routes) {
      // A missing Service or port answers 503 whatever is mapped (the error above says why).
      const res = r.backend.kind === 'service' && r.backend.problem === null ? resolver.resolve(r.backend, { peek: true }) : null;
      const target = r.backend.kind === 'resource' ? 'resource backend: 503' : res === null ? `503: ${r.backend.problem}` : res.kind === 'target' ? formatTarget(res.target) : res.cause === 'docker' ? 'docker: 503 for now' : res.cause === 'workload' ? 'workload failed: 503' : 'unmapped: 503';
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
      lines.push(dim(`       http://${authority('http', `${exampleHost}.localhost`, proxy.port)}${path}  (in a browser)`));
      if (httpsPort !== null && caFile !== null) {
        // A host whose certificate is the folder's Secret is not signed by the local CA: its
        // `.localhost` alias routes the same and gets the local CA's.
        const caHost = servedBySecret(exampleHost) ? `${exampleHost}.localhost` : exampleHost;
        lines.push(dim(`       curl --cacert ${shellQuote(caFile)} --resolve ${caHost}:${httpsPort}:${loopback.includes(':') ? `[${loopback}]` : loopback} https://${authority('https', caHost, httpsPort)}${path}`));
      }
    }
    lines.push('');
  }
  // Gateway API: the HTTP listeners' route matches, by hostname, in the order they are tried.
  const gateway = table.gateway ?? null;
  if (gateway !== null) {
    for (const { group, hostname, entries } of hostLists(gateway, ['http'])) {
      if (entries.length === 0) continue;
      lines.push(`${bold(hostname ?? '* (any host)')}  ${dim(`Gateway API, ${formatGroup(group, 'http')}`)}`);
      for (const e of entries) {
        const targets = e.rule.backendRefs.map((b) => {
          if (b.backend === null || b.backend.kind !== 'service' || e.rule.fails !== null) return '500';
          const res = resolver.resolve(b.backend, { peek: true });
          return res.kind === 'target' ? formatTarget(res.target) : 'unmapped: 503';
        });
        lines.push(`  ${formatMatch(e.match).padEnd(42)} → ${formatRuleBackends(e.rule).padEnd(24)} ${targets.join(', ')}`);
      }
      const sample = entries.find((e) => e.match.path.type !== 'RegularExpression')?.match.path.value ?? '/';
      const exampleHost = hostname === null ? null : hostname.startsWith('*.') ? `demo${hostname.slice(1)}` : hostname;
      lines.push(dim(exampleHost === null ? `  try: curl ${base}${sample}` : `  try: curl -H 'Host: ${exampleHost}' ${base}${sample}`));
      lines.push('');
    }
  }
  const d = table.defaultBackend;
  if (d !== null) {
    const res = d.backend.kind === 'service' && d.backend.problem === null ? resolver.resolve(d.backend, { peek: true }) : null;
    lines.push(`${bold('default backend')} → ${formatBackend(d.backend)} ${res?.kind === 'target' ? formatTarget(res.target) : (d.backend.problem === null ? 'unmapped: 503' : `503: ${d.backend.problem}`)}`, '');
  }
  const unmapped = unmappedBackends(table, resolver);
  if (unmapped.length > 0) {
    lines.push(bold(`Unmapped Services (requests to them get 503):`));
    for (const b of unmapped) lines.push(`  ${formatBackend(b).padEnd(28)} --map ${b.namespace === 'default' ? '' : `${b.namespace}/`}${b.service}=PORT`);
    lines.push(dim('  or --echo-unmapped to answer them with the built-in echo'), '');
  }
  if (table.routes.length === 0 && d === null && (gateway === null || gateway.rules.length === 0)) lines.push('No routes: every request gets 404. Add an Ingress (or a Gateway and HTTPRoutes) to the folder.', '');
  const read = inputs?.described ?? null;
  const renders = inputs?.inputs.some((i) => i.kind === 'kustomize' || i.kind === 'helm') === true;
  const fromStdin = inputs?.inputs.some((i) => i.kind === 'stdin') === true;
  if (read !== null) lines.push(dim(`Manifests: ${read}${fromStdin ? ' (stdin is read once: restart to read it again)' : ''}`));
  const watched = read === null ? 'the folder: edits apply at once' : renders ? `${read} and its files: a change renders again and applies at once` : `${read}: edits apply at once`;
  lines.push(dim(watching ? `Watching ${watched}. Logging one line per request. Ctrl-C to stop.` : 'Logging one line per request. Ctrl-C to stop.'));
  return lines.join('\n');
}

function unmappedBackends(table: RouteTable, resolver: BackendResolver): ServiceBackend[] {
  const seen = new Map<string, ServiceBackend>();
  const all = tableBackends(table);
  for (const b of all) {
    // A backend whose Service or port is missing cannot be mapped: check reports it as an error.
    if (b.kind !== 'service' || b.problem !== null) continue;
    const key = `${b.namespace}/${b.service}:${b.port ?? b.portName}`;
    const res = seen.has(key) ? null : resolver.resolve(b, { peek: true });
    if (res?.kind === 'unavailable' && res.cause === 'unmapped') seen.set(key, b);
  }
  return [...seen.values()];
}

/** One line per request: time, method, host+path, status, duration, route, target. */
export function formatRequestLine(e: RequestCompleted, color: boolean): string {
  const time = new Date(e.startedAt).toISOString().slice(11, 23);
  const statusColor = e.status >= 500 ? '31' : e.status >= 400 ? '33' : e.status >= 300 ? '36' : '32';
  const status = color ? `\u001b[${statusColor}m${e.status}\u001b[0m` : String(e.status);
  // An absolute-form request (the proxy used as an HTTP proxy) carries the whole URL as its target.
  const where = e.path.startsWith('/') ? `${e.scheme === 'https' ? 'https://' : ''}${e.host}${e.path}` : e.path;
  const route = e.routeId ?? 'no route';
  const target = e.target === null ? '' : ` → ${e.target}`;
  const error = e.error === null ? '' : `  (${e.error})`;
  return `${time} ${e.method} ${where} ${status} ${Math.round(e.durationMs)}ms ${route}${target}${e.upgrade ? ' [upgrade]' : ''}${e.protocol === 'HTTP/2' ? ' [h2]' : ''}${error}`;
}

/** The `build.images` entries of the config file, with their contexts absolute (relative to the config file's folder). */
function buildSpecsOf(config: ProjectConfig | null, dir: string): BuildSpec[] {
  const build = config?.build;
  if (build === undefined) return [];
  const base = dirname(resolvePath(dir, config?.file ?? 'ingress-dev.yaml'));
  return build.images.map((b) => ({ image: b.image, context: resolvePath(base, b.context), dockerfile: b.dockerfile, target: b.target, args: b.args, at: b.at }));
}
