import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { createDiagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { EventBus } from '../../events/bus.js';
import type { ServiceAddress, WorkloadChanged } from '../../events/types.js';
import type { ResourceSet, Service } from '../../manifest/types.js';
import { createClient, type DockerDiscovery } from './discovery.js';
import { projectIdOf, projectSlugOf, runLabels } from './labels.js';
import type { ProbeResult } from './probe.js';
import { createReadinessTracker, type ReadinessChange } from './readiness.js';
import type { ReadinessIndex } from './types.js';
import { clusterNames, planWorkloads, type ReplicaPlan, type WorkloadPlan } from './workload-spec.js';
import { formatRolloutProgress, planRolloutStep, type RolloutContainer } from './rollout.js';
import { addressMatcher } from './select.js';
import type { InflightRequests } from '../inflight.js';
import { mapLimit } from './map-limit.js';
import { createWorkloadProblems } from './workload-problems.js';
import { buildFor, buildImage, contextDigestLabel, readContext, type BuildContext, type BuildSpec } from './build.js';
import { createHostForwarders, ensureRelayImage, relayLabels, relayRoutes, relayedServices, relaySupport, serviceKey } from './service-relay.js';

export interface WorkloadRunnerOptions {
  /** The discovery `up` already runs: the runner uses the same engine, and its index for readiness. */
  readonly docker: DockerDiscovery;
  /** The project folder: its path gives the project id that labels everything the runner creates. */
  readonly projectDir: string;
  /** Where progress is announced (`workload-changed`); a reconnecting engine re-applies through it. */
  readonly events?: EventBus;
  readonly now?: () => number;
  /** More labels for every container and network (tests mark theirs with `ingress-dev.test=1`). */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Publish container ports on 127.0.0.1. Default: only when container addresses are not
   * reachable from this process (Docker Desktop, colima, rootless engines).
   */
  readonly publishPorts?: boolean;
  /** The longest wait between two readiness checks of a container (default 1 s). */
  readonly maxProbeIntervalMs?: number;
  /** Seconds a container gets to stop on SIGTERM before it is killed, when removed (default 2). */
  readonly stopTimeoutSeconds?: number;
  /**
   * Called with the report of every apply, also those the runner starts itself (a container
   * removed behind its back, the engine back): the CLI prints what changed from these.
   */
  readonly onReport?: (report: ApplyReport) => void;
  /** The first wait before a container that exited (and that the engine does not restart) is started again (default 1 s; doubles up to 30 s). */
  readonly restartBackoffMs?: number;
  /**
   * The proxy's count of requests in progress: a container that leaves (a rollout, a
   * scale-down) is out of rotation at once and stopped once it has answered them (within the
   * pod's terminationGracePeriodSeconds). Without it, leaving containers are stopped at once.
   */
  readonly inflight?: InflightRequests;
  /**
   * Images to build from the project instead of pulling (`build:` in ingress-dev.yaml), read at
   * each apply; `mode`: `auto` builds what is missing or changed since its build, `always` builds
   * each at the first apply too (`--build`), `never` builds nothing (`--no-build`).
   */
  readonly builds?: () => { readonly specs: readonly BuildSpec[]; readonly mode: 'auto' | 'always' | 'never' };
  /**
   * Where a connection to a Service port goes (the proxy's resolver: a ready container, round
   * robin, or a mapped target); with it, each Service gets a relay on the project network, so
   * that containers call Services on their ports (`http://api:80`). Without it, or where relays
   * cannot work, Service names are aliases of the workload containers (their targetPorts).
   */
  readonly routeService?: (namespace: string, service: string, port: number, portName: string | null) => { readonly host: string; readonly port: number } | null;
}

/** What one `apply` did, for the CLI to print and the UI to show. */
export interface ApplyReport {
  /** Every workload of the folder, in file order. */
  readonly workloads: readonly WorkloadOutcome[];
  /** Workloads no longer in the folder, whose containers were removed: `Deployment default/old (2 containers)`. */
  readonly removed: readonly string[];
  /** Problems by file position: sidecars not run, a missing ConfigMap, an image that cannot be pulled. */
  readonly diagnostics: readonly Diagnostic[];
  /** What earlier runs of this project left and this apply removed (the first apply only). */
  readonly leftovers: readonly string[];
  /** The project network, once there is one. */
  readonly network: string | null;
  /** Set when nothing could run because the engine is not reachable (or Docker is off): why, once for all workloads. */
  readonly engine?: string | null;
  /** The Services' relay addresses in the project network (none where relays cannot work). */
  readonly services?: readonly ServiceAddress[];
}

export interface WorkloadOutcome {
  /** `Deployment default/web`. */
  readonly workload: string;
  /**
   * `created`: it had no containers; `updated`: its pod spec changed and its containers were
   * recreated; `scaled`: replicas were added or removed; `unchanged`; `failed`: see `error`
   * (containers of an earlier version, if any, keep running).
   */
  readonly action: 'created' | 'updated' | 'scaled' | 'unchanged' | 'failed';
  /** Its containers after the apply. */
  readonly containers: readonly { readonly id: string; readonly name: string }[];
  /** Containers out of rotation that finish their requests, then stop (a rollout, a scale-down). */
  readonly leaving: readonly { readonly id: string; readonly name: string }[];
  /** While a rollout is under way: `rolling update: 1 of 2 replicas updated, waiting for shop-web-2-3f2a1 to be ready`. */
  readonly rollout: string | null;
  readonly error: string | null;
}

export interface WorkloadRunner {
  /** `projectIdOf(projectDir)`: the value of the `ingress-dev.project` label. */
  readonly projectId: string;
  /** The value of the `ingress-dev.run` label on everything this runner creates. */
  readonly runId: string;
  /** `ingress-dev-shop-1a2b3c4d`: the network every container joins. */
  readonly network: string;
  /** Pass to `createResolver({ readiness })`: requests go only to ready containers. */
  readonly readiness: ReadinessIndex;
  /**
   * Make the containers match the workloads of `resources`: create what is missing, recreate
   * what changed, remove what is gone. Called at start and after every reload; calls are queued,
   * never run at the same time. Never rejects: engine errors are reported per workload.
   */
  apply(resources: ResourceSet): Promise<ApplyReport>;
  /**
   * Build these images again (their context changed: `build.images` names), then apply the
   * last resources: the workloads that run them are rolled out on the new image.
   */
  rebuild(images: readonly string[]): Promise<ApplyReport | null>;
  /**
   * Remove containers and networks that earlier runs of this project left (a run that was
   * killed), never those of a run that is still alive, never anything without the project's
   * label. One line per thing removed. The first `apply` does it too, when not done yet.
   */
  cleanupLeftovers(): Promise<readonly string[]>;
  /**
   * Stop checking, then remove every container and the network of this run. One line per thing
   * removed, and one per thing that could not be, with the command that removes it.
   */
  stop(): Promise<readonly string[]>;
  /**
   * A second Ctrl-C: stop without the grace period (containers are removed at once, not stopped
   * first) and abort pulls. What this run created is still removed. Call after (or with) stop().
   */
  hurry(): void;
}

interface Clients {
  readonly endpoint: string;
  /** Calls that answer quickly. */
  readonly api: Docker;
  /** Pulls and the like, which may take minutes. */
  readonly slow: Docker;
}

/** What the engine lists of a container (the fields read here). */
interface Listed {
  readonly Id: string;
  readonly Names?: readonly string[];
  readonly Labels?: Readonly<Record<string, string>>;
  readonly State?: string;
}

type ImageResult = { readonly ok: true } | { readonly ok: false; readonly error: string; readonly hint: string; readonly repeated?: boolean; /** A build's failure (its diagnostic is at the build entry, said once). */ readonly built?: boolean };

/**
 * Runs the Deployments, StatefulSets and Pods of the folder as containers (`up --run`): one
 * network per project where every container is reachable by the cluster DNS names of the
 * Services that select it, readiness checks that gate routing, restarts with backoff (the
 * engine's restart policy), and labels on everything so that `stop()` and the next run remove
 * exactly what a run created.
 */
export function createWorkloadRunner(options: WorkloadRunnerOptions): WorkloadRunner {
  const now = options.now ?? Date.now;
  const projectDir = path.resolve(options.projectDir);
  const projectId = projectIdOf(projectDir);
  const projectSlug = projectSlugOf(projectDir);
  const runId = randomBytes(4).toString('hex');
  const networkName = `ingress-dev-${projectSlug}-${runId}`;
  const stopTimeout = options.stopTimeoutSeconds ?? 2;
  const restartBackoffMs = options.restartBackoffMs ?? 1_000;
  let hurried = false;
  /** Containers being stopped now: a hurry removes them at once. */
  const stoppingIds = new Set<string>();
  /** Workloads whose image could not be had, for the spec that failed: not pulled again until the workload changes. */
  const pullFailures = new Map<string, { readonly spec: string; readonly result: ImageResult }>();
  /** Workloads whose image was pulled (imagePullPolicy Always) for this spec: not pulled again on every save. */
  const pulledFor = new Map<string, string>();
  /** The line said while the engine does not answer, so that it is said once. */
  let engineWait: string | null = null;
  /** Build entries (by `build.images` name) to build at the next apply whatever their digest: `--build`, a change in the context. */
  const forcedBuilds = new Set<string>();
  let firstBuildsDone = false;
  /** The host side of the Service relays, and the relays' image (built once per run). */
  const forwarders = options.routeService === undefined ? null : createHostForwarders(options.routeService);
  let relayImage: string | null = null;
  /** Why relays are off, once known (said once). */
  let relayOff: string | null = null;
  /** Images an earlier build of this run made and a newer build replaced: removed when unused. */
  const superseded = new Set<string>();
  /** Each build entry's context as last read. */
  const contexts = new Map<string, BuildContext>();
  /** Each build entry's last failure, for the digest it failed on: not built again until its context changes. */
  const buildFailures = new Map<string, { readonly digest: string; readonly result: ImageResult }>();
  /** Containers leaving now (out of rotation, answering their last requests, then stopped), by id. */
  const terminating = new Map<string, { readonly workload: string; readonly name: string; readonly index: number; readonly done: Promise<void> }>();
  /** Aborts the drains when the run stops: what is left is removed at once. */
  const drainAbort = new AbortController();
  /** Workloads in the middle of a rollout: a container of theirs that becomes ready or has stopped plans the next step. */
  const rolling = new Set<string>();
  /** Exited containers waiting to be started again, and how many times each was. */
  const restarts = new Map<string, { count: number; lastAt: number; timer: NodeJS.Timeout | null }>();
  const extraLabels = options.labels ?? {};
  const runLabelValues: Record<string, string> = {
    [runLabels.project]: projectId,
    [runLabels.projectDir]: projectDir,
    [runLabels.run]: runId,
    [runLabels.runPid]: String(process.pid),
    [runLabels.runHost]: os.hostname(),
  };

  let clients: Clients | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let lastResources: ResourceSet | null = null;
  let leftoversDone = false;
  let networkReady = false;
  let stopped = false;
  let stopping: Promise<readonly string[]> | null = null;
  let reconcileTimer: NodeJS.Timeout | null = null;
  /** The aliases each container of this run joined the network with. */
  const aliasesById = new Map<string, readonly string[]>();
  /** Pulls in progress: stop() aborts them rather than wait minutes for an image nobody needs any more. */
  const pulls = new Set<NodeJS.ReadableStream>();
  /** And their requests: a registry that does not answer holds the request itself, before any stream. */
  const pullRequests = new Set<AbortController>();
  const abortPulls = (): void => {
    for (const pull of pulls) (pull as { destroy?: (error: Error) => void }).destroy?.(new Error('ingress-dev is stopping'));
    for (const request of pullRequests) request.abort(new Error('ingress-dev is stopping'));
  };

  const emit = (change: WorkloadChanged['change'], workload: string | null, container: string | null, message: string, progress: number | null = null): void => {
    options.events?.emit({ type: 'workload-changed', at: now(), workload, change, container, progress, message });
  };

  /** Why a workload cannot serve its Services, for the 503 (issue 10 item 2). */
  const problems = createWorkloadProblems();
  /** The image of each workload of the last apply, for the UI's `workloads-applied` event. */
  let imageOf = new Map<string, string>();
  const tracker = createReadinessTracker({
    index: options.docker,
    now,
    maxIntervalMs: options.maxProbeIntervalMs,
    exec: (id, command, timeoutMs) => execProbe(id, command, timeoutMs),
    onChange: (c: ReadinessChange) => {
      emit(c.change, c.container.workload, c.container.name, c.message);
      if (c.change === 'exited') scheduleRestart(c.container.id, c.container.workload);
      if (c.change === 'exited') problems.setCrash(c.container.workload, c.container.name, c.message);
      else if (c.change === 'restarted' || c.change === 'ready') problems.clearCrash(c.container.workload);
      // A rollout's next step waits for this.
      if (rolling.has(c.container.workload)) scheduleReconcile(50);
    },
    // Someone removed a container of this run: make another, as a ReplicaSet would.
    onGone: (c) => {
      aliasesById.delete(c.id);
      forgetRestart(c.id);
      emit('removed', c.workload, c.name, `container ${c.name} was removed by someone else; it is created again`);
      scheduleReconcile();
    },
  });

  const offEngine = options.events?.on('docker-changed', (e) => {
    if (e.change === 'engine' && e.engine === 'connected') scheduleReconcile();
  });

  function scheduleReconcile(delayMs = 300): void {
    if (stopped || lastResources === null || reconcileTimer !== null) return;
    reconcileTimer = setTimeout(() => {
      reconcileTimer = null;
      if (!stopped && lastResources !== null) void apply(lastResources);
    }, delayMs);
    reconcileTimer.unref();
  }

  /**
   * A container of a Deployment that exited and that the engine does not start again (it was
   * killed: the engine's restart policy does not restart what `docker kill` or `docker stop`
   * stopped) is started again, as the kubelet restarts a pod's container: after 1 s, then
   * twice as long each time (up to 30 s), back to 1 s after it ran for a minute.
   */
  function scheduleRestart(id: string, workload: string): void {
    if (stopped) return;
    const state = restarts.get(id) ?? { count: 0, lastAt: 0, timer: null };
    if (state.timer !== null) return;
    if (now() - state.lastAt > 60_000) state.count = 0;
    const delay = Math.min(restartBackoffMs * 2 ** state.count, 30_000);
    state.timer = setTimeout(() => {
      state.timer = null;
      void restartIfExited(id, workload, state);
    }, delay);
    state.timer.unref();
    restarts.set(id, state);
  }

  function forgetRestart(id: string): void {
    const state = restarts.get(id);
    if (state !== undefined && state.timer !== null) clearTimeout(state.timer);
    restarts.delete(id);
  }

  async function restartIfExited(id: string, workload: string, state: { count: number; lastAt: number }): Promise<void> {
    const c = getClients();
    if (stopped || c === null || !tracker.has(id)) return;
    try {
      const info = (await c.api.getContainer(id).inspect()) as { State?: { Status?: string; ExitCode?: number }; HostConfig?: { RestartPolicy?: { Name?: string } } };
      const status = info.State?.Status ?? '';
      if (status === 'running' || status === 'restarting' || status === 'removing' || status === 'paused') return; // the engine restarted it
      const policy = info.HostConfig?.RestartPolicy?.Name ?? 'no';
      if (policy === 'no' || (policy === 'on-failure' && info.State?.ExitCode === 0)) return; // a Pod with restartPolicy Never / OnFailure
      if (stopped || !tracker.has(id)) return;
      state.count++;
      state.lastAt = now();
      await c.api.getContainer(id).start();
    } catch (error) {
      if (statusCode(error) === 404) return; // removed: the tracker sees it gone and a new one is made
      if (statusCode(error) === 304) return; // started in the meantime
      emit('failed', workload, null, `could not start container ${id.slice(0, 12)} again: ${errorText(error)}`);
      scheduleRestart(id, workload);
    }
  }

  function getClients(): Clients | null {
    const endpoint = options.docker.engine();
    if (endpoint === null) return null;
    if (clients?.endpoint !== endpoint.display) {
      clients = { endpoint: endpoint.display, api: createClient(endpoint, 30_000), slow: createClient(endpoint, 0) };
      networkReady = false;
    }
    return clients;
  }

  function apply(resources: ResourceSet): Promise<ApplyReport> {
    const run = queue.then(async () => {
      const report = await reconcile(resources);
      options.onReport?.(report);
      options.events?.emit({ type: 'workloads-applied', at: now(), workloads: report.workloads.map((w) => ({ ...w, image: imageOf.get(w.workload) ?? null })), diagnostics: report.diagnostics, engine: report.engine ?? null, ...(report.services === undefined ? {} : { services: report.services }) });
      return report;
    });
    queue = run.catch(() => undefined);
    return run;
  }

  async function reconcile(resources: ResourceSet): Promise<ApplyReport> {
    const status = options.docker.status();
    const publishPorts = options.publishPorts ?? (status.state === 'connected' && !options.docker.snapshot().addresses.reachable);
    let plans = planWorkloads(resources, { projectId, projectSlug, projectDir, publishPorts, labels: extraLabels });
    const diagnostics: Diagnostic[] = [...plans.diagnostics];
    const failedAll = (error: string, engine: string | null = null): ApplyReport => ({
      workloads: sortByPosition([...plans.workloads, ...plans.failed]).map((w) => ({ workload: w.title, action: 'failed', containers: [], leaving: [], rollout: null, error: 'error' in w ? w.error : error })),
      removed: [],
      diagnostics,
      leftovers: [],
      network: null,
      engine,
    });
    if (stopped) return failedAll('ingress-dev is stopping');
    lastResources = resources;
    problems.retain(new Set([...plans.workloads, ...plans.failed].map((w) => w.title)));
    imageOf = new Map(plans.workloads.map((w) => [w.title, w.image]));
    const c = getClients();
    if (c === null) {
      // The engine's own state (where, why, what to do) is the Docker line's to say, once.
      const error = status.state === 'disabled' ? `Docker is off (${status.reason}); workloads cannot run` : 'the Docker engine is not reachable; the workloads start when it answers';
      // One fact for the whole run, said once while it lasts (not once per workload and save).
      if (engineWait !== error) emit('failed', null, null, error);
      engineWait = error;
      return failedAll(error, error);
    }
    engineWait = null;
    // Images built from the project: built first (what changed), and their ids become part of each
    // replica's spec, so that a new build rolls the workloads that run it.
    const built = await ensureBuilds(c, plans.workloads, diagnostics);
    if (built.ids.size > 0) plans = planWorkloads(resources, { projectId, projectSlug, projectDir, publishPorts, labels: extraLabels, imageIds: built.ids });
    try {
      const leftovers = leftoversDone ? [] : await cleanupLeftovers();
      let serviceAddresses: ServiceAddress[] | null = null;
      const listed = (await c.api.listContainers({ all: true, filters: { label: [`${runLabels.run}=${runId}`] } })) as Listed[];
      // The Services' relays are not workloads.
      const own = listed.filter((info) => info.Labels?.[runLabels.relay] === undefined);
      const relays = listed.filter((info) => info.Labels?.[runLabels.relay] !== undefined);
      const byWorkload = new Map<string, Listed[]>();
      for (const info of own) {
        const key = info.Labels?.[runLabels.workload] ?? '';
        byWorkload.set(key, [...(byWorkload.get(key) ?? []), info]);
      }
      const inFolder = new Set([...plans.workloads.map((w) => w.key), ...plans.failed.map((f) => f.key)]);
      const removed: string[] = [];
      for (const [key, list] of byWorkload) {
        if (inFolder.has(key)) continue;
        const title = titleOfKey(key);
        const staying = list.filter((info) => !terminating.has(info.Id));
        if (staying.length === 0) continue;
        rolling.delete(title);
        // As a deleted Deployment's pods: out of rotation, their last requests answered, stopped.
        for (const info of staying) terminate(c, title, info, 'its workload left the folder', defaultDrainMs);
        removed.push(`${title} (${staying.length} container${staying.length === 1 ? '' : 's'})`);
      }
      if (plans.workloads.some((w) => w.replicas.length > 0)) {
        await ensureNetwork(c);
        // Service addresses: a relay per Service first, so that the workloads get its address
        // (their Service variables) and leave it the Service's names.
        const addresses = await ensureRelays(c, resources.services, relays, diagnostics);
        if (addresses !== null) {
          plans = planWorkloads(resources, { projectId, projectSlug, projectDir, publishPorts, labels: extraLabels, imageIds: built.ids, serviceAddresses: addresses });
          serviceAddresses = relayedServices(resources.services).flatMap((svc) => {
            const address = addresses.get(serviceKey(svc));
            return address === undefined ? [] : [{ service: serviceKey(svc), address, ports: svc.ports.filter((p) => p.protocol === 'TCP').map((p) => p.port) }];
          });
        }
      }
      const images = new Map<string, Promise<ImageResult>>([...built.failed].map(([image, result]) => [image, Promise.resolve(result)]));
      const outcomes = new Map<string, WorkloadOutcome>();
      await mapLimit(plans.workloads, 3, async (w) => {
        outcomes.set(w.key, await applyWorkload(c, w, byWorkload.get(w.key) ?? [], images, built.failed, diagnostics));
      });
      for (const f of plans.failed) {
        const kept = (byWorkload.get(f.key) ?? []).map(listedRef);
        emit('failed', f.title, null, `${f.error}${kept.length > 0 ? '; its running containers are kept' : ''}`);
        outcomes.set(f.key, { workload: f.title, action: 'failed', containers: kept, leaving: leavingOf(f.title), rollout: null, error: f.error });
      }
      const workloads = sortByPosition([...plans.workloads, ...plans.failed]).map((w) => outcomes.get(w.key)).filter((o): o is WorkloadOutcome => o !== undefined);
      await removeSuperseded(c);
      return { workloads, removed, diagnostics, leftovers, network: networkReady ? networkName : null, ...(serviceAddresses === null ? {} : { services: serviceAddresses }) };
    } catch (error) {
      return failedAll(`Docker: ${errorText(error)}`);
    }
  }

  async function applyWorkload(c: Clients, w: WorkloadPlan, existing: readonly Listed[], images: Map<string, Promise<ImageResult>>, buildFailed: ReadonlyMap<string, ImageResult>, diagnostics: Diagnostic[]): Promise<WorkloadOutcome> {
    const wanted = new Map(w.replicas.map((r) => [r.index, r]));
    const live = existing.filter((info) => !terminating.has(info.Id));
    /** The replica each container runs, when it runs the folder's spec of it. */
    const currentReplicaOf = (info: Listed): ReplicaPlan | null => {
      const replica = wanted.get(Number(info.Labels?.[runLabels.replica]));
      return replica !== undefined && info.Labels?.[runLabels.specHash] === replica.hash ? replica : null;
    };
    const states = live.map((info): RolloutContainer => ({
      id: info.Id,
      name: listedName(info),
      index: Number(info.Labels?.[runLabels.replica]),
      current: currentReplicaOf(info) !== null,
      ready: tracker.isReady(info.Id),
    }));
    const leavingIndexes = [...terminating.values()].filter((t) => t.workload === w.title).map((t) => t.index);
    const step = planRolloutStep({ desired: w.replicas.map((r) => r.index), containers: states, terminating: leavingIndexes, strategy: w.strategy });
    const wasRolling = rolling.has(w.title);
    problems.describe(w.title, w.services, w.at);
    // A failed build fails the workload even when nothing is to be created (its containers keep running).
    if (step.create.length > 0 || buildFailed.has(w.image)) {
      let pending = images.get(w.image);
      if (pending === undefined) {
        pending = ensureImage(c, w, diagnostics);
        images.set(w.image, pending);
      }
      const image = await pending;
      if (!image.ok) {
        // As a rollout that cannot pull its image: the containers of the last version keep running.
        if (image.built !== true) diagnostics.push(createDiagnostic('E_IMAGE_PULL', 'error', `${w.title}: ${image.error}`, w.at, image.hint));
        if (!image.repeated) emit('failed', w.title, null, image.error);
        problems.setFailure(w.title, image.error, image.hint);
        rolling.delete(w.title);
        return { workload: w.title, action: 'failed', containers: live.map(listedRef), leaving: leavingOf(w.title), rollout: null, error: image.error };
      }
    }
    const removing = new Map(step.remove.map((r) => [r.id, r.why]));
    for (const info of live) {
      const why = removing.get(info.Id);
      if (why !== undefined) terminate(c, w.title, info, why === 'replaced' ? 'replaced by the new version' : 'scaled down', w.drainMs);
    }
    const staying = live.filter((info) => !removing.has(info.Id));
    for (const info of staying) {
      // A replica that was stopped or killed is started again: a Deployment's pods run.
      if ((info.State === 'exited' || info.State === 'created') && !w.key.startsWith('Pod/')) {
        await c.api.getContainer(info.Id).start().catch((error: unknown) => {
          if (statusCode(error) !== 304) emit('failed', w.title, listedName(info), `could not start container ${listedName(info)} again: ${errorText(error)}`);
        });
      }
      const current = currentReplicaOf(info);
      // A container of the old version keeps the check it was started with until it is replaced.
      if (!tracker.has(info.Id)) tracker.track({ id: info.Id, name: listedName(info), workload: w.title }, w.readiness);
      else if (current !== null) tracker.update(info.Id, w.readiness);
      if (current !== null) await updateAliases(c, info.Id, current.aliases);
    }
    const taken = new Set(existing.map(listedName));
    const created: { id: string; name: string }[] = [];
    let failure: string | null = null;
    await Promise.all(
      step.create.map(async (index) => {
        const replica = wanted.get(index);
        if (replica === undefined) return;
        // A new replica next to the old one it replaces (a surge) needs a name of its own.
        const name = [replica.containerName, `${replica.containerName}-${replica.hash.slice(0, 5)}`].find((n) => !taken.has(n)) ?? `${replica.containerName}-${replica.hash.slice(0, 5)}-${randomBytes(2).toString('hex')}`;
        taken.add(name);
        try {
          created.push(await createReplica(c, w, replica, name));
        } catch (error) {
          failure ??= errorText(error);
        }
      }),
    );
    if (failure !== null) {
      const error = `the engine could not create or start its container: ${failure}`;
      diagnostics.push(createDiagnostic('E_WORKLOAD_START', 'error', `${w.title}: ${error}`, w.at, startHint(failure, w)));
      emit('failed', w.title, null, error);
    }
    if (failure !== null && created.length === 0 && staying.length === 0) problems.setFailure(w.title, `the engine could not create or start its container: ${failure}`, startHint(failure, w));
    else problems.clearFailure(w.title);
    if (step.progress === null) rolling.delete(w.title);
    else rolling.add(w.title);
    const containers = [...staying.map(listedRef), ...created].toSorted((a, b) => a.name.localeCompare(b.name));
    const changed = created.length > 0 || step.remove.length > 0;
    const rollingNow = step.progress !== null;
    const action: WorkloadOutcome['action'] =
      failure !== null && created.length === 0 ? 'failed'
      // Each step of a rollout that changed something, and its end, is news.
      : step.remove.some((r) => r.why === 'replaced') || ((wasRolling || rollingNow) && changed) || (wasRolling && !rollingNow) ? 'updated'
      : existing.length === 0 && created.length > 0 ? 'created'
      : changed ? 'scaled'
      : 'unchanged';
    return {
      workload: w.title,
      action,
      containers,
      leaving: leavingOf(w.title),
      rollout: step.progress === null ? null : formatRolloutProgress(w.strategy, step.progress),
      error: failure === null ? null : `the engine could not create or start its container: ${failure}`,
    };
  }

  /** The containers of a workload that are leaving now. */
  function leavingOf(title: string): { id: string; name: string }[] {
    return [...terminating].filter(([, t]) => t.workload === title).map(([id, t]) => ({ id, name: t.name }));
  }

  /**
   * A container leaves as a pod does, better drained: out of rotation at once (it is never
   * routed to again), then, once the requests the proxy sent it are answered (at most the pod's
   * terminationGracePeriodSeconds), stopped and removed. The next step of a rollout follows.
   */
  function terminate(c: Clients, title: string, info: Listed, why: string, drainMs: number): void {
    const id = info.Id;
    const name = listedName(info);
    tracker.retire(id);
    forgetRestart(id);
    const container = options.docker.snapshot().containers.find((x) => x.id === id);
    const match = container === undefined || options.inflight === undefined ? null : addressMatcher(container);
    const pending = match === null ? 0 : (options.inflight?.count(match) ?? 0);
    const then = pending === 0 ? 'it stops now' : `it stops once it has answered the ${pending} request${pending === 1 ? '' : 's'} in progress`;
    emit('terminating', title, name, `container ${name} is out of rotation (${why}); ${then}`);
    const done = (async () => {
      if (match !== null && pending > 0 && !hurried) {
        const left = await (options.inflight as InflightRequests).whenIdle(match, drainMs, drainAbort.signal);
        if (left > 0 && !stopped) emit('terminating', title, name, `container ${name} still had ${left} request${left === 1 ? '' : 's'} in progress after ${Math.round(drainMs / 1000)} s (terminationGracePeriodSeconds); it stops now`);
      }
      aliasesById.delete(id);
      await stopAndRemove(c.api, id);
      emit('removed', title, name, `removed container ${name} (${id.slice(0, 12)})`);
    })()
      .catch((error: unknown) => emit('failed', title, name, `could not remove container ${name}: ${errorText(error)}`))
      .finally(() => {
        terminating.delete(id);
        scheduleReconcile(50);
      });
    terminating.set(id, { workload: title, name, index: Number(info.Labels?.[runLabels.replica]), done });
  }

  async function createReplica(c: Clients, w: WorkloadPlan, replica: ReplicaPlan, containerName: string): Promise<{ id: string; name: string }> {
    const spec = replica.spec;
    const body: Docker.ContainerCreateOptions = {
      name: containerName,
      Image: spec.Image,
      Hostname: spec.Hostname,
      Entrypoint: spec.Entrypoint === undefined ? undefined : [...spec.Entrypoint],
      Cmd: spec.Cmd === undefined ? undefined : [...spec.Cmd],
      Env: [...spec.Env],
      WorkingDir: spec.WorkingDir,
      User: spec.User,
      Tty: spec.Tty,
      OpenStdin: spec.OpenStdin,
      Labels: { ...spec.Labels, ...runLabelValues },
      ExposedPorts: { ...spec.ExposedPorts },
      StopTimeout: spec.StopTimeout,
      HostConfig: {
        RestartPolicy: { ...spec.HostConfig.RestartPolicy },
        PortBindings: Object.fromEntries(Object.entries(spec.HostConfig.PortBindings).map(([k, v]) => [k, v.map((b) => ({ ...b }))])),
        NetworkMode: networkName,
      },
      NetworkingConfig: { EndpointsConfig: { [networkName]: { Aliases: [...replica.aliases] } } },
    };
    let name = containerName;
    let container: Docker.Container;
    try {
      container = await c.api.createContainer(body);
    } catch (error) {
      if (statusCode(error) !== 409) throw error;
      // The name is taken by a container that is not this run's (another project with a folder
      // of the same name, or one the user made): never touch it, take another name.
      name = `${containerName}-${runId.slice(0, 4)}`;
      container = await c.api.createContainer({ ...body, name });
    }
    aliasesById.set(container.id, replica.aliases);
    tracker.track({ id: container.id, name, workload: w.title }, w.readiness);
    try {
      await container.start();
    } catch (error) {
      tracker.untrack(container.id);
      aliasesById.delete(container.id);
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw error;
    }
    emit('created', w.title, name, `started container ${name} (${container.id.slice(0, 12)}) for ${w.title}`);
    return { id: container.id, name };
  }

  async function updateAliases(c: Clients, id: string, aliases: readonly string[]): Promise<void> {
    const current = aliasesById.get(id);
    if (current !== undefined && sameList(current, aliases)) return;
    // A Service that selects the container was added or removed: rejoin the network with the
    // new names, without restarting it.
    const network = c.api.getNetwork(networkName);
    await network.disconnect({ Container: id, Force: true }).catch(() => undefined);
    await network.connect({ Container: id, EndpointConfig: { Aliases: [...aliases] } });
    aliasesById.set(id, aliases);
  }

  /**
   * A relay container per Service (its DNS names, its ports) forwarding to ingress-dev's listener
   * for each Service port on the network's gateway; relays of Services gone are removed, changed
   * ones recreated. Answers each Service's relay address, or null where relays cannot work (said
   * once, as information: the Service names then stay with the workload containers).
   */
  async function ensureRelays(c: Clients, services: readonly Service[], existing: readonly Listed[], diagnostics: Diagnostic[]): Promise<Map<string, string> | null> {
    if (forwarders === null) return null;
    const relayed = relayedServices(services);
    const off = (reason: string): null => {
      const first = relayed[0];
      if (first !== undefined) {
        diagnostics.push(createDiagnostic('I_SERVICE_RELAY_OFF', 'info', `containers reach a Service by its name on the containers' port (targetPort), not on the Service port: ${reason}`, first.metadata.at,
          'With a native Docker engine on Linux, each Service gets a relay and containers call it on its port, as in a cluster; here call api:TARGETPORT'));
      }
      relayOff = reason;
      return null;
    };
    if (relayOff !== null) return off(relayOff);
    const support = relaySupport(options.docker.snapshot().addresses.reachable);
    if (!support.ok) return off(support.reason);
    let gateway: string;
    try {
      relayImage ??= await ensureRelayImage(c.api, { ...extraLabels, [runLabels.project]: projectId });
      const info = (await c.api.getNetwork(networkName).inspect()) as { IPAM?: { Config?: { Gateway?: string }[] } };
      const found = info.IPAM?.Config?.find((cfg) => cfg.Gateway !== undefined && !cfg.Gateway.includes(':'))?.Gateway;
      if (found === undefined) return off(`the network ${networkName} has no IPv4 gateway`);
      gateway = found;
    } catch (error) {
      return off(`the relay image could not be made: ${errorText(error)}`);
    }
    let ports: Map<string, number>;
    try {
      ports = await forwarders.sync(gateway, relayed);
    } catch (error) {
      // The gateway is not an address of this machine (an engine in a VM).
      return off(`ingress-dev cannot listen on the network's gateway ${gateway}: ${errorText(error)}`);
    }
    const addresses = new Map<string, string>();
    const byService = new Map(existing.map((info) => [info.Labels?.[runLabels.relay] ?? '', info]));
    for (const [key, info] of byService) {
      if (!relayed.some((s) => serviceKey(s) === key)) await stopAndRemove(c.api, info.Id).catch(() => undefined);
    }
    for (const service of relayed) {
      const key = serviceKey(service);
      const aliases = clusterNames(service.metadata.name, service.metadata.namespace);
      const env = [`RELAY=${relayRoutes(service, gateway, ports)}`];
      const hash = createHash('sha256').update(JSON.stringify([relayImage, env, aliases])).digest('hex').slice(0, 16);
      let info = byService.get(key);
      if (info !== undefined && (info.Labels?.[runLabels.specHash] !== hash || info.State !== 'running')) {
        await stopAndRemove(c.api, info.Id).catch(() => undefined);
        info = undefined;
      }
      let id = info?.Id;
      if (id === undefined) {
        const name = `${projectSlug}-svc-${service.metadata.namespace === 'default' ? '' : `${service.metadata.namespace}-`}${service.metadata.name}-${runId}`;
        const container = await c.api.createContainer({
          name,
          Image: relayImage,
          Env: env,
          Labels: { ...extraLabels, ...runLabelValues, ...relayLabels(service), [runLabels.specHash]: hash },
          HostConfig: { RestartPolicy: { Name: 'always' }, NetworkMode: networkName },
          NetworkingConfig: { EndpointsConfig: { [networkName]: { Aliases: aliases } } },
        });
        await container.start();
        id = container.id;
      }
      const inspected = (await c.api.getContainer(id).inspect()) as { NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> } };
      const ip = inspected.NetworkSettings?.Networks?.[networkName]?.IPAddress;
      if (ip !== undefined && ip !== '') addresses.set(key, ip);
    }
    return addresses;
  }

  /**
   * Builds the images of `build:` that the workloads run and that need it: missing, built from
   * another context digest, or forced. One build per entry, tagged with every name the workloads
   * use. A failed build is a diagnostic at its entry, with the builder's last lines.
   */
  async function ensureBuilds(c: Clients, workloads: readonly WorkloadPlan[], diagnostics: Diagnostic[]): Promise<{ ids: Map<string, string>; failed: Map<string, ImageResult> }> {
    const ids = new Map<string, string>();
    const failed = new Map<string, ImageResult>();
    const config = options.builds?.() ?? { specs: [], mode: 'auto' as const };
    if (config.specs.length === 0) return { ids, failed };
    if (!firstBuildsDone && config.mode === 'always') for (const spec of config.specs) forcedBuilds.add(spec.image);
    firstBuildsDone = true;
    const bySpec = new Map<BuildSpec, WorkloadPlan[]>();
    for (const w of workloads) {
      const spec = buildFor(w.image, config.specs);
      if (spec !== null) bySpec.set(spec, [...(bySpec.get(spec) ?? []), w]);
    }
    for (const [spec, users] of bySpec) {
      const tags = [...new Set(users.map((w) => w.image))];
      const fail = (result: Extract<ImageResult, { ok: false }>): void => {
        diagnostics.push(createDiagnostic('E_IMAGE_BUILD', 'error', `build ${spec.image}: ${result.error}`, spec.at, result.hint));
        for (const t of tags) failed.set(t, result);
      };
      const titles = users.map((w) => w.title);
      const say = (change: WorkloadChanged['change'], message: string) => {
        for (const title of titles) emit(change, title, null, message);
      };
      const present = await c.api.getImage(tags[0] ?? spec.image).inspect().then((i) => i as { Id: string; Config?: { Labels?: Record<string, string> | null } }, (error: unknown) => {
        if (statusCode(error) === 404) return null;
        throw error;
      });
      if (config.mode === 'never') {
        if (present !== null) for (const t of tags) ids.set(t, present.Id);
        continue;
      }
      // A context is read (every file hashed) once, then again only when a change in it rebuilds
      // its image: a manifest save must not hash a context with thousands of files each time.
      const contextKey = JSON.stringify([spec.image, spec.context, spec.dockerfile, spec.target, spec.args]);
      let context = contexts.get(contextKey);
      try {
        if (context === undefined || forcedBuilds.has(spec.image)) {
          context = await readContext(spec);
          contexts.set(contextKey, context);
        }
      } catch (error) {
        fail({ ok: false, error: `cannot read the build context ${spec.context}: ${errorText(error)}`, hint: 'Check build.images in ingress-dev.yaml: the context must be a folder', built: true });
        continue;
      }
      const forced = forcedBuilds.has(spec.image);
      const upToDate = present !== null && present.Config?.Labels?.[contextDigestLabel] === context.digest;
      if (upToDate && !forced) {
        for (const t of tags) ids.set(t, present.Id);
        continue;
      }
      const earlier = buildFailures.get(spec.image);
      if (!forced && earlier !== undefined && earlier.digest === context.digest && !earlier.result.ok) {
        fail({ ...earlier.result, repeated: true });
        continue;
      }
      forcedBuilds.delete(spec.image);
      const request = new AbortController();
      pullRequests.add(request);
      say('building', `building ${tags.join(', ')} from ${path.relative(projectDir, spec.context) || '.'}`);
      let result;
      try {
        result = await buildImage(c.slow, spec, context, tags, { ...extraLabels, [runLabels.project]: projectId }, (line) => say('building', `building ${tags[0] ?? spec.image}: ${line}`), request.signal);
      } finally {
        pullRequests.delete(request);
      }
      if (result.ok) {
        buildFailures.delete(spec.image);
        // The image this build replaces goes once no container runs it (`docker images` does not
        // fill up with the builds of a session).
        if (present !== null && present.Id !== result.imageId && present.Config?.Labels?.[runLabels.project] === projectId) superseded.add(present.Id);
        say('built', `built ${tags.join(', ')} in ${(result.durationMs / 1000).toFixed(1)} s`);
        for (const t of tags) ids.set(t, result.imageId);
        continue;
      }
      const lines = result.lines.slice(-8);
      const image: Extract<ImageResult, { ok: false }> = {
        ok: false,
        error: `the build of ${tags.join(', ')} failed: ${result.error}`,
        hint: `${lines.length > 0 ? `The builder's last lines:\n${lines.join('\n')}\n` : ''}Fix the Dockerfile or the context (${path.relative(projectDir, path.join(spec.context, spec.dockerfile))}); the containers of the last good image keep running, and a change in the context builds again`,
        built: true,
      };
      if (!stopped) buildFailures.set(spec.image, { digest: context.digest, result: image });
      say('build-failed', image.error);
      fail(image);
    }
    return { ids, failed };
  }

  /** Removes the superseded builds no container uses any more; those still in use wait for a later apply (or the stop). */
  async function removeSuperseded(c: Clients): Promise<void> {
    for (const id of superseded) {
      try {
        await c.api.getImage(id).remove({ noprune: false });
        superseded.delete(id);
      } catch (error) {
        if (statusCode(error) === 404) superseded.delete(id); // gone already
        // 409: a container (one leaving, in a rollout) still runs it.
      }
    }
  }

  async function ensureImage(c: Clients, w: WorkloadPlan, diagnostics: Diagnostic[]): Promise<ImageResult> {
    const image = w.image;
    let present: boolean;
    try {
      await c.api.getImage(image).inspect();
      present = true;
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
      present = false;
    }
    // A pull is tried once per version of the workload: an unrelated save does not pull again
    // (nor print the same failure again); an image built or pulled by hand is seen on the next save.
    const spec = `${image} ${w.pullPolicy} ${w.replicas.map((r) => r.hash).join(',')}`;
    if (present && (w.pullPolicy !== 'Always' || pulledFor.get(w.key) === spec)) {
      pullFailures.delete(w.key);
      return { ok: true };
    }
    const earlier = pullFailures.get(w.key);
    if (!present && earlier !== undefined && earlier.spec === spec && !earlier.result.ok) return { ...earlier.result, repeated: true };
    const hint = `Pull or build it yourself (docker pull ${image}, or docker build -t ${image} .), then save a manifest: the image is looked for again (an edit of ${w.title} pulls again)`;
    if (!present && w.pullPolicy === 'Never') {
      const result: ImageResult = { ok: false, error: `image ${image} is not on this machine, and imagePullPolicy is Never`, hint };
      pullFailures.set(w.key, { spec, result });
      return result;
    }
    emit('pulling', w.title, null, `pulling ${image}`, 0);
    try {
      await pullImage(c.slow, image, pulls, pullRequests, (progress, message) => emit('pulling', w.title, null, message, progress));
      emit('pulled', w.title, null, `pulled ${image}`, 1);
      pulledFor.set(w.key, spec);
      pullFailures.delete(w.key);
      return { ok: true };
    } catch (error) {
      const why = errorText(error);
      emit('pull-failed', w.title, null, `could not pull ${image}: ${why}`);
      if (present) {
        pulledFor.set(w.key, spec);
        diagnostics.push(createDiagnostic('W_IMAGE_PULL', 'warning', `${w.title}: could not pull ${image} (imagePullPolicy Always): ${why}; the local copy is used`, w.at, 'Set imagePullPolicy: IfNotPresent to use the local image without trying'));
        return { ok: true };
      }
      const result: ImageResult = { ok: false, error: `image ${image} is not on this machine and could not be pulled: ${why}`, hint: `${hint}; docker login first if the registry needs it` };
      // Stopping aborts the pull: that is not the image's fault, and is not remembered.
      if (!stopped) pullFailures.set(w.key, { spec, result });
      return result;
    }
  }

  async function ensureNetwork(c: Clients): Promise<void> {
    if (networkReady) {
      try {
        await c.api.getNetwork(networkName).inspect();
        return;
      } catch (error) {
        if (statusCode(error) !== 404) throw error;
        networkReady = false; // removed behind our back: make it again
      }
    }
    try {
      await c.api.createNetwork({ Name: networkName, Driver: 'bridge', CheckDuplicate: true, Labels: { ...extraLabels, ...runLabelValues } });
    } catch (error) {
      if (statusCode(error) !== 409) throw error;
      const info = (await c.api.getNetwork(networkName).inspect()) as { Labels?: Record<string, string> };
      if (info.Labels?.[runLabels.run] !== runId) throw new Error(`a network named ${networkName} exists and was not made by this run`, { cause: error });
    }
    networkReady = true;
  }

  async function stopAndRemove(api: Docker, id: string): Promise<void> {
    const container = api.getContainer(id);
    stoppingIds.add(id);
    try {
      if (!hurried) await container.stop({ t: stopTimeout }).catch(() => undefined); // 304 already stopped, 404 gone
      await container.remove({ force: true, v: true }).catch((error: unknown) => {
        // 404: gone; 409: a hurried removal of it is already under way.
        if (statusCode(error) !== 404 && !(statusCode(error) === 409 && hurried)) throw error;
      });
    } finally {
      stoppingIds.delete(id);
    }
  }

  async function execProbe(id: string, command: readonly string[], timeoutMs: number): Promise<ProbeResult> {
    const c = getClients();
    if (c === null) return { ok: false, detail: 'the engine is not reachable' };
    const exec = await c.api.getContainer(id).exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const finished = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      stream.on('end', () => (clearTimeout(timer), resolve(true)));
      stream.on('close', () => (clearTimeout(timer), resolve(true)));
      stream.on('error', () => (clearTimeout(timer), resolve(true)));
      stream.resume();
    });
    (stream as { destroy?: () => void }).destroy?.();
    if (!finished) return { ok: false, detail: `${command.join(' ')} did not finish within ${timeoutMs} ms` };
    const info = await exec.inspect();
    return { ok: info.ExitCode === 0, detail: `${command.join(' ')} exited with code ${info.ExitCode ?? '?'}` };
  }

  async function cleanupLeftovers(): Promise<readonly string[]> {
    const c = getClients();
    if (c === null) return [];
    leftoversDone = true;
    const messages: string[] = [];
    const isLeftover = (labels: Readonly<Record<string, string>> | undefined): boolean => {
      const run = labels?.[runLabels.run];
      return labels?.[runLabels.project] === projectId && run !== runId && !runIsAlive(labels);
    };
    const containers = ((await c.api.listContainers({ all: true, filters: { label: [`${runLabels.project}=${projectId}`] } })) as Listed[]).filter((info) => isLeftover(info.Labels));
    await Promise.all(
      containers.map(async (info) => {
        const name = listedName(info);
        try {
          await c.api.getContainer(info.Id).remove({ force: true, v: true });
          messages.push(`removed container ${name} (${info.Id.slice(0, 12)}) left by an earlier run of this project (run ${info.Labels?.[runLabels.run] ?? '?'})`);
        } catch (error) {
          if (statusCode(error) !== 404) messages.push(`could not remove container ${name} (${info.Id.slice(0, 12)}) left by an earlier run: ${errorText(error)}`);
        }
      }),
    );
    const networks = ((await c.api.listNetworks({ filters: { label: [`${runLabels.project}=${projectId}`] } })) as { Id: string; Name: string; Labels?: Record<string, string> }[]).filter((n) => isLeftover(n.Labels));
    for (const n of networks) {
      try {
        await c.api.getNetwork(n.Id).remove();
        messages.push(`removed network ${n.Name} left by an earlier run of this project (run ${n.Labels?.[runLabels.run] ?? '?'})`);
      } catch (error) {
        if (statusCode(error) !== 404) messages.push(`could not remove network ${n.Name} left by an earlier run: ${errorText(error)}`);
      }
    }
    messages.sort();
    if (messages.length > 0) emit('leftovers', null, null, `removed what an earlier run of this project left: ${messages.length} item${messages.length === 1 ? '' : 's'}`);
    return messages;
  }

  async function stopAll(): Promise<readonly string[]> {
    stopped = true;
    offEngine?.();
    if (reconcileTimer !== null) clearTimeout(reconcileTimer);
    reconcileTimer = null;
    for (const state of restarts.values()) if (state.timer !== null) clearTimeout(state.timer);
    restarts.clear();
    abortPulls();
    drainAbort.abort();
    await queue; // an apply in progress finishes first, so nothing it creates is missed
    await forwarders?.close();
    // Leaving containers stop without waiting for their requests: the proxy is closing.
    await Promise.allSettled([...terminating.values()].map((t) => t.done));
    tracker.stop();
    const c = getClients();
    if (c === null) {
      return aliasesById.size > 0 ? [`Docker engine not reachable: the containers of this run are left; the next start in ${projectDir} removes them`] : [];
    }
    const messages: string[] = [];
    try {
      const own = (await c.api.listContainers({ all: true, filters: { label: [`${runLabels.run}=${runId}`] } })) as Listed[];
      await Promise.all(
        own.map(async (info) => {
          const name = listedName(info);
          try {
            await stopAndRemove(c.api, info.Id);
            messages.push(`removed container ${name} (${info.Id.slice(0, 12)})`);
          } catch (error) {
            messages.push(`could not remove container ${name} (${info.Id.slice(0, 12)}): ${errorText(error)}`);
          }
        }),
      );
      const networks = (await c.api.listNetworks({ filters: { label: [`${runLabels.run}=${runId}`] } })) as { Id: string; Name: string }[];
      for (const n of networks) {
        try {
          await c.api.getNetwork(n.Id).remove();
          messages.push(`removed network ${n.Name}`);
        } catch (error) {
          if (statusCode(error) !== 404) messages.push(`could not remove network ${n.Name}: ${errorText(error)}`);
        }
      }
      // Whatever is still there (an engine error above) is said exactly, with the command that removes it.
      const left = (await c.api.listContainers({ all: true, filters: { label: [`${runLabels.run}=${runId}`] } })) as Listed[];
      if (left.length > 0) {
        messages.push(`left behind: ${left.map((info) => listedName(info)).join(', ')}; remove with: docker rm -f $(docker ps -aq --filter label=${runLabels.run}=${runId}) (or the next ingress-dev up --run in ${projectDir})`);
      }
    } catch (error) {
      messages.push(`could not list the containers of this run: ${errorText(error)}; remove them with: docker rm -f $(docker ps -aq --filter label=${runLabels.run}=${runId}) (or the next ingress-dev up --run in ${projectDir})`);
    }
    aliasesById.clear();
    networkReady = false;
    await removeSuperseded(c);
    return messages.toSorted();
  }

  return {
    projectId,
    runId,
    network: networkName,
    // The tracker's readiness, and why a workload cannot serve at all (the 503 says so).
    readiness: { version: () => tracker.version() + problems.version(), readinessOf: (container) => tracker.readinessOf(container), workloadProblemOf: (service) => problems.of(service) },
    apply,
    rebuild(images) {
      for (const image of images) forcedBuilds.add(image);
      return lastResources === null || stopped ? Promise.resolve(null) : apply(lastResources);
    },
    cleanupLeftovers: () => {
      const run = queue.then(() => cleanupLeftovers());
      queue = run.catch(() => undefined);
      return run;
    },
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
    hurry() {
      if (hurried) return;
      hurried = true;
      stopped = true;
      abortPulls();
      drainAbort.abort();
      const c = getClients();
      // Containers waiting out their grace period are removed now; the stop call then returns.
      if (c !== null) for (const id of stoppingIds) void c.api.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
    },
  };
}

/** How long the containers of a workload that left the folder may answer their last requests (Kubernetes' default terminationGracePeriodSeconds). */
const defaultDrainMs = 30_000;

/** One line per workload, for the CLI: `Deployment default/web: created shop-web-1, shop-web-2`. */
export function formatApplyReport(report: ApplyReport): string[] {
  const lines = report.leftovers.map((l) => `cleanup: ${l}`);
  // The engine away is one fact for every workload it stops: one line.
  const engine = report.engine ?? null;
  const waiting = engine === null ? [] : report.workloads.filter((w) => w.action === 'failed' && w.error === engine).map((w) => w.workload);
  if (engine !== null && waiting.length > 0) lines.push(`${waiting.length === 1 ? waiting[0] : `${waiting.length} workloads (${waiting.join(', ')})`}: not running: ${engine}`);
  for (const w of report.workloads) {
    if (waiting.includes(w.workload)) continue;
    const names = w.containers.map((c) => c.name).join(', ');
    switch (w.action) {
      case 'failed':
        lines.push(`${w.workload}: not running: ${w.error ?? 'failed'}${names === '' ? '' : ` (still running: ${names})`}`);
        break;
      case 'unchanged':
        break;
      default:
        lines.push(`${w.workload}: ${w.action} ${names === '' ? '(0 replicas)' : names}${w.rollout === null ? '' : ` (${w.rollout})`}`);
    }
  }
  for (const r of report.removed) lines.push(`${r}: removed`);
  return lines;
}

/**
 * What a report adds to what the reports before it said: `up` prints every report through one
 * of these, so that each fact (a workload that cannot run and why, a diagnostic, the engine
 * being away) is printed once, and again only when it changes.
 */
export function createApplyReportPrinter(): (report: ApplyReport) => { readonly lines: string[]; readonly diagnostics: Diagnostic[] } {
  const said = new Map<string, string>();
  let engineSaid: string | null = null;
  let shown = new Set<string>();
  let servicesSaid = '';
  return (report) => {
    const lines: string[] = [];
    // How the containers reach the Services, when it changes.
    const services = (report.services ?? []).map((a) => `${a.service.replace(/^default\//, '')}:${a.ports.join(',')} → ${a.address}`).join(' · ');
    if (services !== '' && services !== servicesSaid) lines.push(`Services inside the network (containers call NAME:PORT): ${services}`);
    if (report.services !== undefined) servicesSaid = services;
    const engine = report.engine ?? null;
    const byWorkload = new Map(report.workloads.map((w) => [w.workload, w]));
    for (const line of formatApplyReport(report)) {
      if (engine !== null && line.endsWith(`: not running: ${engine}`)) {
        if (line !== engineSaid) lines.push(line);
        engineSaid = line;
        continue;
      }
      const title = [...byWorkload.keys()].find((t) => line.startsWith(`${t}: `));
      const w = title === undefined ? undefined : byWorkload.get(title);
      if (title === undefined || w === undefined) {
        lines.push(line); // cleanup and removals happen once
        continue;
      }
      if (w.action === 'failed') {
        const before = said.get(title);
        said.set(title, line);
        // Said already, or said by its diagnostic (an image that cannot be pulled, with the position and what to do).
        if (before === line || (w.error !== null && report.diagnostics.some((d) => d.message.endsWith(w.error ?? '')))) continue;
      }
      lines.push(line);
    }
    if (engine === null) engineSaid = null;
    // A workload that runs again may fail again later: that is news.
    for (const w of report.workloads) if (w.action !== 'failed' && w.action !== 'unchanged') said.delete(w.workload);
    for (const title of said.keys()) if (!byWorkload.has(title)) said.delete(title);
    const key = (d: Diagnostic): string => `${d.code} ${d.file}:${d.line}:${d.col} ${d.message}`;
    const diagnostics = report.diagnostics.filter((d) => !shown.has(key(d)));
    shown = new Set(report.diagnostics.map(key));
    return { lines, diagnostics };
  };
}

// ---------------------------------------------------------------------------------------------

async function pullImage(api: Docker, image: string, pulls: Set<NodeJS.ReadableStream>, requests: Set<AbortController>, onProgress: (progress: number | null, message: string) => void): Promise<void> {
  const request = new AbortController();
  requests.add(request);
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await api.pull(image, { abortSignal: request.signal })) as NodeJS.ReadableStream;
  } finally {
    requests.delete(request);
  }
  pulls.add(stream);
  try {
    await followPull(api, image, stream, onProgress);
  } finally {
    pulls.delete(stream);
  }
}

function followPull(api: Docker, image: string, stream: NodeJS.ReadableStream, onProgress: (progress: number | null, message: string) => void): Promise<void> {
  const layers = new Map<string, { current: number; total: number }>();
  let lastReport = 0;
  return new Promise<void>((resolve, reject) => {
    (api.modem as { followProgress: (s: NodeJS.ReadableStream, done: (e: Error | null) => void, each: (o: PullEvent) => void) => void }).followProgress(
      stream,
      (error) => (error === null || error === undefined ? resolve() : reject(error)),
      (event) => {
        const detail = event.progressDetail;
        if (event.id !== undefined && typeof detail?.total === 'number' && typeof detail.current === 'number' && event.status === 'Downloading') {
          layers.set(event.id, { current: detail.current, total: detail.total });
        }
        const at = Date.now();
        if (at - lastReport < 500 || layers.size === 0) return;
        lastReport = at;
        let current = 0;
        let total = 0;
        for (const l of layers.values()) {
          current += l.current;
          total += l.total;
        }
        onProgress(total > 0 ? current / total : null, `pulling ${image}: ${megabytes(current)} of ${megabytes(total)} MB`);
      },
    );
  });
}

interface PullEvent {
  readonly id?: string;
  readonly status?: string;
  readonly progressDetail?: { readonly current?: number; readonly total?: number };
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function runIsAlive(labels: Readonly<Record<string, string>> | undefined): boolean {
  const pid = Number(labels?.[runLabels.runPid]);
  if (labels?.[runLabels.runHost] !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function startHint(failure: string, w: WorkloadPlan): string {
  if (/executable file not found|no such file or directory/i.test(failure)) return `The command of ${w.title} does not exist in image ${w.image}: check command and args`;
  if (/port is already allocated|address already in use/i.test(failure)) return 'A hostPort of the pod is taken on this machine: free it, or remove hostPort';
  return `docker run ${w.image} shows the same error when the image itself is at fault`;
}

function listedName(info: Listed): string {
  return (info.Names?.[0] ?? '').replace(/^\//, '') || info.Id.slice(0, 12);
}

function listedRef(info: Listed): { id: string; name: string } {
  return { id: info.Id, name: listedName(info) };
}

/** `Deployment/default/web` → `Deployment default/web`. */
function titleOfKey(key: string): string {
  const [kind, ...rest] = key.split('/');
  return `${kind ?? '?'} ${rest.join('/')}`;
}

function sortByPosition<T extends { readonly at: { readonly file: string; readonly line: number; readonly col: number } }>(items: readonly T[]): T[] {
  return items.toSorted((a, b) => (a.at.file < b.at.file ? -1 : a.at.file > b.at.file ? 1 : 0) || a.at.line - b.at.line || a.at.col - b.at.col);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function statusCode(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The engine's own message (`pull access denied for …`), without dockerode's HTTP prefix. */
function errorText(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === 'string') return json.message.trim();
  if (error instanceof Error) return error.message.replace(/^\(HTTP code \d+\)[^-]*-\s*/, '').replace(/\s+/g, ' ').trim();
  return String(error);
}

