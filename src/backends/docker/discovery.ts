import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import Docker from 'dockerode';
import type { EventBus } from '../../events/bus.js';
import type { DockerChanged } from '../../events/types.js';
import { formatContainer, parseContainer, type DockerContainer, type InspectLike } from './containers.js';
import { findEngineCandidates, type EngineEndpoint, type EngineEnv } from './engine.js';
import type { DockerIndex, DockerSnapshot, DockerStatus } from './types.js';
import { projectIdOf, runLabels } from './labels.js';
import { mapLimit } from './map-limit.js';

export interface DockerDiscoveryOptions {
  /** Where engine changes and container changes are announced (`docker-changed`). */
  readonly events?: EventBus;
  readonly now?: () => number;
  /** Time between two connection attempts while no engine answers (default 2 s). */
  readonly retryMs?: number;
  /** Where to look for the engine; `process.env` by default (DOCKER_HOST, HOME, XDG_RUNTIME_DIR). */
  readonly env?: EngineEnv;
  /** Time one API call may take before the engine counts as not answering (default 5 s). */
  readonly timeoutMs?: number;
  /**
   * Set when Docker is turned off, to what turned it off (`--no-docker`, `docker: off in
   * ingress-dev.yaml`): no engine is looked for, and the status says why.
   */
  readonly disabled?: string;
  /**
   * The project folder of this `up`. Containers that `up --run` started for another project
   * (their `ingress-dev.project` label is another folder's id) are left out of the index: a
   * project's Services never select another project's workloads. Containers without the label
   * (started by hand, by compose) are indexed whatever the project.
   */
  readonly projectDir?: string;
}

export interface DockerDiscovery extends DockerIndex {
  /** Settles when the first connection attempt has finished, connected or not. Never rejects. */
  ready(): Promise<DockerStatus>;
  /** The endpoint of the engine while connected (the workload runner talks to the same one); null otherwise. */
  engine(): EngineEndpoint | null;
  /** Stop following the engine and stop retrying. Idempotent. */
  stop(): void;
}

/** Engine events that can change which containers run, and where they answer. */
const followedEvents = ['create', 'start', 'restart', 'stop', 'die', 'kill', 'pause', 'unpause', 'destroy', 'rename', 'update', 'connect', 'disconnect'];

const emptySnapshot = (version: number): DockerSnapshot => ({ version, containers: [], addresses: { reachable: false, why: 'not connected' } });

/**
 * Finds the Docker engine, keeps an in-memory index of its containers and follows its events,
 * so that the resolver can answer synchronously on every request. Never throws and never
 * writes: no engine, an engine that goes away and every failed call become a `DockerStatus`
 * (and a `docker-changed` event), and it keeps trying in the background on an unref'd timer.
 */
export function createDockerDiscovery(options: DockerDiscoveryOptions = {}): DockerDiscovery {
  const now = options.now ?? Date.now;
  const retryMs = options.retryMs ?? 2_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const env = options.env ?? process.env;
  const projectId = options.projectDir === undefined ? null : projectIdOf(options.projectDir);
  /** Whether a container belongs in this project's index (see `projectDir`). */
  const visible = (c: DockerContainer): boolean => {
    // A Service's relay forwards to the Service's endpoints: it is never one of them.
    if (c.labels.has(runLabels.relay)) return false;
    const owner = c.labels.get(runLabels.project);
    return projectId === null || owner === undefined || owner === projectId;
  };

  let status: DockerStatus = { state: 'connecting' };
  let snapshot: DockerSnapshot = emptySnapshot(0);
  let stopped = false;
  let retryTimer: NodeJS.Timeout | null = null;
  /** Grows with every connection, so callbacks of a lost one are ignored. */
  let session = 0;
  let stream: NodeJS.ReadableStream | null = null;
  let connectedTo: EngineEndpoint | null = null;
  let resolveReady: (s: DockerStatus) => void = () => undefined;
  const readyPromise = new Promise<DockerStatus>((resolve) => (resolveReady = resolve));

  function emit(change: DockerChanged['change'], message: string): void {
    const endpoint = status.state === 'connected' || status.state === 'unreachable' ? status.endpoint : null;
    const engine = status.state === 'connected' ? 'connected' : 'unreachable';
    options.events?.emit({ type: 'docker-changed', at: now(), change, engine, endpoint, message });
  }

  function setStatus(next: DockerStatus): void {
    const previous = status;
    status = next;
    if (next.state !== 'connected') {
      snapshot = emptySnapshot(snapshot.version + 1);
      connectedTo = null;
    }
    // Announce transitions only: a retry that fails the same way again is not news.
    const same = previous.state === next.state && (next.state !== 'unreachable' || (previous.state === 'unreachable' && previous.error === next.error));
    if (!same) emit('engine', formatDockerStatus(next));
    resolveReady(next);
  }

  function scheduleRetry(): void {
    if (stopped || retryTimer !== null) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, retryMs);
    retryTimer.unref();
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    const candidates = findEngineCandidates(env, existsSync);
    if (candidates.kind === 'invalid') {
      setStatus({ state: 'unreachable', endpoint: null, error: candidates.error, hint: 'fix DOCKER_HOST, or unset it to use the usual sockets', since: now(), retrying: false });
      return;
    }
    const endpoints = candidates.kind === 'explicit' ? [candidates.endpoint] : candidates.present;
    if (endpoints.length === 0) {
      setStatus({
        state: 'unreachable',
        endpoint: null,
        error: 'no engine socket found',
        hint: `start Docker or Podman, or set DOCKER_HOST (looked for ${lookedFor(candidates.kind === 'probed' ? candidates.tried : [])})`,
        since: now(),
        retrying: true,
      });
      scheduleRetry();
      return;
    }
    let failure: { endpoint: EngineEndpoint; error: unknown } | null = null;
    for (const endpoint of endpoints) {
      const attempt = await tryEndpoint(endpoint);
      if (stopped) return;
      if (attempt.ok) {
        await startSession(endpoint, attempt.api, attempt.info);
        return;
      }
      failure ??= { endpoint, error: attempt.error };
    }
    if (failure !== null) {
      setStatus({
        state: 'unreachable',
        endpoint: failure.endpoint.display,
        error: errorText(failure.error),
        hint: adviceFor(failure.error, failure.endpoint),
        since: now(),
        retrying: true,
      });
    }
    scheduleRetry();
  }

  async function tryEndpoint(endpoint: EngineEndpoint): Promise<{ ok: true; api: Docker; info: EngineInfo } | { ok: false; error: unknown }> {
    try {
      const api = createClient(endpoint, timeoutMs);
      await api.ping();
      const info = (await api.version().catch(() => ({}))) as EngineInfo;
      const system = (await api.info().catch(() => ({}))) as EngineInfo;
      return { ok: true, api, info: { ...info, ...system } };
    } catch (error) {
      return { ok: false, error };
    }
  }

  async function startSession(endpoint: EngineEndpoint, api: Docker, info: EngineInfo): Promise<void> {
    const id = ++session;
    const live = (): boolean => !stopped && id === session;
    const containers = new Map<string, DockerContainer>();
    /** The newest inspect of each container wins, whatever order the answers come back in. */
    const tickets = new Map<string, number>();
    let ticketCounter = 0;
    let synced = false;
    const addresses = addressReachability(endpoint, info);

    const lose = (error: unknown): void => {
      if (!live()) return;
      session++;
      closeStream();
      setStatus({ state: 'unreachable', endpoint: endpoint.display, error: errorText(error), hint: adviceFor(error, endpoint), since: now(), retrying: true });
      scheduleRetry();
    };

    const publish = (): void => {
      if (!synced || !live()) return;
      snapshot = { version: snapshot.version + 1, containers: [...containers.values()].filter(visible).toSorted((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)), addresses };
    };

    const refresh = async (containerId: string): Promise<DockerContainer | null | 'stale'> => {
      const ticket = ++ticketCounter;
      tickets.set(containerId, ticket);
      let parsed: DockerContainer | null;
      try {
        parsed = parseContainer((await api.getContainer(containerId).inspect()) as InspectLike);
      } catch (error) {
        if (statusCode(error) !== 404) throw error;
        parsed = null; // removed in the meantime
      }
      if (!live() || tickets.get(containerId) !== ticket) return 'stale';
      if (parsed === null) containers.delete(containerId);
      else containers.set(containerId, parsed);
      publish();
      return parsed;
    };

    const onEvent = (event: EngineEvent): void => {
      const containerId = event.Type === 'network' ? event.Actor?.Attributes?.container : event.Actor?.ID ?? event.id;
      const action = (event.Action ?? event.status ?? '').split(':')[0] ?? '';
      if (containerId === undefined || containerId === '' || !followedEvents.includes(action)) return;
      if (action === 'destroy') {
        tickets.set(containerId, ++ticketCounter);
        const gone = containers.get(containerId);
        containers.delete(containerId);
        publish();
        if (gone !== undefined && synced && visible(gone)) emit('container', `container ${formatContainer(gone)} removed`);
        return;
      }
      refresh(containerId).then(
        (c) => {
          if (c !== 'stale' && c !== null && synced && visible(c)) emit('container', `container ${formatContainer(c)} ${describeAction(action, c)}`);
        },
        (error: unknown) => lose(error),
      );
    };

    try {
      // Follow events before listing, so nothing that happens during the listing is missed.
      const events = createClient(endpoint, 0);
      const s = await events.getEvents({ filters: { type: ['container', 'network'], event: followedEvents } });
      if (!live()) {
        destroyStream(s);
        return;
      }
      stream = s;
      // The event stream must never keep the process alive on its own.
      (s as { socket?: { unref?: () => void } }).socket?.unref?.();
      const lines = lineReader((line) => {
        try {
          onEvent(JSON.parse(line) as EngineEvent);
        } catch {
          /* a line that is not an event: ignored */
        }
      });
      s.on('data', (chunk: Buffer | string) => lines.push(chunk));
      s.on('error', (error: unknown) => lose(error));
      s.on('end', () => lose(new Error('the engine closed the event stream')));
      s.on('close', () => lose(new Error('the engine closed the event stream')));

      const listed = await api.listContainers({ all: true });
      await mapLimit(listed, 8, async (c) => {
        if (!tickets.has(c.Id)) await refresh(c.Id); // an event may have refreshed it already
      });
      if (!live()) return;
      synced = true;
      publish();
      connectedTo = endpoint;
      setStatus({ state: 'connected', endpoint: endpoint.display, engine: engineName(info), since: now() });
    } catch (error) {
      lose(error);
    }
  }

  function closeStream(): void {
    if (stream !== null) destroyStream(stream);
    stream = null;
  }

  if (options.disabled === undefined) void connect();
  else {
    status = { state: 'disabled', reason: options.disabled };
    resolveReady(status);
  }

  return {
    status: () => status,
    snapshot: () => snapshot,
    ready: () => readyPromise,
    engine: () => (status.state === 'connected' ? connectedTo : null),
    stop() {
      if (stopped) return;
      stopped = true;
      session++;
      if (retryTimer !== null) clearTimeout(retryTimer);
      retryTimer = null;
      closeStream();
    },
  };
}

/**
 * The one-line notice for the CLI and the UI: `Docker: connected to unix:///var/run/docker.sock
 * (Docker Engine 20.10.24)`, `Docker: no engine found (…); retrying in the background`.
 */
export function formatDockerStatus(status: DockerStatus): string {
  switch (status.state) {
    case 'disabled':
      return `Docker: off (${status.reason})`;
    case 'connecting':
      return 'Docker: looking for an engine…';
    case 'connected':
      return `Docker: connected to ${status.endpoint} (${status.engine}); Services are routed to matching containers`;
    case 'unreachable': {
      const retry = status.retrying ? '; Services are routed to containers as soon as it answers' : '';
      if (status.endpoint === null) return `Docker: ${status.error}: ${status.hint}${retry}`;
      return `Docker: engine not reachable at ${status.endpoint} (${status.error}): ${status.hint}${retry}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------

interface EngineInfo {
  readonly Version?: string;
  readonly ServerVersion?: string;
  readonly OperatingSystem?: string;
  readonly SecurityOptions?: readonly string[];
  readonly Components?: readonly { readonly Name?: string; readonly Version?: string }[];
}

interface EngineEvent {
  readonly Type?: string;
  readonly Action?: string;
  readonly status?: string;
  readonly id?: string;
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Record<string, string> };
}

/** A client of one engine endpoint; `timeoutMs` 0 for calls that may take long (events, pulls). */
export function createClient(endpoint: EngineEndpoint, timeoutMs: number): Docker {
  // Every connection option is passed explicitly: dockerode otherwise fills the gaps from
  // process.env (DOCKER_HOST), which would override the endpoint chosen here.
  const common = { timeout: timeoutMs > 0 ? timeoutMs : undefined, version: undefined };
  if (endpoint.kind === 'unix') return new Docker({ ...common, socketPath: endpoint.socketPath, host: undefined, port: undefined, protocol: undefined });
  const certs = endpoint.tls && endpoint.certPath !== null ? readCerts(endpoint.certPath) : {};
  return new Docker({ ...common, socketPath: undefined, host: endpoint.host, port: endpoint.port, protocol: endpoint.tls ? 'https' : 'http', ...certs });
}

function readCerts(dir: string): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const read = (file: string): Buffer | undefined => {
    try {
      return readFileSync(join(dir, file));
    } catch {
      return undefined;
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

/** `/var/run/docker.sock and 7 other usual sockets`: short enough for a one-line notice. */
function lookedFor(tried: readonly EngineEndpoint[]): string {
  const first = tried[0];
  if (first === undefined) return 'no socket';
  const path = first.kind === 'unix' ? first.socketPath : first.display;
  return tried.length > 1 ? `${path} and ${tried.length - 1} other usual sockets` : path;
}

function engineName(info: EngineInfo): string {
  const podman = info.Components?.find((c) => /podman/i.test(c.Name ?? ''));
  if (podman !== undefined) return `Podman ${podman.Version ?? ''}`.trim();
  const os = info.OperatingSystem === 'Docker Desktop' ? 'Docker Desktop, ' : '';
  return `${os}Docker Engine ${info.ServerVersion ?? info.Version ?? '?'}`;
}

/**
 * Container addresses answer from this process only when the engine runs containers in this
 * machine's own network namespace: a rootful engine on Linux, reached through a local socket.
 */
function addressReachability(endpoint: EngineEndpoint, info: EngineInfo): DockerSnapshot['addresses'] {
  if (process.platform !== 'linux') return { reachable: false, why: `container addresses are not reachable from ${process.platform === 'darwin' ? 'macOS' : process.platform}` };
  if (endpoint.kind === 'tcp') return { reachable: false, why: `the engine at ${endpoint.display} is on another machine` };
  if (info.OperatingSystem === 'Docker Desktop') return { reachable: false, why: 'Docker Desktop keeps container addresses inside its VM' };
  if (endpoint.source === 'colima' || endpoint.source === 'Rancher Desktop' || endpoint.source === 'OrbStack') return { reachable: false, why: `${endpoint.source} keeps container addresses inside its VM` };
  if (info.SecurityOptions?.some((o) => o.includes('rootless')) === true || endpoint.source.includes('rootless')) {
    return { reachable: false, why: 'a rootless engine keeps container addresses in its own network namespace' };
  }
  return { reachable: true };
}

function describeAction(action: string, c: DockerContainer): string {
  switch (action) {
    case 'start':
    case 'restart':
      return c.state === 'running' ? 'started' : `is ${c.state}`;
    case 'die':
    case 'stop':
    case 'kill':
      return c.state === 'running' ? 'is running' : c.exitCode === null ? 'stopped' : `exited with code ${c.exitCode}`;
    case 'rename':
      return 'renamed';
    case 'create':
      return 'created';
    default:
      return `changed (${action})`;
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = error.message.replace(/\s+/g, ' ').trim();
    return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
  }
  return String(error);
}

function adviceFor(error: unknown, endpoint: EngineEndpoint): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EACCES') return 'permission denied: add your user to the docker group (then log in again), or use a rootless engine';
  if (code === 'ENOENT') return endpoint.kind === 'unix' ? `no socket at ${endpoint.socketPath}: start Docker, or point DOCKER_HOST at its socket` : 'start Docker';
  if (code === 'ECONNREFUSED') return 'the engine is not running: start Docker';
  return 'is the engine running? `docker info` tells';
}

function statusCode(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function destroyStream(s: NodeJS.ReadableStream): void {
  try {
    s.removeAllListeners('end');
    s.removeAllListeners('close');
    s.on('error', () => undefined);
    (s as { destroy?: () => void }).destroy?.();
  } catch {
    /* already closed */
  }
}

/** Newline-delimited JSON, as the engine streams events: chunks split and join lines freely. */
function lineReader(onLine: (line: string) => void): { push(chunk: Buffer | string): void } {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  return {
    push(chunk) {
      rest += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      let nl = rest.indexOf('\n');
      while (nl >= 0) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        if (line !== '') onLine(line);
        nl = rest.indexOf('\n');
      }
    },
  };
}

